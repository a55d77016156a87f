/**
 * Creating and expiring silences, the same from the API and the CLI: checked against the
 * configured bounds, kept by the store, written to the audit log with who and why.
 */
import { randomBytes } from 'node:crypto';
import { compactUtc, type Clock } from '../clock.js';
import type { OpscronConfig } from '../config/schema.js';
import { OpscronError } from '../errors.js';
import type { AuditSource } from '../model.js';
import type { Store } from '../store/index.js';
import { checkSilence, describeMatchers, parseMatcher, type Silence } from './silence.js';

export interface SilenceDeps {
  config: OpscronConfig;
  store: Pick<Store, 'silences' | 'audit'>;
  clock: Pick<Clock, 'now'>;
}

/** What a person asks for: matchers as text (`service=checkout`), a period or a schedule. */
export interface SilenceRequest {
  matchers: string[];
  /** Default: now. */
  startsAt?: Date;
  /** A fixed silence: endsAt or duration. A window: the end of its recurrence (endsAt or default maxWindowSpan). */
  endsAt?: Date;
  /** For a fixed silence, how long from startsAt; for a window, each window's length. */
  durationMs?: number;
  schedule?: string;
  timeZone?: string;
  reason: string;
  actor: string;
  source: Exclude<AuditSource, 'scheduler' | 'queue'>;
}

const bad = (message: string) => new OpscronError('OPSCRON_BAD_ARGUMENT', message);

/** Builds the silence a request asks for, or throws naming the field that cannot be taken. */
export function silenceFrom(config: OpscronConfig, r: SilenceRequest, now: Date): Silence {
  const reason = r.reason.trim();
  if (!reason) throw bad('reason: say why (it is on every incident the silence mutes)');
  if (reason.length > 500) throw bad(`reason: ${reason.length} characters; at most 500`);
  if (r.matchers.length > 10) throw bad(`matchers: ${r.matchers.length} given; at most 10`);
  const limits = {
    maxDurationMs: config.silences.maxDuration,
    maxWindowMs: config.silences.maxWindow,
    maxWindowSpanMs: config.silences.maxWindowSpan,
  };
  const startsAt = r.startsAt ?? now;
  const window = r.schedule !== undefined;
  let endsAt = r.endsAt;
  if (!endsAt && !window && r.durationMs !== undefined) endsAt = new Date(startsAt.getTime() + r.durationMs);
  if (!endsAt && window) endsAt = new Date(startsAt.getTime() + limits.maxWindowSpanMs);
  if (!endsAt) throw bad('endsAt: give endsAt or a duration (a silence without an end is not allowed)');
  try {
    const matchers = r.matchers.map(parseMatcher);
    const silence: Silence = {
      id: `sil-${compactUtc(now)}-${randomBytes(3).toString('hex')}`,
      matchers,
      startsAt,
      endsAt,
      schedule: window ? r.schedule!.trim() : null,
      timeZone: window ? (r.timeZone ?? config.timezone) : null,
      durationMs: window ? (r.durationMs ?? null) : null,
      reason,
      createdBy: r.actor,
      createdAt: now,
      expiredBy: null,
    };
    checkSilence(silence, limits);
    return silence;
  } catch (error) {
    throw bad((error as Error).message);
  }
}

export async function createSilence(deps: SilenceDeps, r: SilenceRequest): Promise<Silence> {
  const now = new Date(deps.clock.now());
  const silence = silenceFrom(deps.config, r, now);
  if (!(await deps.store.silences.create(silence, deps.config.silences.max)))
    throw new OpscronError(
      'OPSCRON_BUSY',
      `silences: ${deps.config.silences.max} are already pending or active (silences.max); expire one first`,
    );
  await deps.store.audit.write({
    actor: r.actor,
    source: r.source,
    action: 'silence-add',
    params: {
      silence: silence.id,
      matchers: describeMatchers(silence.matchers),
      startsAt: silence.startsAt.toISOString(),
      endsAt: silence.endsAt.toISOString(),
      ...(silence.schedule
        ? { schedule: silence.schedule, timeZone: silence.timeZone, duration: silence.durationMs }
        : {}),
    },
    reason: silence.reason,
  });
  return silence;
}

export async function expireSilence(
  deps: SilenceDeps,
  r: { id: string; actor: string; source: SilenceRequest['source']; reason?: string },
): Promise<Silence> {
  const now = new Date(deps.clock.now());
  if (!(await deps.store.silences.expire(r.id, now, r.actor))) {
    const found = await deps.store.silences.get(r.id);
    if (!found) throw new OpscronError('OPSCRON_NOT_FOUND', `no silence "${r.id}"`);
    throw new OpscronError('OPSCRON_INCIDENT_STATE', `silence "${r.id}" is already over; nothing was changed`);
  }
  await deps.store.audit.write({
    actor: r.actor,
    source: r.source,
    action: 'silence-expire',
    params: { silence: r.id },
    reason: r.reason ?? null,
  });
  return (await deps.store.silences.get(r.id))!;
}
