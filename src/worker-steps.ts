/**
 * The worker's decisions about one delivery, apart from its loop: what a request no
 * opscron process checked may ask, who audits a producer's run, which earlier attempts a
 * redelivery closes, and what a retry carries.
 */
import type { JobConfig } from './config/schema.js';
import { InvalidRunError, OpscronError } from './errors.js';
import { destructiveFor, type JobDefinition } from './jobs/types.js';
import type { RunRow } from './model.js';
import type { Logger } from './observability/logger.js';
import type { RunLocks } from './queue/locks.js';
import type { QueuedJob } from './queue/types.js';
import { formatIssues } from './config/load.js';
import { jobTypes } from './jobs/index.js';
import { redact, redactParams } from './observability/redact.js';
import {
  grantFor,
  grantValid,
  hasKeys,
  retargetedParams,
  retargetMessage,
  retryQueueId,
  runRequestSchema,
  type RunRequest,
} from './run-request.js';
import type { Store } from './store/index.js';
import type { RunLog } from './store/run-log.js';

/** What a request's grant covers (run-request.ts grantFor). */
export function grantSubject(queueId: string, config: JobConfig, request: RunRequest) {
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
export function checkUngranted(definition: JobDefinition<unknown>, request: RunRequest): void {
  if ((request.trigger === 'schedule' || request.trigger === 'catch-up') && hasKeys(request.params)) {
    throw new InvalidRunError(
      `data.params: a ${request.trigger} fire runs the job as configured and carries no params; send trigger "manual" to tune a run`,
    );
  }
  const retargeted = retargetedParams(definition, request.params);
  if (retargeted.length) throw new InvalidRunError(retargetMessage(definition, retargeted, 'a queue producer'));
}

/**
 * Audit entries of runs from producers other than opscron's CLI, API or incidents: the
 * worker is the first to see them. A destructive action starts only once it is on the
 * record, and not at all if it cannot be recorded; any other run's entry is written beside
 * it, as its history row is, kept and retried through an outage.
 */
export class ProducerAudit {
  /** Entries kept at the same time share one promise: one handler for them all. */
  private watched: Promise<void> | null = null;

  constructor(
    private readonly store: Pick<Store, 'audit'>,
    private readonly logger: Logger,
  ) {}

  async write(
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
      await this.store.audit.write(entry).catch((e: unknown) => {
        throw new OpscronError(
          'OPSCRON_AUDIT_UNWRITTEN',
          `not started: the audit entry of this destructive run could not be written (${e instanceof Error ? e.message : String(e)})`,
          { cause: e },
        );
      });
      return;
    }
    const kept = this.store.audit.write(entry, { retain: true });
    if (kept !== this.watched) {
      this.watched = kept;
      kept.catch((e) =>
        this.logger.error({ err: e }, 'could not write the audit entries of runs before the store closed'),
      );
    }
  }
}

/**
 * A delivery above 1 means a worker died mid-run: the attempts it left open (not written,
 * or still `running`) are closed as failed, so history shows them.
 */
export function lostAttempts(job: QueuedJob, row: RunRow, prior: RunRow[], now: Date, takenUpBy: string): RunRow[] {
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
      finishedAt: now,
      error: `worker ${seen?.worker ?? '(unknown)'} stopped mid-run (no lock renewal); taken up again by ${takenUpBy}`,
      summary: 'worker lost mid-run',
      createdAt: seen?.createdAt ?? row.createdAt,
    });
  }
  return lost;
}

/**
 * The queue item of the next attempt. Checked and audited by now: it carries a grant, so
 * it is not audited again; a source the request could not prove is not passed on.
 */
export function retryItem(
  key: Buffer,
  job: QueuedJob,
  config: JobConfig,
  request: RunRequest,
  granted: boolean,
  next: number,
  delayMs: number,
) {
  const id = retryQueueId(job.queueId, next);
  const source = granted ? (request.source ?? 'queue') : 'queue';
  const grant = grantFor(key, {
    queueId: id,
    job: config.id,
    params: request.params,
    requestedBy: request.requestedBy,
    source,
  });
  return { id, name: config.id, data: { ...request, attempt: next, source, grant }, delayMs };
}

/** The row of one attempt as it starts: `running`, named for the delivery (`<queue id>.<n>` when redelivered). */
export function attemptRow(job: QueuedJob, config: JobConfig | undefined, now: Date, worker: string): RunRow {
  return {
    id: job.deliveries > 1 ? `${job.queueId}.${job.deliveries}` : job.queueId,
    queueId: job.queueId,
    jobId: job.name,
    jobType: config?.type ?? 'unknown',
    trigger: 'manual',
    scheduledFor: null,
    createdAt: now,
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
    worker,
  };
}

/**
 * The job's run lock (concurrency forbid or replace); owned by the queue job, so a
 * redelivery takes its own lock over. `replace` cancels the running one and waits for it
 * to let go (up to the timeout, at most 30 s).
 */
export async function takeLock(locks: RunLocks, config: JobConfig, owner: string, ttlMs: number): Promise<boolean> {
  if (await locks.acquire(config.id, owner, ttlMs)) return true;
  if (config.concurrency !== 'replace') return false;
  await locks.cancel(config.id);
  const deadline = Date.now() + Math.min(config.timeout, 30_000);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    if (await locks.acquire(config.id, owner, ttlMs)) return true;
  }
  return false;
}

/** What the run log tells about statements it retries and rows it repairs or drops, logged. */
export function logHistoryErrors(runLog: RunLog, logger: Logger): void {
  runLog.onError = (error, context) => {
    const message =
      context.action === 'retry'
        ? 'could not write run history; keeping the rows and retrying'
        : context.action === 'repaired'
          ? 'the store refused part of a run row; it was written with that field replaced'
          : 'the store refused a run row even repaired; it was dropped';
    logger.error({ err: error, rows: context.rows, run: context.id }, message);
  };
}

/** A delivery that parsed: its job, type and request, and whether opscron signed it. */
export interface Checked {
  config: JobConfig;
  definition: JobDefinition<unknown>;
  request: RunRequest;
  granted: boolean;
}

/**
 * Untrusted until parsed: the job, its type, the request's shape and bounds, and what an
 * unsigned request may ask. Fills the row with what the request says (redacted).
 */
export function checkDelivery(
  job: QueuedJob,
  config: JobConfig | undefined,
  row: RunRow,
  grantKey: Buffer,
  configured: readonly JobConfig[],
): Checked {
  if (!config)
    throw new InvalidRunError(
      `unknown job "${job.name}"; configured jobs: ${configured.map((j) => j.id).join(', ') || 'none'}`,
    );
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
  row.params = redactParams(request.params);
  const granted =
    request.grant !== undefined && grantValid(grantKey, grantSubject(job.queueId, config, request), request.grant);
  if (!granted) checkUngranted(definition, request);
  return { config, definition, request, granted };
}
