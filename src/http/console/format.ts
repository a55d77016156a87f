/** How the console writes times, durations and statuses. */
import { html, type Html } from './html.js';

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('sv-SE', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Times written lately, by instant and zone: an overview writes the same next runs on every request. */
const written = new Map<string, Html>();

/** `2026-12-01 17:05:03` in the zone, in a <time> carrying the instant. */
export function when(at: Date | string | null | undefined, timeZone: string): Html {
  if (!at) return html`<span class="muted">—</span>`;
  const date = at instanceof Date ? at : new Date(at);
  const ms = date.getTime();
  if (Number.isNaN(ms)) return html`<span class="muted">—</span>`;
  const key = `${ms}|${timeZone}`;
  let out = written.get(key);
  if (!out) {
    if (written.size >= 20_000) written.clear();
    out = html`<time datetime="${date.toISOString()}">${formatter(timeZone).format(date)}</time>`;
    written.set(key, out);
  }
  return out;
}

/** "in 5 min", "3 h ago". */
export function relative(at: Date | null, now: number): string {
  if (!at) return '';
  const ms = at.getTime() - now;
  const abs = Math.abs(ms);
  const text =
    abs < 60_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 172_800_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} d`;
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

export function took(start: Date | null, end: Date | null): string {
  if (!start || !end) return '';
  const ms = end.getTime() - start.getTime();
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

/** A status as a coloured badge with its word (colour is never the only sign). */
export const badge = (status: string): Html => html`<span class="badge b-${status}">${status}</span>`;
