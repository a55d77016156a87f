/**
 * What operators do by hand, the same from the CLI and the HTTP API: trigger a one-off
 * run through the queue, pause or resume a schedule. Each is checked before it happens
 * and written to the audit log with who asked, from where and why.
 */
import type { JobConfig, OpscronConfig } from './config/schema.js';
import { ForbiddenError, InvalidRunError, OpscronError } from './errors.js';
import { jobTypes } from './jobs/index.js';
import type { JobDefinition } from './jobs/types.js';
import type { RunQueue } from './queue/types.js';
import {
  grantFor,
  isDestructive as destructiveRequest,
  manualRunId,
  resolveParams,
  retargetedParams,
  retargetMessage,
  runRequestSchema,
  type RunRequest,
} from './run-request.js';
import type { Scheduler } from './scheduler.js';
import type { AuditSource, RunRow, Scope } from './model.js';
import type { Store } from './store/index.js';
import { parseCron } from './cron/expression.js';
import { nextSlot } from './cron/slots.js';
import { formatIssues } from './config/load.js';

export interface ActionDeps {
  config: OpscronConfig;
  queue: RunQueue;
  /** null: no shared store here (CLI without DATABASE_URL); the run row still names the actor. */
  store: Store | null;
  scheduler?: Scheduler | null;
}

export interface TriggerRequest {
  jobId: string;
  params?: Record<string, unknown>;
  reason?: string;
  actor: string;
  source: Exclude<AuditSource, 'scheduler' | 'queue'>;
  /** What the asker may do (an API token's scope); the CLI and incidents act with the configuration's authority. */
  scope?: Scope;
}

export class UnknownJobError extends OpscronError {
  constructor(jobId: string, config: OpscronConfig) {
    super(
      'OPSCRON_UNKNOWN_JOB',
      `unknown job "${jobId}"; configured jobs: ${config.jobs.map((j) => j.id).join(', ') || 'none'}`,
    );
  }
}

export function findJob(config: OpscronConfig, jobId: string): JobConfig {
  const job = config.jobs.find((j) => j.id === jobId);
  if (!job) throw new UnknownJobError(jobId, config);
  return job;
}

function definitionOf(job: JobConfig): JobDefinition<unknown> {
  const definition = jobTypes.get(job.type);
  if (!definition) throw new InvalidRunError(`job type "${job.type}" is not known to this opscron`);
  return definition;
}

/** Whether running the job with these overrides is destructive (see run-request.ts). */
export function isDestructive(job: JobConfig, overrides: Record<string, unknown> = {}): boolean {
  return destructiveRequest(jobTypes.get(job.type), job, overrides);
}

export interface CheckedTrigger {
  job: JobConfig;
  data: RunRequest;
  destructive: boolean;
  /** Overrides of params the job type does not let a trigger change (allowed to admin only). */
  retargeted: string[];
}

/**
 * Checks a manual trigger as the worker will (job, queue data, params) and against the
 * asker's scope: a destructive run, or an override of a param that is not the trigger's
 * to change, needs admin. Throws naming the problem: 403 for scope, 400 for the request.
 */
export function checkTrigger(config: OpscronConfig, request: TriggerRequest): CheckedTrigger {
  const job = findJob(config, request.jobId);
  const definition = definitionOf(job);
  const parsed = runRequestSchema.safeParse({
    params: request.params ?? {},
    trigger: 'manual',
    requestedBy: request.actor,
    reason: request.reason,
    source: request.source,
  });
  if (!parsed.success)
    throw new InvalidRunError(
      formatIssues(runRequestSchema, parsed.error, { params: request.params, reason: request.reason }, []).join('; '),
    );
  const data = parsed.data;
  const retargeted = retargetedParams(definition, data.params);
  const destructive = destructiveRequest(definition, job, data.params);
  const scope = request.scope ?? 'admin';
  if (scope !== 'admin') {
    if (retargeted.length)
      throw new ForbiddenError(
        `${retargetMessage(definition, retargeted, `a ${scope} token`)}. An admin token may, and is audited for it.`,
      );
    if (destructive)
      throw new ForbiddenError(
        `${job.id} is destructive: triggering it needs the admin scope (this token has ${scope})`,
      );
  }
  resolveParams(definition, job, data.params);
  return { job, data, destructive, retargeted };
}

/** How a checked run request gets to a worker: the queue, or (opscron run) this process's worker. */
export type Deliver = (queueId: string, jobId: string, data: RunRequest) => Promise<unknown>;

/**
 * Checks, audits and enqueues a manual run; returns its queue id (also the id of its first
 * run row). `deliver` replaces the queue (opscron run hands it to its own worker).
 */
export async function triggerRun(deps: ActionDeps, request: TriggerRequest, deliver?: Deliver): Promise<string> {
  const { job, data, destructive, retargeted } = checkTrigger(deps.config, request);
  const queueId = manualRunId(job.id);
  const enqueue = () =>
    deliver ? deliver(queueId, job.id, data) : deps.queue.enqueue([{ id: queueId, name: job.id, data }]);
  if (!deps.store) {
    // Nothing to sign with and nowhere to write the entry from here: sent without a
    // source, the worker that takes the run audits it (source queue) — and, unsigned, it
    // may only tune the run.
    if (retargeted.length)
      throw new ForbiddenError(
        `${retargeted.map((k) => `params.${k}`).join(', ')}: overriding ${retargeted.length === 1 ? 'this param' : 'these params'} needs the shared store to audit and sign the request: set DATABASE_URL, or trigger through a running opscron with --server`,
      );
    delete data.source;
    await enqueue();
    return queueId;
  }
  const action = `${destructive ? 'trigger-destructive' : 'trigger'}${retargeted.length ? '-override' : ''}`;
  data.grant = grantFor(deps.store.grantKey, {
    queueId,
    job: job.id,
    params: data.params,
    requestedBy: data.requestedBy,
    source: request.source,
  });
  // On the record before it can start: if the entry cannot be written (the store is down),
  // nothing is queued and the caller is told to try again — never a run that happened
  // unaudited after an error answer (which a retrying client would run twice).
  try {
    await deps.store.audit.write({
      actor: request.actor,
      source: request.source,
      action,
      jobId: job.id,
      params: data.params,
      reason: request.reason,
    });
  } catch (error) {
    throw new OpscronError(
      'OPSCRON_AUDIT_UNWRITTEN',
      `not queued: the audit entry could not be written (${error instanceof Error ? error.message : String(error)}); nothing will run — try again`,
      { cause: error },
    );
  }
  try {
    await enqueue();
  } catch (error) {
    throw new OpscronError(
      'OPSCRON_QUEUE_UNAVAILABLE',
      `not queued: the queue did not take the run (${error instanceof Error ? error.message : String(error)}); the audit log records the attempt — try again`,
      { cause: error },
    );
  }
  return queueId;
}

export interface JobOverview {
  job: JobConfig;
  timezone: string;
  nextRun: Date | null;
  lastRun: RunRow | null;
  paused: boolean;
  destructive: boolean;
}

/** Each configured job with its next slot, last run and pause state: `opscron list` and GET /api/jobs. */
export async function jobsOverview(config: OpscronConfig, store: Store, now = Date.now()): Promise<JobOverview[]> {
  const [latest, states] = await Promise.all([store.runs.latest(), store.schedules.load()]);
  return config.jobs.map((job) => {
    const timezone = job.timezone ?? config.timezone;
    const next = job.schedule && job.enabled ? nextSlot(parseCron(job.schedule), timezone, now) : null;
    return {
      job,
      timezone,
      nextRun: next === null ? null : new Date(next),
      lastRun: latest.get(job.id) ?? null,
      paused: states.get(job.id)?.paused ?? false,
      destructive: isDestructive(job),
    };
  });
}

/** Pauses or resumes a job's schedule; stored, so it holds across restarts and replicas. */
export async function setJobPaused(
  deps: ActionDeps & { store: Store },
  jobId: string,
  paused: boolean,
  actor: string,
  source: AuditSource,
  reason?: string,
): Promise<void> {
  findJob(deps.config, jobId);
  if (deps.scheduler) {
    await (paused
      ? deps.scheduler.pause(jobId, actor, source, reason)
      : deps.scheduler.resume(jobId, actor, source, reason));
    return;
  }
  // A worker-only process: the schedulers pick the change up within seconds.
  await deps.store.schedules.setPaused(jobId, paused, actor);
  await deps.store.audit.write({ actor, source, action: paused ? 'pause' : 'resume', jobId, reason });
}
