/** How reports write times, periods, percentages and durations. */
import type { Period } from './types.js';

const stampFormats = new Map<string, Intl.DateTimeFormat>();
export function stamp(at: Date, timeZone: string): string {
  let f = stampFormats.get(timeZone);
  if (!f)
    stampFormats.set(
      timeZone,
      (f = new Intl.DateTimeFormat('en-CA', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      })),
    );
  return f.format(at).replace(',', '');
}
export const periodText = (p: Period) => `${stamp(p.from, p.timeZone)} – ${stamp(p.to, p.timeZone)} (${p.timeZone})`;
export const pct = (v: number | null, digits = 2) => (v === null ? '—' : `${(v * 100).toFixed(digits)} %`);
export const ms = (v: number | null) =>
  v === null ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
export function span(msValue: number | null): string {
  if (msValue === null) return '—';
  const s = Math.round(msValue / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();
/** Month-day and time to the second: for incident timelines, which span minutes. */
export function instant(at: Date, timeZone: string): string {
  let f = timeFormats.get(timeZone);
  if (!f)
    timeFormats.set(
      timeZone,
      (f = new Intl.DateTimeFormat('en-CA', {
        timeZone,
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      })),
    );
  return f.format(at).replace(',', '');
}
