/** One run as the job sees it (DESIGN.md's JobContext), and the worker's handle on it. */
import { waitFor, type Clock } from './clock.js';
import type { JobConfig, OpscronConfig } from './config/schema.js';
import type { HistoryPort, JobContext, ReportsPort, RevertsPort, StatePort } from './jobs/types.js';
import type { Logger } from './observability/logger.js';
import type { RunRow } from './model.js';
import { jobPorts, type JobPorts, type PortDeps } from './run-ports.js';
import { tunedByTrigger } from './run-request.js';

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
  private ports: JobPorts | undefined;
  private readonly tuned: boolean;

  constructor(
    row: RunRow,
    job: JobConfig,
    readonly config: OpscronConfig,
    private readonly portDeps: PortDeps,
    private readonly parentLogger: Logger,
    private readonly clock: Clock,
    private readonly onProgress?: (runId: string, progress: RunProgress) => void,
  ) {
    this.runId = row.id;
    this.jobId = job.id;
    this.attempt = row.attempt;
    this.tuned = tunedByTrigger(row.params);
  }

  /** Made on first use, like the signal and the logger: most runs use none. */
  private get port(): JobPorts {
    return (this.ports ??= jobPorts(this.portDeps, {
      runId: this.runId,
      jobId: this.jobId,
      now: () => this.now(),
      progress: (f, note) => this.progress(f, note),
      aborted: () => this.abortReason !== undefined,
      tuned: this.tuned,
    }));
  }

  get history(): HistoryPort {
    return this.port.history;
  }

  get reports(): ReportsPort {
    return this.port.reports;
  }

  get reverts(): RevertsPort {
    return this.port.reverts;
  }

  get state(): StatePort {
    return this.port.state;
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

  /** The run's clock: the process's, which tests move. */
  now(): Date {
    return new Date(this.clock.now());
  }

  sleep(ms: number): Promise<void> {
    return waitFor(this.clock, ms, this.signal);
  }
}
