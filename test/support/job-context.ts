/** A JobContext for calling a job's run() directly in a test, as the worker would. */
import type { OpscronConfig } from '../../src/config/schema.js';
import type { JobContext } from '../../src/jobs/types.js';
import { silentLogger } from '../../src/observability/logger.js';

export function jobContext(config: OpscronConfig, progress: (fraction: number, note?: string) => void = () => {}): JobContext {
  return { runId: 'test-run', jobId: 'test-job', attempt: 1, logger: silentLogger, signal: new AbortController().signal, config, progress, now: () => new Date() };
}
