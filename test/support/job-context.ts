/** A JobContext for calling a job's run() directly in a test, as the worker would. */
import type { OpscronConfig } from '../../src/config/schema.js';
import type { JobContext } from '../../src/jobs/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import type { Sql } from '../../src/store/sql.js';

/** Stands in for the store in tests of jobs that never read it: any use is a test bug. */
const noStore: Sql = new Proxy({} as Sql, {
  get: (_target, key) => (key === 'kind' ? 'none' : () => Promise.reject(new Error('this test gave the job no store'))),
});

export function jobContext(config: OpscronConfig, progress: (fraction: number, note?: string) => void = () => {}, sql: Sql = noStore): JobContext {
  return { runId: 'test-run', jobId: 'test-job', attempt: 1, logger: silentLogger, signal: new AbortController().signal, config, sql, progress, now: () => new Date() };
}
