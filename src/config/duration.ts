import { z } from 'zod';

/** Durations in config: a number of milliseconds or a string like `500ms`, `30s`, `5m`, `2h`, `90d`. */
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/**
 * Milliseconds for a duration, or null when it is not one — nor when it is too long to be
 * a whole number of milliseconds (`99…9d` would be Infinity: a timeout that never fires).
 */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number')
    return Number.isSafeInteger(Math.round(value)) && value >= 0 ? Math.round(value) : null;
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) return null;
  const ms = Math.round(Number(match[1]) * UNITS[match[2]!]!);
  return Number.isSafeInteger(ms) ? ms : null;
}

/** A duration: milliseconds as a number, or `30s`, `5m`, `2h`, `7d`. Parsed to milliseconds. */
export const duration = z
  .union([z.number().int().nonnegative(), z.string().regex(DURATION_PATTERN)], {
    error: 'must be a duration: milliseconds, or a number with ms, s, m, h or d (e.g. 30s, 5m)',
  })
  .refine((value) => parseDuration(value) !== null, {
    error: 'must be a duration of at most 285000 years (2^53 ms)',
  })
  .transform((value) => parseDuration(value)!);
