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
import { formatIssues } from './config/load.js';
import type { JobConfig, OpscronConfig } from './config/schema.js';
import { InvalidRunError, isRetryable, OpscronError, RunCancelledError, RunTimeoutError } from './errors.js';
import { jobFeeds, jobTypes } from './jobs/index.js';
import { destructiveFor, type JobDefinition, type JobOutcome } from './jobs/types.js';
import { startLoop, type Loop } from './loop.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import { redact, redactValue } from './observability/redact.js';
import type { RunLocks } from './queue/locks.js';
import type { Consumer, QueuedJob, RunQueue } from './queue/types.js';
import { boundOutcome } from './run-outcome.js';
import {
  grantFor,
  grantValid,
  hasKeys,
  resolveParams as resolveRequestParams,
  retargetedParams,
  retargetMessage,
  retryDelay,
  retryQueueId,
  runRequestSchema,
  type RunRequest,
} from './run-request.js';
import type { Store } from './store/index.js';
import type { RunRow, RunStatus } from './model.js';
import { RunContext, type RunProgress } from './run-context.js';

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
  /** Heartbeats and the orphan sweep run on it (tests move it). */
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

const START_ROW_DELAY_MS = 250;
const MAX_BACKLOG = 5000;
/** How often the runs in this process are checked against their deadlines. */
const WATCH_MS = 25;

/** A run in this process, with the moments its running row is due and its time is up. */
interface ActiveRun {
  ctx: RunContext;
  row: RunRow;
  timeoutMs: number;
  rowDueAt: number;
  deadline: number;
}

export class RunWorker {
  readonly name: string;
  private readonly active = new Map<string, ActiveRun>();
  private watchTimer: NodeJS.Timeout | null = null;
  private readonly jobs: Map<string, JobConfig>;
  private consumer: Consumer | null = null;
  private readonly lockTtl: number;
  private auditWatched: Promise<void> | null = null;
  private heartbeat: Loop | null = null;
  private readonly clock: Clock;
  /** A worker that has not beaten for this long is presumed gone, and its running runs are closed. */
  readonly leaseMs: number;

  constructor(private readonly o: WorkerOptions) {
    o.store.runLog.onError = (error, context) => {
      const message =
        context.action === 'retry'
          ? 'could not write run history; keeping the rows and retrying'
          : context.action === 'repaired'
            ? 'PostgreSQL refused part of a run row; it was written with that field replaced'
            : 'PostgreSQL refused a run row even repaired; it was dropped';
      o.logger.error({ err: error, rows: context.rows, run: context.id }, message);
    };
    this.clock = o.clock ?? systemClock;
    // The process's name in run rows, with a random part: a restarted container has the
    // same host name and often the same pid, and must not pass for its predecessor.
    this.name = o.name ?? `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
    this.jobs = new Map(o.config.jobs.map((j) => [j.id, j]));
    this.lockTtl = Math.max(5_000, o.config.queue.lockDuration);
    this.leaseMs = Math.max(10_000, 2 * o.config.queue.lockDuration);
    o.locks.onCancel((jobId) => {
      for (const { ctx } of this.active.values())
        if (ctx.jobId === jobId) ctx.abort(new RunCancelledError('replaced by a newer run (concurrency: replace)'));
    });
  }

  /** Starts taking work and beating; resolves once the first beat and orphan sweep are done. */
  start(concurrency = this.o.config.queue.concurrency): Promise<void> {
    this.consumer = this.o.queue.process((job) => this.handle(job), concurrency);
    const startedAt = new Date(this.clock.now());
    let first = true;
    this.heartbeat = startLoop({
      clock: this.clock,
      intervalMs: this.leaseMs / 4,
      step: async () => {
        const now = this.clock.now();
        await this.o.store.workers.beat(this.name, new Date(now), startedAt);
        // Nobody else can use an embedded store: at start, any other worker in it is gone.
        const sole = first && this.o.store.exclusive;
        first = false;
        const closed = await this.o.store.workers.closeOrphanedRuns(
          this.name,
          new Date(sole ? now : now - this.leaseMs),
          new Date(now),
          sole ? 'opscron stopped while this run was in progress' : undefined,
        );
        if (closed.length)
          this.o.logger.warn(
            { runs: closed.map((r) => r.id), workers: [...new Set(closed.map((r) => r.worker))] },
            'closed runs whose worker stopped mid-run',
          );
      },
      onError: (error) => this.o.logger.warn({ err: error }, 'worker heartbeat failed; trying again'),
    });
    return this.heartbeat.first;
  }

  /** Progress of the runs in this process, by run id. */
  progress(): Map<string, RunProgress | undefined> {
    return new Map([...this.active].map(([id, run]) => [id, run.ctx.progressState]));
  }

  /** Stops taking work; running jobs get `graceMs` to finish, then are cancelled through their signal. */
  async stop(graceMs: number): Promise<void> {
    if (!this.consumer) return;
    const closing = this.consumer.close();
    const timer = setTimeout(() => {
      for (const { ctx } of this.active.values()) ctx.abort(new RunCancelledError('opscron is shutting down'));
    }, graceMs);
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
    const runId = job.deliveries > 1 ? `${job.queueId}.${job.deliveries}` : job.queueId;
    const config = this.jobs.get(job.name);
    const row: RunRow = {
      id: runId,
      queueId: job.queueId,
      jobId: job.name,
      jobType: config?.type ?? 'unknown',
      trigger: 'manual',
      scheduledFor: null,
      createdAt: new Date(this.clock.now()),
      startedAt: null,
      finishedAt: null,
      attempt: job.deliveries,
      status: 'running',
      summary: null,
      findings: [],
      metrics: null,
      error: null,
      params: null,
      requestedBy: null,
      reason: null,
      worker: this.name,
    };
    try {
      if (!config) {
        const known = this.o.config.jobs.map((j) => j.id).join(', ') || 'none';
        throw new InvalidRunError(`unknown job "${job.name}"; configured jobs: ${known}`);
      }
      const definition = jobTypes.get(config.type);
      if (!definition) throw new InvalidRunError(`job type "${config.type}" is not known to this opscron`);
      const parsed = runRequestSchema.safeParse(job.data ?? {});
      if (!parsed.success)
        throw new InvalidRunError(
          `bad queue data: ${formatIssues(runRequestSchema, parsed.error, job.data, ['data']).join('; ')}`,
        );
      const request = parsed.data;
      row.trigger = request.attempt > 1 ? 'retry' : request.trigger;
      row.scheduledFor = request.scheduledFor ? new Date(request.scheduledFor) : null;
      row.attempt = request.attempt + job.deliveries - 1;
      row.requestedBy = redact(request.requestedBy);
      row.reason = request.reason ? redact(request.reason) : null;
      row.params = redactValue(request.params);
      const granted =
        request.grant !== undefined &&
        grantValid(this.o.store.grantKey, this.subject(job.queueId, config, request), request.grant);
      if (!granted) this.checkUngranted(definition, request);
      return await this.execute(job, config, definition, request, granted, row);
    } catch (error) {
      return this.finish(row, 'failed', error);
    }
  }

  private subject(queueId: string, config: JobConfig, request: RunRequest) {
    return {
      queueId,
      job: config.id,
      params: request.params,
      requestedBy: request.requestedBy,
      source: request.source ?? 'queue',
    };
  }

  /**
   * A request no opscron process checked (any BullMQ producer, or one that claims a source
   * it cannot prove): it may tune a manual run, never retarget it, and a scheduled fire
   * carries no params at all — the scheduler never sends any.
   */
  private checkUngranted(definition: JobDefinition<unknown>, request: RunRequest): void {
    if ((request.trigger === 'schedule' || request.trigger === 'catch-up') && hasKeys(request.params)) {
      throw new InvalidRunError(
        `data.params: a ${request.trigger} fire runs the job as configured and carries no params; send trigger "manual" to tune a run`,
      );
    }
    const retargeted = retargetedParams(definition, request.params);
    if (retargeted.length) throw new InvalidRunError(retargetMessage(definition, retargeted, 'a queue producer'));
  }

  private async execute(
    job: QueuedJob,
    config: JobConfig,
    definition: JobDefinition<unknown>,
    request: RunRequest,
    granted: boolean,
    row: RunRow,
  ): Promise<RunRow> {
    const params = resolveRequestParams(definition, config, request.params);
    if (!granted && request.trigger !== 'schedule' && request.trigger !== 'catch-up' && job.deliveries === 1) {
      await this.auditProducerRun(config, definition, request, params);
    }

    if (job.deliveries > 1) await this.recordLostDeliveries(job, row);

    // The lock belongs to the queue job, not the delivery: a job redelivered after its worker
    // died takes its own lock over instead of waiting for it to expire.
    const owner = job.queueId;
    if (config.concurrency !== 'allow' && !(await this.takeLock(config, owner))) {
      row.summary = `skipped: a run of ${config.id} is already running (concurrency: ${config.concurrency})`;
      return this.finish(row, 'skipped', null);
    }

    const ctx = new RunContext(
      row,
      config,
      this.o.config,
      { store: this.o.store, config: this.o.config, feeds: jobFeeds, onMailQueued: this.o.onMailQueued },
      this.o.logger,
      this.clock,
      this.o.onProgress,
    );
    const renew =
      config.concurrency === 'allow'
        ? null
        : setInterval(() => void this.o.locks.renew(config.id, owner, this.lockTtl).catch(() => {}), this.lockTtl / 3);
    row.startedAt = new Date(this.clock.now());
    // Most runs end within milliseconds and get their row written once, at the end; one
    // still going after START_ROW_DELAY_MS is written as running (see watch).
    const now = performance.now();
    this.active.set(row.id, {
      ctx,
      row,
      timeoutMs: config.timeout,
      rowDueAt: config.timeout <= START_ROW_DELAY_MS ? Infinity : now + START_ROW_DELAY_MS,
      deadline: now + config.timeout,
    });
    this.watch();
    this.o.logger.info({ run: row.id, job: config.id, trigger: row.trigger, attempt: row.attempt }, 'run started');

    let outcome: JobOutcome | undefined;
    let failure: unknown = null;
    try {
      // The job gets its signal; if it does not stop when told, the run ends without it.
      outcome = await new Promise<JobOutcome>((resolve, reject) => {
        ctx.onAbort = reject;
        definition.run(ctx, params).then(resolve, reject);
      });
    } catch (error) {
      failure = ctx.abortReason ?? error;
    } finally {
      if (renew) clearInterval(renew);
      this.active.delete(row.id);
      if (config.concurrency !== 'allow') await this.o.locks.release(config.id, owner).catch(() => {});
    }

    if (outcome) {
      const bounded = boundOutcome(outcome);
      row.summary = bounded.summary;
      row.findings = bounded.findings;
      row.metrics = bounded.metrics;
      return this.finish(row, bounded.status, null);
    }
    const status: RunStatus =
      failure instanceof RunTimeoutError ? 'timeout' : failure instanceof RunCancelledError ? 'cancelled' : 'failed';
    const final = await this.finish(row, status, failure);
    await this.maybeRetry(job, config, request, granted, row, failure);
    return final;
  }

  /**
   * A run from a producer other than opscron's CLI, API or incidents: the worker is the
   * first to see it, so it writes the audit entry. A destructive action starts only once
   * it is on the record, and not at all if it cannot be recorded; any other run's entry is
   * written beside it, as its history row is.
   */
  private async auditProducerRun(
    config: JobConfig,
    definition: JobDefinition<unknown>,
    request: RunRequest,
    params: unknown,
  ): Promise<void> {
    const destructive = destructiveFor(definition, params) || config.destructive;
    const entry = {
      actor: request.requestedBy,
      source: 'queue' as const,
      action: destructive ? 'trigger-destructive' : 'trigger',
      jobId: config.id,
      params: request.params,
      reason: request.reason,
    };
    if (destructive) {
      await this.o.store.audit.write(entry).catch((e: unknown) => {
        throw new OpscronError(
          'OPSCRON_AUDIT_UNWRITTEN',
          `not started: the audit entry of this destructive run could not be written (${e instanceof Error ? e.message : String(e)})`,
          { cause: e },
        );
      });
      return;
    }
    // Entries kept at the same time share one promise: one handler for them all.
    const kept = this.o.store.audit.write(entry, { retain: true });
    if (kept !== this.auditWatched) {
      this.auditWatched = kept;
      kept.catch((e) =>
        this.o.logger.error({ err: e }, 'could not write the audit entries of runs before the store closed'),
      );
    }
  }

  /**
   * One timer for all the runs in this process, while there are any, instead of one per
   * run (a Timeout and two closures for each of thousands of runs a second): a run's
   * timeout fires up to WATCH_MS late.
   */
  private watch(): void {
    this.watchTimer ??= setInterval(() => {
      if (!this.active.size) {
        clearInterval(this.watchTimer!);
        this.watchTimer = null;
        return;
      }
      const now = performance.now();
      for (const run of this.active.values()) {
        if (now >= run.deadline) {
          run.ctx.abort(new RunTimeoutError(run.timeoutMs));
        } else if (now >= run.rowDueAt) {
          run.rowDueAt = Infinity;
          void this.o.store.runLog
            .write(run.row)
            .catch((e) => this.o.logger.warn({ err: e, run: run.row.id }, 'could not record run start'));
        }
      }
    }, WATCH_MS);
  }

  private async takeLock(config: JobConfig, owner: string): Promise<boolean> {
    if (await this.o.locks.acquire(config.id, owner, this.lockTtl)) return true;
    if (config.concurrency !== 'replace') return false;
    await this.o.locks.cancel(config.id);
    const deadline = Date.now() + Math.min(config.timeout, 30_000);
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      if (await this.o.locks.acquire(config.id, owner, this.lockTtl)) return true;
    }
    return false;
  }

  /** A delivery above 1 means a worker died mid-run: its attempt is closed as failed so history shows it. */
  private async recordLostDeliveries(job: QueuedJob, row: RunRow): Promise<void> {
    const prior = await this.o.store.runs.ofQueueJob(job.queueId);
    const lost: RunRow[] = [];
    for (let d = 1; d < job.deliveries; d++) {
      const id = d === 1 ? job.queueId : `${job.queueId}.${d}`;
      const seen = prior.find((r) => r.id === id);
      if (seen && seen.status !== 'running') continue;
      lost.push({
        ...row,
        ...(seen ?? {}),
        id,
        attempt: row.attempt - (job.deliveries - d),
        status: 'failed',
        finishedAt: new Date(this.clock.now()),
        error: `worker ${seen?.worker ?? '(unknown)'} stopped mid-run (no lock renewal); taken up again by ${this.name}`,
        summary: 'worker lost mid-run',
        createdAt: seen?.createdAt ?? row.createdAt,
      });
    }
    await Promise.all(lost.map((r) => this.o.store.runLog.write(r)));
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
    this.o.metrics.recordRun(
      row.jobId,
      row.jobType,
      status,
      row.trigger,
      row.startedAt ? (finishedAt - row.startedAt.getTime()) / 1000 : null,
      finishedAt,
    );
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

  private async maybeRetry(
    job: QueuedJob,
    config: JobConfig,
    request: RunRequest,
    granted: boolean,
    row: RunRow,
    failure: unknown,
  ): Promise<void> {
    // The error catalogue decides: bad input, a wrong key, a 403 never get better by retrying.
    const retryable = row.status === 'timeout' || (row.status === 'failed' && isRetryable(failure));
    if (!retryable || this.o.retries === false || row.attempt >= config.retries.attempts) return;
    const next = row.attempt + 1;
    const delayMs = retryDelay(config.retries, next);
    const id = retryQueueId(job.queueId, next);
    // Checked and audited by now: the retry carries a grant, so it is not audited again. A
    // source the request could not prove is not passed on.
    const source = granted ? (request.source ?? 'queue') : 'queue';
    const data = {
      ...request,
      attempt: next,
      source,
      grant: grantFor(this.o.store.grantKey, {
        queueId: id,
        job: config.id,
        params: request.params,
        requestedBy: request.requestedBy,
        source,
      }),
    };
    try {
      await this.o.queue.enqueue([{ id, name: config.id, data, delayMs }]);
      this.o.logger.info({ run: row.id, job: config.id, next: id, delayMs }, 'retry scheduled');
    } catch (e) {
      this.o.logger.error({ err: e, run: row.id }, 'could not schedule retry');
    }
  }
}
