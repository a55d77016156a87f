/** The overview: open incidents on top, queue and heartbeat, then every job with its schedule in words, next run and last runs. */
import { RUN_STATUSES, type RunStatus } from '../../../model.js';
import { badge, relative, when } from '../format.js';
import { html, seg, type Html } from '../html.js';

export interface JobLine {
  id: string;
  type: string;
  schedule: string | null;
  words: string;
  nextRun: Date | null;
  /** The last runs' statuses, newest first. */
  recent: RunStatus[];
  paused: boolean;
  enabled: boolean;
}

export interface OverviewData {
  now: number;
  timeZone: string;
  jobs: JobLine[];
  incidents: Array<Record<string, unknown>>;
  queue: Record<string, number> | null;
  heartbeatAgeMs: number | null;
}

/** One mark per status, made once. */
const MARKS = Object.fromEntries(RUN_STATUSES.map((s) => [s, html`<i class="s-${s}"></i>`])) as Record<RunStatus, Html>;

function strip(recent: RunStatus[]): Html {
  if (!recent.length) return html`<span class="muted">no runs yet</span>`;
  // Oldest first, left to right; the words are for screen readers and tooltips.
  const marks = [...recent].reverse();
  const words = marks.join(', ');
  return html`<span class="strip" role="img" aria-label="last runs, oldest first: ${words}"
    >${marks.map((status) => MARKS[status])}</span
  >`;
}

function state(job: JobLine): Html {
  if (!job.enabled) return badge('disabled');
  if (job.paused) return badge('paused');
  return job.schedule ? html`<span class="muted">scheduled</span>` : html`<span class="muted">manual only</span>`;
}

function incidentsBox(incidents: Array<Record<string, unknown>>, timeZone: string): Html | null {
  if (!incidents.length) return null;
  return html`<section class="incidents" aria-labelledby="open-incidents">
    <h2 id="open-incidents">Open incidents (${incidents.length})</h2>
    <ul>
      ${incidents.map(
        (i) =>
          html`<li>
            ${badge(String(i.severity))} <a href="/incidents/${seg(String(i.id))}">${String(i.title)}</a> —
            ${String(i.service)}, opened
            ${when(i.openedAt as Date, timeZone)}${i.acknowledgedBy ? html` · acknowledged by ${String(i.acknowledgedBy)}` : null}
          </li>`,
      )}
    </ul>
  </section>`;
}

function cards(data: OverviewData): Html {
  const q = data.queue;
  const waiting = q ? (q.waiting ?? 0) + (q.delayed ?? 0) + (q.prioritized ?? 0) : null;
  const heartbeat =
    data.heartbeatAgeMs === null
      ? 'no scheduler in this process'
      : `${Math.round(data.heartbeatAgeMs / 1000)} s ago${data.heartbeatAgeMs > 30_000 ? ' — stale' : ''}`;
  return html`<div class="cards">
    <div class="card">Jobs<strong>${data.jobs.length}</strong></div>
    <div class="card">
      Queue
      waiting<strong>${waiting ?? 'unknown'}</strong>${q ? html`<span class="muted">${q.active ?? 0} active</span>` : null}
    </div>
    <div class="card">Scheduler heartbeat<strong>${heartbeat}</strong></div>
    <div class="card">Open incidents<strong>${data.incidents.length}</strong></div>
  </div>`;
}

/**
 * Rows as rendered last, per job, with what they were rendered from: most rows of a
 * thousand-job overview are the same from one request to the next, and are reused.
 */
const rendered = new Map<string, { from: string; row: Html }>();

function row(j: JobLine, data: OverviewData): Html {
  const soon = j.nextRun ? relative(j.nextRun, data.now) : '';
  const from = `${j.type}|${j.schedule}|${j.words}|${j.nextRun?.getTime()}|${soon}|${j.recent.join()}|${j.paused}|${j.enabled}|${data.timeZone}`;
  const kept = rendered.get(j.id);
  if (kept?.from === from) return kept.row;
  const out = html`<tr>
    <td><a href="/jobs/${seg(j.id)}">${j.id}</a></td>
    <td>${j.type}</td>
    <td title="${j.schedule ?? ''}">${j.words}</td>
    <td>${j.nextRun ? html`${when(j.nextRun, data.timeZone)} ${soon}` : '—'}</td>
    <td>${strip(j.recent)}</td>
    <td>${state(j)}</td>
  </tr>`;
  if (rendered.size >= 50_000) rendered.clear();
  rendered.set(j.id, { from, row: out });
  return out;
}

export function overviewView(data: OverviewData): Html {
  const rows = data.jobs.map((j) => row(j, data));
  return html`<h1>Overview</h1>
    ${incidentsBox(data.incidents, data.timeZone)} ${cards(data)}
    <h2>Jobs</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Type</th>
          <th scope="col">Schedule</th>
          <th scope="col">Next run</th>
          <th scope="col">Last runs</th>
          <th scope="col">State</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>`;
}
