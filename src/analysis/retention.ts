/**
 * Grandfather-father-son retention: of the backups given (newest first or not), keep the
 * newest of each of the last `daily` days, `weekly` ISO weeks and `monthly` months (UTC),
 * and always the newest one. Pure: returns what to keep and what to delete.
 */
export interface Dated {
  key: string;
  at: Date;
}

export function retain<T extends Dated>(
  backups: readonly T[],
  keep: { daily: number; weekly: number; monthly: number },
): { keep: T[]; remove: T[] } {
  const sorted = [...backups].sort((a, b) => b.at.getTime() - a.at.getTime());
  const kept = new Set<T>();
  const bucket = (label: (d: Date) => string, count: number) => {
    const seen = new Set<string>();
    for (const b of sorted) {
      const l = label(b.at);
      if (seen.has(l)) continue;
      if (seen.size >= count) break;
      seen.add(l);
      kept.add(b);
    }
  };
  bucket((d) => d.toISOString().slice(0, 10), keep.daily);
  bucket(isoWeek, keep.weekly);
  bucket((d) => d.toISOString().slice(0, 7), keep.monthly);
  if (sorted[0]) kept.add(sorted[0]);
  return { keep: sorted.filter((b) => kept.has(b)), remove: sorted.filter((b) => !kept.has(b)) };
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const year = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${week}`;
}
