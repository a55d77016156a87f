/**
 * How findings write numbers and SQL: one spelling for each, so the same figure reads the
 * same in every check's message (and tests can pin it).
 */

/** A ratio as a percentage with one decimal: 0.9734 → "97.3 %". */
export const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)} %`;

/** Bytes in MiB with the given decimals: 3145728 → "3.0 MiB". */
export const mebibytes = (bytes: number, decimals = 1): string => `${(bytes / 2 ** 20).toFixed(decimals)} MiB`;

/** A statement on one line and short enough for a message (whitespace collapsed, 160 characters). */
export const shortQuery = (query: string): string => query.replace(/\s+/g, ' ').trim().slice(0, 160);

/** A length of time, rounded to what a reader needs: 42 → "42 s", 3720 → "62 min", 7200 → "2 h", 259200 → "3 d". */
export function span(seconds: number): string {
  // A clock that went back between two readings is no time at all, not a negative one.
  seconds = Math.max(0, seconds);
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 8640) / 10} d`;
}
