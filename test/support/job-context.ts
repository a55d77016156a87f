/** A JobContext for calling a job's run() directly in a test, as the worker would. */
import { systemClock, waitFor } from '../../src/clock.js';
import type { OpscronConfig } from '../../src/config/schema.js';
import { jobFeeds } from '../../src/jobs/index.js';
import type { JobContext } from '../../src/jobs/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { jobPorts, type JobPorts } from '../../src/run-ports.js';
import type { Store } from '../../src/store/index.js';

/** Stand in for the store's ports in tests of jobs that never use them: any use is a test bug. */
const noPorts: JobPorts = {
  history: {
    previousFindings: () => Promise.reject(new Error('this test gave the job no store')),
    operations: () => Promise.reject(new Error('this test gave the job no store')),
  },
  reports: { produce: () => Promise.reject(new Error('this test gave the job no store')) },
  reverts: { schedule: () => Promise.reject(new Error('this test gave the job no store')) },
  state: {
    get: () => Promise.reject(new Error('this test gave the job no store')),
    put: () => Promise.reject(new Error('this test gave the job no store')),
  },
};

/** `store`: the job's ports read and write it, as in the worker; `runId`, `jobId` and `now` as the run would have them. */
export interface RunOptions {
  store?: Store;
  now?: () => Date;
  runId?: string;
  jobId?: string;
  signal?: AbortSignal;
}

export function jobContext(
  config: OpscronConfig,
  progress: (fraction: number, note?: string) => void = () => {},
  options: RunOptions = {},
): JobContext {
  const {
    store,
    now = () => new Date(),
    runId = 'test-run',
    jobId = 'test-job',
    signal = new AbortController().signal,
  } = options;
  const ports = store
    ? jobPorts({ store, config, feeds: jobFeeds }, { runId, jobId, now, progress, aborted: () => signal.aborted })
    : noPorts;
  return {
    runId,
    jobId,
    attempt: 1,
    logger: silentLogger,
    signal,
    config,
    ...ports,
    progress,
    now,
    sleep: (ms) => waitFor(systemClock, ms, signal),
  };
}
