/** A run: status, findings with severity and remedy, metrics, attempts, the error — live while it runs. */
import type { RunRow } from '../../../model.js';
import { badge, took, when } from '../format.js';
import { html, seg, type Html } from '../html.js';

export interface RunPageData {
  id: string;
  /** null: queued, no worker has taken it yet. */
  run: RunRow | null;
  jobId: string;
  attempts: Array<Pick<RunRow, 'id' | 'attempt' | 'status' | 'error'>>;
  progress: { fraction: number; note?: string } | null;
  timeZone: string;
}

const ACTIVE = new Set(['running']);

function findings(run: RunRow): Html {
  if (!run.findings.length) return html`<p class="muted">No findings.</p>`;
  return html`<table>
    <thead>
      <tr>
        <th scope="col">Severity</th>
        <th scope="col">Check</th>
        <th scope="col">Resource</th>
        <th scope="col">Message</th>
        <th scope="col">Remedy</th>
      </tr>
    </thead>
    <tbody>
      ${run.findings.map(
        (f) =>
          html`<tr>
            <td>${badge(String(f.severity))}</td>
            <td>${f.check}</td>
            <td>${f.resource}</td>
            <td>${f.message}</td>
            <td>${f.remedy ?? ''}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function metrics(run: RunRow): Html | null {
  const entries = Object.entries(run.metrics ?? {});
  if (!entries.length) return null;
  return html`<h2>Metrics</h2>
    <table>
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          ([k, v]) =>
            html`<tr>
              <td>${k}</td>
              <td>${String(v)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

function attempts(d: RunPageData): Html | null {
  if (d.attempts.length < 2) return null;
  return html`<h2>Attempts</h2>
    <ol>
      ${d.attempts.map(
        (a) => html`<li><a href="/runs/${seg(a.id)}">attempt ${a.attempt}</a> ${badge(a.status)} ${a.error ?? ''}</li>`,
      )}
    </ol>`;
}

export function runView(d: RunPageData): Html {
  const run = d.run;
  const status = run?.status ?? 'queued';
  const live = !run || ACTIVE.has(run.status);
  const head = html`<h1>Run of <a href="/jobs/${seg(d.jobId)}">${d.jobId}</a></h1>
    <p>
      Status: <span id="run-status" class="badge b-${status}" role="status" aria-live="polite">${status}</span>
      <progress
        id="run-progress"
        max="1"
        value="${d.progress?.fraction ?? 0}"
        ${d.progress ? null : html` hidden`}
        aria-label="progress"
      ></progress>
      <span id="run-note" class="muted">${d.progress?.note ?? ''}</span>
    </p>`;
  if (!run)
    return html`${head}
      <div data-live="/runs/${seg(d.id)}/events">
        <p class="muted">Queued: no worker has taken it yet. This page follows it${' '}(it reloads by itself).</p>
      </div>`;
  return html`${head} ${live ? html`<div data-live="/runs/${seg(d.id)}/events"></div>` : null}
    <dl class="facts">
      <dt>Run id</dt>
      <dd><code>${run.id}</code></dd>
      <dt>Trigger</dt>
      <dd>${run.trigger}${run.requestedBy ? ` by ${run.requestedBy}` : ''}${run.reason ? ` — “${run.reason}”` : ''}</dd>
      <dt>Created</dt>
      <dd>${when(run.createdAt, d.timeZone)}</dd>
      <dt>Started</dt>
      <dd>${when(run.startedAt, d.timeZone)}</dd>
      <dt>Finished</dt>
      <dd>${when(run.finishedAt, d.timeZone)} ${took(run.startedAt, run.finishedAt)}</dd>
      <dt>Attempt</dt>
      <dd>${run.attempt}</dd>
      <dt>Summary</dt>
      <dd>${run.summary ?? ''}</dd>
      <dt>Worker</dt>
      <dd>${run.worker ?? ''}</dd>
    </dl>
    ${
      run.error
        ? html`<h2>Error</h2>
            <pre class="error">${run.error}</pre>`
        : null
    }
    <h2>Findings</h2>
    ${findings(run)} ${metrics(run)} ${attempts(d)}`;
}
