/**
 * The rules of a run request, wherever it comes from (the scheduler, the CLI, the API,
 * incidents, any BullMQ producer) and wherever it is checked (the API and CLI before they
 * queue it, the worker again when it takes it): its shape and bounds, the params the run
 * gets, the trigger boundary, run ids and retry backoff. Pure: no I/O.
 *
 * The trigger boundary (DESIGN.md): a trigger may tune a run — thresholds, limits, a
 * period, dryRun: the params its job type lists as `overridable` — but never retarget it.
 * Any other override (a URL, headers, a CA file, a scratch database, a namespace, a
 * pattern) needs the admin scope, is audited as an override, and travels to the worker
 * with a grant: an HMAC, under a key only opscron's store holds, over exactly what was
 * allowed. A request without a valid grant (any other producer) may only tune.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { JobConfig } from './config/schema.js';
import { formatIssues } from './config/load.js';
import { InvalidRunError } from './errors.js';
import { TRIGGERS } from './model.js';
import { destructiveFor, type JobDefinition } from './jobs/types.js';
import { boundsIssue, PARAM_LIMITS } from './limits.js';

/** Runs may be scheduled for any time from here to year 9999 (PostgreSQL holds no year 0). */
const SCHEDULED_RANGE = { min: Date.UTC(2000, 0, 1), max: Date.UTC(9999, 11, 31) };

/** The overrides a request carries: a plain object within the bounds of PARAM_LIMITS. */
export const requestParams = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const issue = boundsIssue(value, PARAM_LIMITS);
  if (issue) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
});

/** What a queue job's data must look like; anything else is refused with a clear error. */
export const runRequestSchema = z.strictObject({
  params: requestParams.default({}),
  trigger: z.enum(TRIGGERS).default('manual'),
  requestedBy: z.string().min(1).max(200).default('queue'),
  reason: z.string().max(2000).optional(),
  scheduledFor: z.iso
    .datetime({ offset: true })
    .refine(
      (s) => {
        const at = Date.parse(s);
        return at >= SCHEDULED_RANGE.min && at <= SCHEDULED_RANGE.max;
      },
      { error: 'must be a time between 2000 and 9999' },
    )
    .optional(),
  attempt: z.number().int().min(1).max(100).default(1),
  /** Who checked and audited it (opscron's CLI, API, incidents, or the worker for a retry); trusted only with a valid grant. */
  source: z.enum(['cli', 'api', 'console', 'incident', 'queue']).optional(),
  /** HMAC over the request (see grantFor): opscron checked it and wrote its audit entry. */
  grant: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .optional(),
});

export type RunRequest = z.output<typeof runRequestSchema>;

/**
 * Overrides that name params the job type does not let a trigger change (targets and
 * credentials). Keys that are no param of the type at all are left to validation, which
 * says "unknown key" and lists the real ones.
 */
export function retargetedParams(
  definition: Pick<JobDefinition<unknown>, 'overridable' | 'params'>,
  requested: Record<string, unknown>,
): string[] {
  const allowed = new Set<string>(definition.overridable);
  const known = (definition.params as { shape?: Record<string, unknown> }).shape;
  return Object.keys(requested).filter(
    (key) => key !== 'confirm' && !allowed.has(key) && (!known || Object.hasOwn(known, key)),
  );
}

/** The message for overrides a trigger may not make, naming each and what it may tune instead. */
export function retargetMessage(
  definition: Pick<JobDefinition<unknown>, 'type' | 'overridable'>,
  keys: string[],
  who: string,
): string {
  const allowed = definition.overridable.length ? definition.overridable.join(', ') : 'none';
  return `${keys.map((k) => `params.${k}`).join(', ')}: ${who} may not override ${keys.length === 1 ? 'this param' : 'these params'} — it chooses what the run talks to or acts on, so it comes from the configuration (or an admin override, audited); ${definition.type} lets a trigger tune: ${allowed}`;
}

/**
 * The params a run gets: the job's configured params overridden by the request's, checked
 * against the job type's schema. Destructive types also need `confirm: true`.
 * Throws InvalidRunError naming each bad field.
 */
export function resolveParams(
  definition: JobDefinition<unknown>,
  config: JobConfig,
  requested: Record<string, unknown>,
): unknown {
  if (!hasKeys(requested)) {
    // Nothing overridden (every scheduled fire): the answer depends on the job alone.
    const cached = unchanged.get(config);
    if (cached) return cached.params;
    const params = resolve(definition, config, requested);
    if (isPlainData(params)) unchanged.set(config, { params: deepFreeze(params) });
    return params;
  }
  return resolve(definition, config, requested);
}

/**
 * Params of runs that override nothing, per job, shared by its runs: so frozen, and only
 * when plain data (a RegExp or Date would carry state from one run to the next).
 */
const unchanged = new WeakMap<JobConfig, { params: unknown }>();

function resolve(definition: JobDefinition<unknown>, config: JobConfig, requested: Record<string, unknown>): unknown {
  const { confirm, ...overrides } = requested;
  const merged = { ...config.params, ...overrides };
  const parsed = definition.params.safeParse(merged);
  if (!parsed.success)
    throw new InvalidRunError(
      `bad params: ${formatIssues(definition.params, parsed.error, merged, ['params']).join('; ')}`,
    );
  if ((destructiveFor(definition, parsed.data) || config.destructive) && confirm !== true)
    throw new InvalidRunError(`${config.id} is destructive: add confirm: true to the params to run it`);
  return parsed.data;
}

/**
 * Whether running the job with these overrides is destructive. For types destructive only
 * for some params, params that do not validate count as destructive: the worker refuses
 * them anyway, and they must not slip past the admin check.
 */
export function isDestructive(
  definition: JobDefinition<unknown> | undefined,
  job: JobConfig,
  overrides: Record<string, unknown> = {},
): boolean {
  if (job.destructive) return true;
  if (typeof definition?.destructive !== 'function') return definition?.destructive === true;
  const { confirm: _confirm, ...rest } = overrides;
  const parsed = definition.params.safeParse({ ...job.params, ...rest });
  return parsed.success ? definition.destructive(parsed.data) : true;
}

/**
 * Whether a trigger tuned the run: its overrides (a run row's `params`) hold anything but
 * `confirm`. Such a run was judged by thresholds the trigger chose, not the configured
 * check: it moves no incident signal and keeps no state for the job's next runs — else a
 * `trigger` token could open or resolve incidents, reset a failure streak, or teach
 * log-analysis a baseline that hides new errors.
 */
export function tunedByTrigger(overrides: unknown): boolean {
  if (overrides === null || typeof overrides !== 'object') return false;
  return Object.keys(overrides).some((key) => key !== 'confirm');
}

export function hasKeys(value: object): boolean {
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

function isPlainData(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function' && typeof value !== 'symbol';
  if (Array.isArray(value)) return value.every(isPlainData);
  const proto = Object.getPrototypeOf(value) as unknown;
  return (proto === Object.prototype || proto === null) && Object.values(value).every(isPlainData);
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** The queue id without a retry's `-rN`: the id every attempt of one request shares. */
export const rootQueueId = (queueId: string): string => queueId.replace(/-r\d+$/, '');

/** The queue id of retry `attempt` of the request whose queue id is `queueId`. */
export const retryQueueId = (queueId: string, attempt: number): string => `${rootQueueId(queueId)}-r${attempt}`;

/** A queue id for a manual run: unique, and free of ':' (BullMQ reserves it). */
export function manualRunId(jobId: string): string {
  return `${jobId}__m${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

/** Delay before retry `attempt` (2 = first retry): base·2^(n-2), capped, with jitter in [½, 1]. */
export function retryDelay(
  retries: { backoff: number; maxBackoff: number },
  nextAttempt: number,
  random = Math.random,
): number {
  const exponential = Math.min(retries.maxBackoff, retries.backoff * 2 ** Math.max(0, nextAttempt - 2));
  return Math.round(exponential * (0.5 + random() / 2));
}

/** What a grant covers: the request as checked, bound to its queue id (retries share the root). */
interface GrantSubject {
  queueId: string;
  job: string;
  params: Record<string, unknown>;
  requestedBy: string;
  source: string;
}

/** JSON with object keys sorted, so the same request always signs the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const grantText = (s: GrantSubject) =>
  canonicalJson({ q: rootQueueId(s.queueId), j: s.job, p: s.params, r: s.requestedBy, s: s.source });

/** The grant for a request opscron checked and audited: base64url HMAC-SHA256. */
export function grantFor(key: Buffer, subject: GrantSubject): string {
  return createHmac('sha256', key).update(grantText(subject)).digest('base64url');
}

/** Whether `grant` was made by grantFor with this key for exactly this request. */
export function grantValid(key: Buffer, subject: GrantSubject, grant: string | undefined): boolean {
  if (!grant) return false;
  const want = Buffer.from(grantFor(key, subject));
  const got = Buffer.from(grant);
  return got.length === want.length && timingSafeEqual(got, want);
}
