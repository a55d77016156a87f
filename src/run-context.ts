/** One run as the job sees it (DESIGN.md's JobContext), and the worker's handle on it. */
import type { JobConfig, OpscronConfig } from './config/schema.js';
import type { JobContext } from './jobs/types.js';
import type { Logger } from './observability/logger.js';
import type { RunRow } from './store/runs.js';
import type { Sql } from './store/sql.js';

export interface RunProgress {
  fraction: number;
  note?: string;
}

/**
 * What a job sees of its run (DESIGN.md's JobContext), and the worker's handle on it.
 * The AbortController and the logger are made on first use: a run that never asks for
 * them (most short ones) costs neither.
 */
export class RunContext implements JobContext {
  readonly runId: string;
  readonly jobId: string;
  readonly attempt: number;
  progressState: RunProgress | undefined;
  /** Why the run was aborted (timeout, replaced, shutdown), once it was. */
  abortReason: unknown;
  /** Called on abort so the worker stops waiting even for a job that ignores its signal. */
  onAbort: ((reason: unknown) => void) | undefined;
  private controller: AbortController | undefined;
  private childLogger: Logger | undefined;

  constructor(row: RunRow, job: JobConfig, readonly config: OpscronConfig, readonly sql: Sql, private readonly parentLogger: Logger, private readonly onProgress?: (runId: string, progress: RunProgress) => void) {
    this.runId = row.id;
    this.jobId = job.id;
    this.attempt = row.attempt;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    if (this.abortReason !== undefined && !this.controller.signal.aborted) this.controller.abort(this.abortReason);
    return this.controller.signal;
  }

  get logger(): Logger {
    return (this.childLogger ??= this.parentLogger.child({ run: this.runId, job: this.jobId }));
  }

  abort(reason: unknown): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    this.onAbort?.(reason);
  }

  progress(fraction: number, note?: string): void {
    this.progressState = { fraction: Math.max(0, Math.min(1, fraction)), note };
    this.logger.info({ progress: this.progressState }, 'progress');
    this.onProgress?.(this.runId, this.progressState);
  }

  now(): Date {
    return new Date();
  }
}
