/**
 * Silences and maintenance windows, after Alertmanager's: a silence selects signals by
 * matchers on `service` and `signal` (all must match) and is active from startsAt to endsAt.
 * A maintenance window is a silence with a cron schedule and a duration: inside its span it
 * is active only in [slot, slot + duration). A silenced signal still records its runs and
 * its incident; nobody is notified and no remediation runs while it is. Pure.
 *
 *            startsAt                                         endsAt (or expired: now)
 *   pending ────┴──► active (fixed) / in a window ⇄ between windows ──┴──► expired
 */
import { parseCron, CronSyntaxError } from '../cron/expression.js';
import { nextSlot } from '../cron/slots.js';
import { isValidTimeZone } from '../cron/timezone.js';
import { MATCHER_NAMES, type Matcher, type Silence } from '../model.js';
import { linearPattern, patternProblem, type Pattern } from '../analysis/pattern.js';

export type { Matcher, Silence } from '../model.js';

/** The bounds a silence is held to (config `silences`). */
export interface SilenceLimits {
  /** How long a fixed silence may last. */
  maxDurationMs: number;
  /** How long the span of a maintenance window may be. */
  maxWindowSpanMs: number;
  /** How long one window may be. */
  maxWindowMs: number;
}

const MAX_VALUE = 200;

/** Parses `service=checkout`, `signal!=latency`, `service=~checkout-.*` or `signal!~am/.*`; throws naming what is wrong and what is allowed. */
export function parseMatcher(text: string): Matcher {
  const m = /^\s*([a-z]+)\s*(=~|!~|!=|=)\s*(.*?)\s*$/.exec(text);
  if (!m)
    throw new Error(
      `matcher "${text.slice(0, 80)}": must be name=value, name!=value, name=~regex or name!~regex, name one of service, signal`,
    );
  const [, name, op, raw] = m;
  if (!(MATCHER_NAMES as readonly string[]).includes(name!))
    throw new Error(`matcher "${text.slice(0, 80)}": name "${name}" is not one of ${MATCHER_NAMES.join(', ')}`);
  const value = raw!.replace(/^"(.*)"$/, '$1');
  checkValue(value, `matcher "${text.slice(0, 80)}"`);
  if (op === '=~' || op === '!~') {
    const problem = patternProblem(anchored(value));
    if (problem) throw new Error(`matcher "${text.slice(0, 80)}": the value ${problem}`);
  }
  return { name: name as Matcher['name'], op: op as Matcher['op'], value };
}

function checkValue(value: string, where: string): void {
  if (!value) throw new Error(`${where}: the value is empty`);
  if (value.length > MAX_VALUE)
    throw new Error(`${where}: the value is ${value.length} characters; at most ${MAX_VALUE}`);
  if ([...value].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f') || !value.isWellFormed())
    throw new Error(`${where}: the value must not contain control characters`);
}

/** A new silence's fields, checked: throws naming the field, the value and what is allowed. */
export function checkSilence(
  s: Pick<Silence, 'matchers' | 'startsAt' | 'endsAt' | 'schedule' | 'timeZone' | 'durationMs'>,
  limits: SilenceLimits,
): void {
  if (!s.matchers.length) throw new Error('matchers: at least one is needed (service=... and/or signal=...)');
  if (!s.matchers.some((m) => m.op === '=' || m.op === '=~'))
    throw new Error(
      'matchers: at least one must be name=value or name=~regex (a silence of everything but ... is too wide)',
    );
  for (const m of s.matchers)
    if (m.op === '=~' && WIDTH_PROBES.some((probe) => regexOf(m.value).test(probe)))
      throw new Error(
        `matchers: ${m.name}=~"${m.value}" matches any ${m.name} (it matches "" or a made-up name): too wide; name what it silences`,
      );
  if (!(s.endsAt > s.startsAt))
    throw new Error(`endsAt: ${s.endsAt.toISOString()} must be after startsAt ${s.startsAt.toISOString()}`);
  const span = s.endsAt.getTime() - s.startsAt.getTime();
  if (s.schedule === null) {
    if (span > limits.maxDurationMs)
      throw new Error(`endsAt: the silence would last ${human(span)}; at most ${human(limits.maxDurationMs)}`);
    return;
  }
  try {
    parseCron(s.schedule);
  } catch (error) {
    throw new Error(`schedule: ${error instanceof CronSyntaxError ? error.message : String(error)}`);
  }
  if (s.timeZone !== null && !isValidTimeZone(s.timeZone))
    throw new Error(`timeZone: "${s.timeZone.slice(0, 80)}" is not an IANA time zone (e.g. Europe/Paris)`);
  if (!s.durationMs || s.durationMs < 60_000 || s.durationMs > limits.maxWindowMs)
    throw new Error(`duration: ${human(s.durationMs ?? 0)} must be from 1m to ${human(limits.maxWindowMs)}`);
  if (span > limits.maxWindowSpanMs)
    throw new Error(
      `endsAt: the maintenance window would recur for ${human(span)}; at most ${human(limits.maxWindowSpanMs)}`,
    );
}

const human = (ms: number): string =>
  ms % 86_400_000 === 0
    ? `${ms / 86_400_000}d`
    : ms % 3_600_000 === 0
      ? `${ms / 3_600_000}h`
      : `${Math.round(ms / 60_000)}m`;

/** Regex matchers match the whole value, as Alertmanager's do. */
const anchored = (value: string) => `^(?:${value})$`;
/** Values no real service or signal has: a regex matching one of them matches anything. */
const WIDTH_PROBES = ['', 'opscron-silence-width-probe-7f3a/x'];
/** Compiled regex matchers, bounded (values come from the store, at most 10 per silence). */
const compiled = new Map<string, Pattern>();
function regexOf(value: string): Pattern {
  let re = compiled.get(value);
  if (!re) {
    if (compiled.size >= 1000) compiled.clear();
    re = linearPattern(anchored(value));
    compiled.set(value, re);
  }
  return re;
}

/** Whether every matcher of the silence holds for the signal (`=~`/`!~`: RE2, whole value). */
export function matches(matchers: readonly Matcher[], target: { service: string; signal: string }): boolean {
  return matchers.every((m) => {
    const value = target[m.name];
    if (m.op === '=' || m.op === '!=') return (value === m.value) === (m.op === '=');
    try {
      return regexOf(m.value).test(value) === (m.op === '=~');
    } catch {
      return false; // a stored value that is no pattern (written by hand) silences nothing
    }
  });
}

/** When the silence mutes now: [from, to), or null if it does not. */
export function activeWindow(s: Silence, now: Date, defaultTimeZone = 'UTC'): { from: Date; to: Date } | null {
  const t = now.getTime();
  if (t < s.startsAt.getTime() || t >= s.endsAt.getTime()) return null;
  if (s.schedule === null || s.durationMs === null) return { from: s.startsAt, to: s.endsAt };
  // The first slot after now - duration is the only one whose window can hold now.
  const slot = nextSlot(parseCron(s.schedule), s.timeZone ?? defaultTimeZone, t - s.durationMs);
  if (slot === null || slot > t || slot < s.startsAt.getTime()) return null;
  return { from: new Date(slot), to: new Date(Math.min(slot + s.durationMs, s.endsAt.getTime())) };
}

/** The silence muting the signal now (the one that lasts longest), or null. */
export function silencing(
  silences: readonly Silence[],
  target: { service: string; signal: string },
  now: Date,
  defaultTimeZone = 'UTC',
): { silence: Silence; until: Date } | null {
  let best: { silence: Silence; until: Date } | null = null;
  for (const s of silences) {
    if (!matches(s.matchers, target)) continue;
    const window = activeWindow(s, now, defaultTimeZone);
    if (window && (!best || window.to > best.until)) best = { silence: s, until: window.to };
  }
  return best;
}

/** Whether every one of the signals is silenced now (an incident is quiet only if all its signals are). */
export function allSilenced(
  silences: readonly Silence[],
  service: string,
  signals: readonly string[],
  now: Date,
  defaultTimeZone = 'UTC',
): boolean {
  return (
    signals.length > 0 && signals.every((signal) => silencing(silences, { service, signal }, now, defaultTimeZone))
  );
}

/** The matchers as Alertmanager writes them: `service="checkout", signal!="latency"`. */
export const describeMatchers = (matchers: readonly Matcher[]): string =>
  matchers.map((m) => `${m.name}${m.op}"${m.value}"`).join(', ');

/** A silence as the API and the CLI show it: its fields, and whether it mutes now and until when. */
export function silenceView(s: Silence, now: Date, timeZone: string): Record<string, unknown> {
  const window = activeWindow(s, now, timeZone);
  const state = now < s.startsAt ? 'pending' : now >= s.endsAt ? 'expired' : window ? 'active' : 'between-windows';
  return { ...s, state, activeUntil: window?.to ?? null };
}
