/**
 * When a schedule fires. Pure: no timers, no clock.
 *
 * DST rules (tested in test/unit/slots.test.ts):
 * - a slot whose wall-clock time falls in a spring-forward gap fires at the first instant
 *   after the gap (so a daily 02:30 job still runs on that day, at 03:00);
 * - a wall-clock time that occurs twice (fall-back) fires once, at its first occurrence,
 *   unless the schedule runs every hour: then it follows real time and fires in both.
 */
import type { CronExpression } from './expression.js';
import { gapEnd, instantsAt, naiveAt, nearTransition, offsetAt } from './timezone.js';

const DAY = 86_400_000;
const MAX_DAYS = 366 * 8;

function lastDayOfMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function nearestWeekday(year: number, month: number, target: number): number {
  const last = lastDayOfMonth(year, month);
  if (target < 1 || target > last) return -1;
  const weekday = new Date(Date.UTC(year, month - 1, target)).getUTCDay();
  if (weekday === 6) return target === 1 ? 3 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function matchesDayOfMonth(values: (number | string)[], year: number, month: number, day: number): boolean {
  for (const value of values) {
    if (value === day) return true;
    if (typeof value !== 'string') continue;
    const last = lastDayOfMonth(year, month);
    if (value === 'L' && day === last) return true;
    const weekday = /^(L|\d+)W$/.exec(value);
    if (weekday && nearestWeekday(year, month, weekday[1] === 'L' ? last : Number(weekday[1])) === day) return true;
    const offset = /^L-(\d+)$/.exec(value);
    if (offset && last - Number(offset[1]) === day) return true;
  }
  return false;
}

function matchesDayOfWeek(values: (number | string)[], year: number, month: number, day: number): boolean {
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  for (const value of values) {
    if (value === weekday || value === weekday + 7) return true;
    if (typeof value !== 'string') continue;
    const nth = /^([0-7])#([1-5])$/.exec(value);
    if (nth && Number(nth[1]) % 7 === weekday && Math.floor((day - 1) / 7) + 1 === Number(nth[2])) return true;
    const last = /^([0-7])L$/.exec(value);
    if (last && Number(last[1]) % 7 === weekday && day + 7 > lastDayOfMonth(year, month)) return true;
  }
  return false;
}

/** Naive wall-clock times matching the expression, in order, from `fromNaive` (inclusive). */
function* naiveCandidates(expr: CronExpression, fromNaive: number): Generator<number> {
  const { second, minute, hour, dayOfMonth, month, dayOfWeek } = expr.fields;
  const start = new Date(fromNaive);
  let dayStart = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
  for (let i = 0; i < MAX_DAYS; i++, dayStart += DAY) {
    const d = new Date(dayStart);
    const y = d.getUTCFullYear(),
      m = d.getUTCMonth() + 1,
      dd = d.getUTCDate();
    if (!month.includes(m) || !matchesDayOfMonth(dayOfMonth, y, m, dd) || !matchesDayOfWeek(dayOfWeek, y, m, dd))
      continue;
    for (const h of hour) {
      if (dayStart + (h + 1) * 3_600_000 <= fromNaive) continue;
      for (const mi of minute) {
        const minuteStart = dayStart + h * 3_600_000 + mi * 60_000;
        if (minuteStart + 60_000 <= fromNaive) continue;
        for (const s of second) {
          const t = minuteStart + s * 1000;
          if (t >= fromNaive) yield t;
        }
      }
    }
  }
}

function instantsFor(expr: CronExpression, naive: number, timeZone: string): number[] {
  const instants = instantsAt(naive, timeZone);
  if (instants.length === 0) return [gapEnd(naive, timeZone)];
  return expr.everyHour ? instants : instants.slice(0, 1);
}

/** The first slot strictly after `after` (ms since epoch), or null if none within 8 years. */
export function nextSlot(expr: CronExpression, timeZone: string, after: number): number | null {
  // Near a DST change a wall-clock time earlier than `after`'s may map to a later instant
  // (the repeated hour), so start the walk three hours back and keep the earliest slot.
  const near = nearTransition(after, timeZone);
  const from = naiveAt(after, timeZone) - (near ? 3 * 3_600_000 : 0);
  let best = Infinity;
  for (const naive of naiveCandidates(expr, from)) {
    // Far from a transition the offset is constant, so one lookup maps naive to instant.
    const instants =
      near || nearTransition(naive, timeZone)
        ? instantsFor(expr, naive, timeZone)
        : [naive - offsetAt(naive, timeZone)];
    if (instants[0]! > best) break;
    for (const instant of instants) if (instant > after && instant < best) best = instant;
  }
  return best === Infinity ? null : best;
}

/**
 * All slots in (from, to], oldest first, at most `limit` of them; `truncated` says
 * whether more were left out.
 */
export function slotsBetween(
  expr: CronExpression,
  timeZone: string,
  from: number,
  to: number,
  limit: number,
): { slots: number[]; truncated: boolean } {
  const slots: number[] = [];
  let cursor = from;
  for (;;) {
    const next = nextSlot(expr, timeZone, cursor);
    if (next === null || next > to) return { slots, truncated: false };
    if (slots.length === limit) return { slots, truncated: true };
    slots.push(next);
    cursor = next;
  }
}
