/**
 * The worker: takes a queue job, trusts nothing in it, runs the job type with a timeout
 * and a cancel signal, records every attempt, and schedules a retry with exponential
 * backoff and jitter when one can help. It never throws out: a bad request or a crashing
 * job ends as a failed run, not a dead worker.
 *
 *   received ─ invalid ──────────────────────────────► failed (no retry)
 *      │ ─ overlap (forbid, or replace not freed) ───► skipped
 *      ▼
 *   running ─► ok | warning | critical
 *           ─► failed | timeout ─► (attempts left) retry enqueued as a new queue job
 *           ─► cancelled (replaced, or shutdown past the grace period)
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock, type Clock } from './clock.js';
import type { JobConfig, OpscronConfig } from './config/schema.js';
import { InvalidRunError, isRetryable, RunCancelledError, RunTimeoutError } from './errors.js';
import { jobFeeds, jobTypes } from './jobs/index.js';
import type { JobDefinition, JobOutcome } from './jobs/types.js';
import type { Loop } from './loop.js';
import type { RunRow, RunStatus } from './model.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import { redact, redactValue } from './observability/redact.js';
import type { RunLocks } from './queue/locks.js';
import type { Consumer, QueuedJob, RunQueue } from './queue/types.js';
import { RunContext, type RunProgress } from './run-context.js';
import { boundOutcome } from './run-outcome.js';
import { resolveParams as resolveRequestParams, retryDelay } from './run-request.js';
import { RunWatch } from './run-watch.js';
import type { Store } from './store/index.js';
import { startHeartbeat } from './worker-heartbeat.js';
import {
  attemptRow,
  checkDelivery,
  logHistoryErrors,
  lostAttempts,
  ProducerAudit,
  type Checked,
  retryItem,
  takeLock,
} from './worker-steps.js';

export type { RunProgress } from './run-context.js';
export { manualRunId, retryDelay } from './run-request.js';

export interface WorkerOptions {
  config: OpscronConfig;
  store: Store;
  queue: RunQueue;
  locks: RunLocks;
  logger: Logger;
  metrics: Metrics;
  /** Shown in run rows: which process ran it. */
  name?: string;
  /** false: one attempt only (`opscron run`), whatever the job's retries say. */
  retries?: boolean;
  /** Told whenever a running job reports progress (the CLI draws it). */
  onProgress?: (runId: string, progress: RunProgress) => void;
  /** Told of every run that ended (incidents watch the checks' outcomes); the row is final, not to be changed. */
  onRunFinished?: (row: RunRow, job: JobConfig | undefined) => void;
  /** Heartbeats and the orphan sweep run on it, and run rows are dated by it (tests move it). */
  clock?: Clock;
  /** A run queued a mail (a report job): send it now. */
  onMailQueued?: () => void;
}

/** resolveParams with the job type looked up in the registry (tests, the CLI). */
export function resolveParams(config: JobConfig, requested: Record<string, unknown>): unknown {
  const definition = jobTypes.get(config.type);
  if (!definition) throw new InvalidRunError(`job type "${config.type}" is not known to this opscron`);
  return resolveRequestParams(definition, config, requested);
}

/** Past this many run rows waiting to be written (the store is slow or down), finishing runs wait. */
const MAX_BACKLOG = 5000;

export class RunWorker {
  readonly name: string;
  /** A worker that has not beaten for this long is presumed gone, and its running runs are closed. */
  readonly leaseMs: number;
  private readonly jobs: Map<string, JobConfig>;
  private readonly lockTtl: number;
  private readonly clock: Clock;
  private readonly watch: RunWatch;
  private readonly producerAudit: ProducerAudit;
  private consumer: Consumer | null = null;
  private heartbeat: Loop | null = null;

  constructor(private readonly o: WorkerOptions) {
    logHistoryErrors(o.store.runLog, o.logger);
    this.clock = o.clock ?? systemClock;
    // The process's name in run rows, with a random part: a restarted container has the
    // same host name and often the same pid, and must not pass for its predecessor.
    this.name = o.name ?? `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
    this.jobs = new Map(o.config.jobs.map((j) => [j.id, j]));
    this.lockTtl = Math.max(5_000, o.config.queue.lockDuration);
    this.leaseMs = Math.max(10_000, 2 * o.config.queue.lockDuration);
    this.producerAudit = new ProducerAudit(o.store, o.logger);
    this.watch = new RunWatch((row) => {
      void o.store.runLog.write(row).catch((e) => o.logger.warn({ err: e, run: row.id }, 'could not record run start'));
    });
    o.locks.onCancel((jobId) =>
      this.watch.abort(new RunCancelledError('replaced by a newer run (concurrency: replace)'), jobId),
    );
  }

  /** Starts taking work and beating; resolves once the first beat and orphan sweep are done. */
  start(concurrency = this.o.config.queue.concurrency): Promise<void> {
    this.consumer = this.o.queue.process((job) => this.handle(job), concurrency);
    this.heartbeat = startHeartbeat({
      store: this.o.store,
      name: this.name,
      clock: this.clock,
      leaseMs: this.leaseMs,
      logger: this.o.logger,
    });
    return this.heartbeat.first;
  }

  /** Progress of the runs in this process, by run id. */
  progress(): Map<string, RunProgress | undefined> {
    return this.watch.progress();
  }

  /** Stops taking work; running jobs get `graceMs` to finish, then are cancelled through their signal. */
  async stop(graceMs: number): Promise<void> {
    if (!this.consumer) return;
    const closing = this.consumer.close();
    const timer = setTimeout(() => this.watch.abort(new RunCancelledError('opscron is shutting down')), graceMs);
    await closing;
    clearTimeout(timer);
    this.consumer = null;
    await this.heartbeat?.stop();
    this.heartbeat = null;
    await this.o.store.runLog.drain();
    // Stopped cleanly: nothing of ours is running, so nobody needs to wait for our lease.
    await this.o.store.workers
      .forget(this.name)
      .catch((error: unknown) => this.o.logger.warn({ err: error }, "could not remove this worker's heartbeat"));
  }

  /** Runs one queue job to its end and returns the final row of this attempt. Never throws. */
  async handle(job: QueuedJob): Promise<RunRow> {
    const config = this.jobs.get(job.name);
    const row = attemptRow(job, config, new Date(this.clock.now()), this.name);
    try {
      const checked = checkDelivery(job, config, row, this.o.store.grantKey, this.o.config.jobs);
      return await this.execute(job, checked, row);
    } catch (error) {
      return this.finish(row, 'failed', error);
    }
  }

  private async execute(job: QueuedJob, checked: Checked, row: RunRow): Promise<RunRow> {
    const { config, definition, request, granted } = checked;
    const params = resolveRequestParams(definition, config, request.params);
    if (!granted && request.trigger !== 'schedule' && request.trigger !== 'catch-up' && job.deliveries === 1) {
      await this.producerAudit.write(config, definition, request, params);
    }
    if (job.deliveries > 1) {
      const lost = lostAttempts(
        job,
        row,
        await this.o.store.runs.ofQueueJob(job.queueId),
        new Date(this.clock.now()),
        this.name,
      );
      await Promise.all(lost.map((r) => this.o.store.runLog.write(r)));
    }
    // The lock belongs to the queue job, not the delivery: a job redelivered after its worker
    // died takes its own lock over instead of waiting for it to expire.
    if (config.concurrency !== 'allow' && !(await takeLock(this.o.locks, config, job.queueId, this.lockTtl))) {
      row.summary = `skipped: a run of ${config.id} is already running (concurrency: ${config.concurrency})`;
      return this.finish(row, 'skipped', null);
    }
    const { outcome, failure } = await this.runJob(job, config, definition, params, row);
    if (outcome) {
      const bounded = boundOutcome(outcome);
      row.summary = bounded.summary;
      row.findings = bounded.findings;
      row.metrics = bounded.metrics;
      row.targets = bounded.targets;
      return this.finish(row, bounded.status, null);
    }
    const status: RunStatus =
      failure instanceof RunTimeoutError ? 'timeout' : failure instanceof RunCancelledError ? 'cancelled' : 'failed';
    const final = await this.finish(row, status, failure);
    await this.maybeRetry(job, checked, row, failure);
    return final;
  }

  /** The job's run, watched for its timeout, under its lock (renewed while it runs). */
  private async runJob(
    job: QueuedJob,
    config: JobConfig,
    definition: JobDefinition<unknown>,
    params: unknown,
    row: RunRow,
  ): Promise<{ outcome?: JobOutcome; failure?: unknown }> {
    const ports = { store: this.o.store, config: this.o.config, feeds: jobFeeds, onMailQueued: this.o.onMailQueued };
    const ctx = new RunContext(row, config, this.o.config, ports, this.o.logger, this.clock, this.o.onProgress);
    const locked = config.concurrency !== 'allow';
    const renew = locked
      ? setInterval(
          () => void this.o.locks.renew(config.id, job.queueId, this.lockTtl).catch(() => {}),
          this.lockTtl / 3,
        )
      : null;
    row.startedAt = new Date(this.clock.now());
    this.watch.add(ctx, row, config.timeout);
    this.o.logger.info({ run: row.id, job: config.id, trigger: row.trigger, attempt: row.attempt }, 'run started');
    try {
      // The job gets its signal; if it does not stop when told, the run ends without it.
      const outcome = await new Promise<JobOutcome>((resolve, reject) => {
        ctx.onAbort = reject;
        definition.run(ctx, params).then(resolve, reject);
      });
      return { outcome };
    } catch (error) {
      return { failure: ctx.abortReason ?? error };
    } finally {
      if (renew) clearInterval(renew);
      this.watch.delete(row.id);
      if (locked) await this.o.locks.release(config.id, job.queueId).catch(() => {});
    }
  }

  /** Ends the attempt: its row final, logged, counted and written; waits only when the history is backed up. */
  private finish(row: RunRow, status: RunStatus, error: unknown): RunRow | Promise<RunRow> {
    row.status = status;
    row.finishedAt = new Date(this.clock.now());
    if (error) row.error = redact(error instanceof Error ? error.message : String(error));
    if (!row.summary) row.summary = row.error ?? status;
    row.summary = redact(row.summary);
    row.findings = redactValue(row.findings);
    const level = status === 'failed' || status === 'timeout' ? 'warn' : 'info';
    this.o.logger[level](
      { run: row.id, job: row.jobId, status, error: row.error ?? undefined },
      `run ${status}: ${row.summary}`,
    );
    const finishedAt = row.finishedAt.getTime();
    const seconds = row.startedAt ? (finishedAt - row.startedAt.getTime()) / 1000 : null;
    this.o.metrics.recordRun(row.jobId, row.jobType, status, row.trigger, seconds, finishedAt);
    // Written behind: the run is over whether or not its row is in yet. Past a backlog
    // (the database is slow or down) the worker waits, so memory stays bounded. Nothing is
    // chained on `written` otherwise (the batch's promise, handled once): a reaction per run
    // lives as long as the batch, through young-generation collections — measured, 3.5 ms
    // scavenges instead of 0.9, each promoting 1.3 MB.
    const written = this.o.store.runLog.write(row); // final: nothing changes it after this
    this.o.onRunFinished?.(row, this.jobs.get(row.jobId));
    if (this.o.store.runLog.backlog > MAX_BACKLOG)
      return written.then(
        () => row,
        () => row,
      );
    return row;
  }

  private async maybeRetry(job: QueuedJob, checked: Checked, row: RunRow, failure: unknown): Promise<void> {
    const { config, request, granted } = checked;
    // The error catalogue decides: bad input, a wrong key, a 403 never get better by retrying.
    const retryable = row.status === 'timeout' || (row.status === 'failed' && isRetryable(failure));
    if (!retryable || this.o.retries === false || row.attempt >= config.retries.attempts) return;
    const next = row.attempt + 1;
    const item = retryItem(
      this.o.store.grantKey,
      job,
      config,
      request,
      granted,
      next,
      retryDelay(config.retries, next),
    );
    try {
      await this.o.queue.enqueue([item]);
      this.o.logger.info({ run: row.id, job: config.id, next: item.id, delayMs: item.delayMs }, 'retry scheduled');
    } catch (e) {
      this.o.logger.error({ err: e, run: row.id }, 'could not schedule retry');
    }
  }
}
