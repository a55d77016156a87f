/** Small pure helpers the report models share. */
import type { DayPoint, Health, JobRunSummary } from '../types.js';

/** Per-day values in the order of `days`, null where nothing was recorded. */
export function series<R extends { day: string | null }>(
  rows: readonly R[],
  days: readonly string[],
  value: (row: R) => number | null,
): DayPoint[] {
  const byDay = new Map(rows.filter((r) => r.day !== null).map((r) => [r.day!, value(r)]));
  return days.map((day) => ({ day, value: byDay.get(day) ?? null }));
}

/** Rows grouped by a key: the period total (day null) and the per-day rows. */
export function byService<R extends { service: string; day: string | null }>(
  rows: readonly R[],
): Map<string, { total?: R; days: R[] }> {
  const out = new Map<string, { total?: R; days: R[] }>();
  for (const row of rows) {
    let entry = out.get(row.service);
    if (!entry) out.set(row.service, (entry = { days: [] }));
    if (row.day === null) entry.total = row;
    else entry.days.push(row);
  }
  return out;
}

export function worst(statuses: Iterable<Health>): Exclude<Health, 'nodata'> {
  let result: Exclude<Health, 'nodata'> = 'ok';
  for (const s of statuses) {
    if (s === 'critical') return 'critical';
    if (s === 'warning') result = 'warning';
  }
  return result;
}

export function jobsHealth(jobs: readonly JobRunSummary[]): Exclude<Health, 'nodata'> {
  return worst(
    jobs.map((j) => (j.failed + j.critical > 0 ? 'critical' : j.missed + j.warning + j.other > 0 ? 'warning' : 'ok')),
  );
}

export const num = (value: unknown): number | null =>
  value === null || value === undefined || Number.isNaN(Number(value)) ? null : Number(value);

/** svc-2 before svc-10. */
export const natural = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });
