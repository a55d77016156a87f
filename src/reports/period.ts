/** Report periods and calendar days in a time zone. */
import { OpscronError } from '../errors.js';
import { MAX_REPORT_PERIOD_MS } from '../limits.js';
import type { Period } from './types.js';

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/** yyyy-mm-dd of an instant in a time zone. */
export function dayIn(at: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format)
    dayFormats.set(
      timeZone,
      (format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })),
    );
  return format.format(at);
}

/** The calendar days a period touches, in order (walking hours, so DST days count once). */
export function daysOf(period: Period): string[] {
  const days: string[] = [];
  for (let t = period.from.getTime(); t < period.to.getTime(); t += 3_600_000) {
    const day = dayIn(new Date(t), period.timeZone);
    if (days[days.length - 1] !== day) days.push(day);
  }
  const last = dayIn(new Date(period.to.getTime() - 1), period.timeZone);
  if (period.to > period.from && days[days.length - 1] !== last) days.push(last);
  return days;
}

/** A period ending at `to` (default now) and lasting `lengthMs`, or from explicit bounds. */
export function periodOf(options: { from?: Date; to?: Date; lengthMs: number; timeZone: string; now: Date }): Period {
  const to = options.to ?? options.now;
  if (!Number.isFinite(options.lengthMs) || options.lengthMs <= 0 || options.lengthMs > MAX_REPORT_PERIOD_MS) {
    throw new OpscronError(
      'OPSCRON_BAD_PERIOD',
      `period length ${options.lengthMs} ms — must be more than 0 and at most ${MAX_REPORT_PERIOD_MS / 86_400_000} days`,
    );
  }
  const from = options.from ?? new Date(to.getTime() - options.lengthMs);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()))
    throw new OpscronError('OPSCRON_BAD_PERIOD', 'period: "from" and "to" must be valid times');
  if (!(from < to))
    throw new OpscronError(
      'OPSCRON_BAD_PERIOD',
      `period ${from.toISOString()} .. ${to.toISOString()} — "from" must be before "to"`,
    );
  if (to.getTime() - from.getTime() > MAX_REPORT_PERIOD_MS) {
    throw new OpscronError(
      'OPSCRON_BAD_PERIOD',
      `period ${from.toISOString()} .. ${to.toISOString()} — a report covers at most ${MAX_REPORT_PERIOD_MS / 86_400_000} days; make several`,
    );
  }
  return { from, to, timeZone: options.timeZone };
}

/** Parses a --from/--to argument: an ISO date or date-time; bare dates are midnight UTC. */
export function parseInstant(value: string, name: string): Date {
  const at = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime()))
    throw new OpscronError(
      'OPSCRON_BAD_ARGUMENT',
      `${name} "${value}" — must be a date (2026-11-01) or a date-time (2026-11-01T08:00:00Z)`,
    );
  return at;
}
