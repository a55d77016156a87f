/**
 * What operators do by hand, the same from the CLI and the HTTP API: trigger a one-off
 * run through the queue, pause or resume a schedule. Each is checked before it happens
 * and written to the audit log with who asked, from where and why.
 */
import type { z } from 'zod';
import type { JobConfig, OpscronConfig } from './config/schema.js';
import { InvalidRunError, OpscronError } from './errors.js';
import { jobTypes } from './jobs/index.js';
import type { RunQueue } from './queue/types.js';
import type { Scheduler } from './scheduler.js';
import { writeAudit, type AuditSource } from './store/audit.js';
import type { Store } from './store/index.js';
import { loadScheduleStates, setPaused } from './store/schedule-state.js';
import { latestRuns, type RunRow } from './store/runs.js';
import { parseCron } from './cron/expression.js';
import { nextSlot } from './cron/slots.js';
import { manualRunId, resolveParams, runRequestSchema } from './worker.js';

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
}

export class UnknownJobError extends OpscronError {
  constructor(jobId: string, config: OpscronConfig) {
    super('OPSCRON_UNKNOWN_JOB', `unknown job "${jobId}"; configured jobs: ${config.jobs.map((j) => j.id).join(', ') || 'none'}`);
  }
}

export function findJob(config: OpscronConfig, jobId: string): JobConfig {
  const job = config.jobs.find((j) => j.id === jobId);
  if (!job) throw new UnknownJobError(jobId, config);
  return job;
}

/**
 * Whether running the job (with these param overrides) is destructive. For types that are
 * destructive only for some params, params that do not validate count as destructive:
 * the worker refuses them anyway, and they must not slip past the admin check.
 */
export function isDestructive(job: JobConfig, overrides: Record<string, unknown> = {}): boolean {
  if (job.destructive) return true;
  const definition = jobTypes.get(job.type);
  if (typeof definition?.destructive !== 'function') return definition?.destructive === true;
  const { confirm: _confirm, ...rest } = overrides;
  const parsed = definition.params.safeParse({ ...job.params, ...rest });
  return parsed.success ? definition.destructive(parsed.data) : true;
}

/** Checks a manual trigger as the worker will (job, queue data, params); throws naming the problem. */
export function checkTrigger(config: OpscronConfig, request: TriggerRequest): { job: JobConfig; data: z.output<typeof runRequestSchema> } {
  const job = findJob(config, request.jobId);
  const parsed = runRequestSchema.safeParse({ params: request.params ?? {}, trigger: 'manual', requestedBy: request.actor, reason: request.reason, source: request.source });
  if (!parsed.success) throw new InvalidRunError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  resolveParams(job, parsed.data.params);
  return { job, data: parsed.data };
}

/** Checks and enqueues a manual run; returns its queue id (also the id of its first run row). */
export async function triggerRun(deps: ActionDeps, request: TriggerRequest): Promise<string> {
  const { job, data } = checkTrigger(deps.config, request);
  const queueId = manualRunId(job.id);
  const enqueue = () => deps.queue.enqueue([{ id: queueId, name: job.id, data }]);
  if (!deps.store) {
    // Nowhere to write the entry from here: sent without a source, the worker that takes
    // the run writes it (source queue), before a destructive run starts.
    delete data.source;
    await enqueue();
    return queueId;
  }
  const destructive = isDestructive(job, data.params);
  const audit = () => writeAudit(deps.store!.sql, { actor: request.actor, source: request.source, action: destructive ? 'trigger-destructive' : 'trigger', jobId: job.id, params: data.params, reason: request.reason });
  // A destructive run is on the record before it can start: if the entry cannot be
  // written, nothing is queued. Any other is recorded once it is queued.
  if (destructive) await audit();
  await enqueue();
  if (!destructive) await audit();
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
  const [latest, states] = await Promise.all([latestRuns(store.sql), loadScheduleStates(store.sql)]);
  return config.jobs.map((job) => {
    const timezone = job.timezone ?? config.timezone;
    const next = job.schedule && job.enabled ? nextSlot(parseCron(job.schedule), timezone, now) : null;
    return {
      job, timezone, nextRun: next === null ? null : new Date(next), lastRun: latest.get(job.id) ?? null,
      paused: states.get(job.id)?.paused ?? false, destructive: isDestructive(job),
    };
  });
}

/** Pauses or resumes a job's schedule; stored, so it holds across restarts and replicas. */
export async function setJobPaused(deps: ActionDeps & { store: Store }, jobId: string, paused: boolean, actor: string, source: AuditSource, reason?: string): Promise<void> {
  findJob(deps.config, jobId);
  if (deps.scheduler) {
    await (paused ? deps.scheduler.pause(jobId, actor, source, reason) : deps.scheduler.resume(jobId, actor, source, reason));
    return;
  }
  // A worker-only process: the schedulers pick the change up within seconds.
  await setPaused(deps.store.sql, jobId, paused, actor);
  await writeAudit(deps.store.sql, { actor, source, action: paused ? 'pause' : 'resume', jobId, reason });
}
