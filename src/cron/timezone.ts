/**
 * Wall-clock arithmetic in IANA time zones with Intl only. A "naive" time is the wall
 * clock written as if it were UTC (Date.UTC of its fields), so it can be stepped with
 * plain arithmetic; `instantsAt` maps it back to real instants (0, 1 or 2 of them).
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this Node.js knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock time at `instant` in `timeZone`, as a naive millisecond value (seconds precision). */
export function naiveAt(instant: number, timeZone: string): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return Math.floor(instant / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  }
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
}

/** UTC offset in ms in force at `instant` (wall clock minus instant). */
export function offsetAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return naiveAt(whole, timeZone) - whole;
}

const DAY = 86_400_000;

/** True when the zone's offset changes within a day either side of `instant`. */
export function nearTransition(instant: number, timeZone: string): boolean {
  return offsetAt(instant - DAY, timeZone) !== offsetAt(instant + DAY, timeZone);
}

/**
 * The instants whose wall clock reads `naive`: one normally, two in a repeated
 * (fall-back) hour, none in a skipped (spring-forward) gap.
 */
export function instantsAt(naive: number, timeZone: string): number[] {
  const before = offsetAt(naive - DAY, timeZone);
  const after = offsetAt(naive + DAY, timeZone);
  const found = new Set<number>();
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = naive - offset;
    if (naiveAt(instant, timeZone) === naive) found.add(instant);
  }
  return [...found].sort((a, b) => a - b);
}

/** For a naive time inside a spring-forward gap: the first instant after the gap. */
export function gapEnd(naive: number, timeZone: string): number {
  const before = offsetAt(naive - DAY, timeZone);
  const after = offsetAt(naive + DAY, timeZone);
  // naive - after lies before the transition, naive - before after it.
  let lo = Math.min(naive - after, naive - before);
  let hi = Math.max(naive - after, naive - before);
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2000) * 1000;
    if (offsetAt(mid, timeZone) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}
