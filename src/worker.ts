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
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { formatIssues } from './config/load.js';
import type { JobConfig, OpscronConfig } from './config/schema.js';
import { InvalidRunError, RunCancelledError, RunTimeoutError } from './errors.js';
import { jobTypes } from './jobs/index.js';
import { destructiveFor, type JobOutcome } from './jobs/types.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import { redact, redactValue } from './observability/redact.js';
import type { RunLocks } from './queue/locks.js';
import type { Consumer, QueuedJob, RunQueue } from './queue/types.js';
import { writeAudit } from './store/audit.js';
import type { Store } from './store/index.js';
import { runsOfQueueJob, type RunRow, type RunStatus } from './store/runs.js';
import { RunContext, type RunProgress } from './run-context.js';

export type { RunProgress } from './run-context.js';

/** What a queue job's data must look like; anything else is refused with a clear error. */
export const runRequestSchema = z.strictObject({
  params: z.record(z.string(), z.unknown()).default({}),
  trigger: z.enum(['schedule', 'manual', 'catch-up', 'retry']).default('manual'),
  requestedBy: z.string().min(1).max(200).default('queue'),
  reason: z.string().max(2000).optional(),
  scheduledFor: z.iso.datetime({ offset: true }).optional(),
  attempt: z.number().int().min(1).max(100).default(1),
  /** Set by opscron's own CLI and API, which audit the trigger themselves; absent from other producers. */
  source: z.enum(['cli', 'api', 'incident']).optional(),
});

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
}

/**
 * The params a run gets: the job's configured params overridden by the request's, checked
 * against the job type's schema. Destructive types also need `confirm: true`.
 * Throws InvalidRunError naming each bad field.
 */
export function resolveParams(config: JobConfig, requested: Record<string, unknown>): unknown {
  if (!hasKeys(requested)) {
    // Nothing overridden (every scheduled fire): the answer depends on the job alone.
    const cached = unchanged.get(config);
    if (cached) return cached.params;
    const params = resolve(config, requested);
    if (isPlainData(params)) unchanged.set(config, { params: deepFreeze(params) });
    return params;
  }
  return resolve(config, requested);
}

/**
 * Params of runs that override nothing, per job, shared by its runs: so frozen, and only
 * when plain data (a RegExp or Date would carry state from one run to the next).
 */
const unchanged = new WeakMap<JobConfig, { params: unknown }>();

function resolve(config: JobConfig, requested: Record<string, unknown>): unknown {
  const definition = jobTypes.get(config.type);
  if (!definition) throw new InvalidRunError(`job type "${config.type}" is not known to this opscron`);
  const { confirm, ...overrides } = requested;
  const merged = { ...config.params, ...overrides };
  const parsed = definition.params.safeParse(merged);
  if (!parsed.success) throw new InvalidRunError(`bad params: ${formatIssues(definition.params, parsed.error, merged, ['params']).join('; ')}`);
  if ((destructiveFor(definition, parsed.data) || config.destructive) && confirm !== true) throw new InvalidRunError(`${config.id} is destructive: add confirm: true to the params to run it`);
  return parsed.data;
}

function hasKeys(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

function isPlainData(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function' && typeof value !== 'symbol';
  if (Array.isArray(value)) return value.every(isPlainData);
  const proto = Object.getPrototypeOf(value) as unknown;
  return (proto === Object.prototype || proto === null) && Object.values(value).every(isPlainData);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** Delay before retry `attempt` (2 = first retry): base·2^(n-2), capped, with jitter in [½, 1]. */
export function retryDelay(job: Pick<JobConfig, 'retries'>, nextAttempt: number, random = Math.random): number {
  const exponential = Math.min(job.retries.maxBackoff, job.retries.backoff * 2 ** Math.max(0, nextAttempt - 2));
  return Math.round(exponential * (0.5 + random() / 2));
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

  constructor(private readonly o: WorkerOptions) {
    o.store.runLog.onError = (error, rows) => o.logger.error({ err: error, rows }, 'could not write run history; keeping the rows and retrying');
    this.name = o.name ?? `${hostname()}:${process.pid}`;
    this.jobs = new Map(o.config.jobs.map((j) => [j.id, j]));
    this.lockTtl = Math.max(5_000, o.config.queue.lockDuration);
    o.locks.onCancel((jobId) => {
      for (const { ctx } of this.active.values()) if (ctx.jobId === jobId) ctx.abort(new RunCancelledError('replaced by a newer run (concurrency: replace)'));
    });
  }

  start(concurrency = this.o.config.queue.concurrency): void {
    this.consumer = this.o.queue.process((job) => this.handle(job), concurrency);
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
    await this.o.store.runLog.drain();
  }

  /** Runs one queue job to its end and returns the final row of this attempt. Never throws. */
  async handle(job: QueuedJob): Promise<RunRow> {
    const runId = job.deliveries > 1 ? `${job.queueId}.${job.deliveries}` : job.queueId;
    const config = this.jobs.get(job.name);
    const row: RunRow = {
      id: runId, queueId: job.queueId, jobId: job.name, jobType: config?.type ?? 'unknown', trigger: 'manual',
      scheduledFor: null, createdAt: new Date(), startedAt: null, finishedAt: null, attempt: job.deliveries,
      status: 'running', summary: null, findings: [], metrics: null, error: null, params: null,
      requestedBy: null, reason: null, worker: this.name,
    };
    try {
      if (!config) {
        const known = this.o.config.jobs.map((j) => j.id).join(', ') || 'none';
        throw new InvalidRunError(`unknown job "${job.name}"; configured jobs: ${known}`);
      }
      const parsed = runRequestSchema.safeParse(job.data ?? {});
      if (!parsed.success) throw new InvalidRunError(`bad queue data: ${formatIssues(runRequestSchema, parsed.error, job.data, ['data']).join('; ')}`);
      const request = parsed.data;
      row.trigger = request.attempt > 1 ? 'retry' : request.trigger;
      row.scheduledFor = request.scheduledFor ? new Date(request.scheduledFor) : null;
      row.attempt = request.attempt + job.deliveries - 1;
      row.requestedBy = redact(request.requestedBy);
      row.reason = request.reason ? redact(request.reason) : null;
      row.params = redactValue(request.params);
      return await this.execute(job, config, request, row);
    } catch (error) {
      return this.finish(row, 'failed', error);
    }
  }

  private async execute(job: QueuedJob, config: JobConfig, request: z.output<typeof runRequestSchema>, row: RunRow): Promise<RunRow> {
    const definition = jobTypes.get(config.type)!;
    const params = resolveParams(config, request.params);
    if (request.trigger === 'manual' && !request.source && request.attempt === 1 && job.deliveries === 1) {
      // From a producer other than opscron's CLI or API: the worker is the first to see it.
      const destructive = destructiveFor(definition, params) || config.destructive;
      const entry = { actor: request.requestedBy, source: 'queue' as const, action: destructive ? 'trigger-destructive' : 'trigger', jobId: config.id, params: request.params, reason: request.reason };
      // A destructive action starts only once it is on the record, and not at all if it
      // cannot be recorded; any other run's entry is written beside it, as its history row is.
      if (destructive) {
        await writeAudit(this.o.store.sql, entry).catch((e: unknown) => {
          throw new Error(`not started: the audit entry of this destructive run could not be written (${e instanceof Error ? e.message : String(e)})`);
        });
      } else {
        // Entries kept at the same time share one promise: one handler for them all.
        const kept = writeAudit(this.o.store.sql, entry, { retain: true });
        if (kept !== this.auditWatched) {
          this.auditWatched = kept;
          kept.catch((e) => this.o.logger.error({ err: e }, 'could not write the audit entries of runs before the store closed'));
        }
      }
    }

    if (job.deliveries > 1) await this.recordLostDeliveries(job, row);

    // The lock belongs to the queue job, not the delivery: a job redelivered after its worker
    // died takes its own lock over instead of waiting for it to expire.
    const owner = job.queueId;
    if (config.concurrency !== 'allow' && !(await this.takeLock(config, owner))) {
      row.summary = `skipped: a run of ${config.id} is already running (concurrency: ${config.concurrency})`;
      return this.finish(row, 'skipped', null);
    }

    const ctx = new RunContext(row, config, this.o.config, this.o.store.sql, this.o.logger, this.o.onProgress);
    const renew = config.concurrency === 'allow' ? null : setInterval(() => void this.o.locks.renew(config.id, owner, this.lockTtl).catch(() => {}), this.lockTtl / 3);
    row.startedAt = new Date();
    // Most runs end within milliseconds and get their row written once, at the end; one
    // still going after START_ROW_DELAY_MS is written as running (see watch).
    const now = performance.now();
    this.active.set(row.id, { ctx, row, timeoutMs: config.timeout, rowDueAt: config.timeout <= START_ROW_DELAY_MS ? Infinity : now + START_ROW_DELAY_MS, deadline: now + config.timeout });
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
      row.summary = outcome.summary;
      row.findings = outcome.findings;
      row.metrics = outcome.metrics ?? null;
      return this.finish(row, outcome.status, null);
    }
    const status: RunStatus = failure instanceof RunTimeoutError ? 'timeout' : failure instanceof RunCancelledError ? 'cancelled' : 'failed';
    const final = await this.finish(row, status, failure);
    await this.maybeRetry(job, config, request, row, failure);
    return final;
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
          void this.o.store.runLog.write(run.row).catch((e) => this.o.logger.warn({ err: e, run: run.row.id }, 'could not record run start'));
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
    const prior = await runsOfQueueJob(this.o.store.sql, job.queueId);
    const lost: RunRow[] = [];
    for (let d = 1; d < job.deliveries; d++) {
      const id = d === 1 ? job.queueId : `${job.queueId}.${d}`;
      const seen = prior.find((r) => r.id === id);
      if (seen && seen.status !== 'running') continue;
      lost.push({
        ...row, ...(seen ?? {}), id, attempt: row.attempt - (job.deliveries - d), status: 'failed', finishedAt: new Date(),
        error: `worker ${seen?.worker ?? '(unknown)'} stopped mid-run (no lock renewal); taken up again by ${this.name}`,
        summary: 'worker lost mid-run', createdAt: seen?.createdAt ?? row.createdAt,
      });
    }
    await Promise.all(lost.map((r) => this.o.store.runLog.write(r)));
  }

  /** Ends the attempt: its row final, logged, counted and written; waits only when the history is backed up. */
  private finish(row: RunRow, status: RunStatus, error: unknown): RunRow | Promise<RunRow> {
    row.status = status;
    row.finishedAt = new Date();
    if (error) row.error = redact(error instanceof Error ? error.message : String(error));
    if (!row.summary) row.summary = row.error ?? status;
    row.summary = redact(row.summary);
    row.findings = redactValue(row.findings);
    const level = status === 'failed' || status === 'timeout' ? 'warn' : 'info';
    this.o.logger[level]({ run: row.id, job: row.jobId, status, error: row.error ?? undefined }, `run ${status}: ${row.summary}`);
    const finishedAt = row.finishedAt.getTime();
    this.o.metrics.recordRun(row.jobId, row.jobType, status, row.trigger, row.startedAt ? (finishedAt - row.startedAt.getTime()) / 1000 : null, finishedAt);
    // Written behind: the run is over whether or not its row is in yet. Past a backlog
    // (the database is slow or down) the worker waits, so memory stays bounded. Nothing is
    // chained on `written` otherwise (the batch's promise, handled once): a reaction per run
    // lives as long as the batch, through young-generation collections — measured, 3.5 ms
    // scavenges instead of 0.9, each promoting 1.3 MB.
    const written = this.o.store.runLog.write(row); // final: nothing changes it after this
    this.o.onRunFinished?.(row, this.jobs.get(row.jobId));
    if (this.o.store.runLog.backlog > MAX_BACKLOG) return written.then(() => row, () => row);
    return row;
  }

  private async maybeRetry(job: QueuedJob, config: JobConfig, request: z.output<typeof runRequestSchema>, row: RunRow, failure: unknown): Promise<void> {
    const retryable = row.status === 'timeout' || (row.status === 'failed' && !(failure instanceof InvalidRunError));
    if (!retryable || this.o.retries === false || row.attempt >= config.retries.attempts) return;
    const next = row.attempt + 1;
    const delayMs = retryDelay(config, next);
    const id = `${job.queueId.replace(/-r\d+$/, '')}-r${next}`;
    try {
      await this.o.queue.enqueue([{ id, name: config.id, data: { ...request, attempt: next }, delayMs }]);
      this.o.logger.info({ run: row.id, job: config.id, next: id, delayMs }, 'retry scheduled');
    } catch (e) {
      this.o.logger.error({ err: e, run: row.id }, 'could not schedule retry');
    }
  }
}

/** A queue id for a manual run: unique, and free of ':' (BullMQ reserves it). */
export function manualRunId(jobId: string): string {
  return `${jobId}__m${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}
