/** A job: what it is, pause/resume, the trigger form its type allows, and its history with filters, a page at a time. */
import type { JobConfig } from '../../../config/schema.js';
import type { JobDefinition } from '../../../jobs/types.js';
import { RUN_STATUSES, TRIGGERS, type RunStatus, type Trigger } from '../../../model.js';
import type { RunLine } from '../../../store/console-views.js';
import { allows } from '../../auth.js';
import { badge, relative, took, when } from '../format.js';
import { html, seg, type Html } from '../html.js';
import { csrfField } from '../layout.js';
import type { Session } from '../session.js';
import { paramFields } from '../trigger-form.js';

export interface JobPageData {
  session: Session;
  job: JobConfig;
  definition: JobDefinition<unknown> | undefined;
  words: string;
  timeZone: string;
  nextRun: Date | null;
  paused: boolean;
  destructive: boolean;
  now: number;
  filter: { status?: RunStatus; trigger?: Trigger };
  runs: RunLine[];
  /** The link to the next (older) page, if there is one. */
  older: string | null;
  notice: string | null;
}

function pauseForm(d: JobPageData): Html | null {
  if (!allows(d.session.principal, 'admin')) return null;
  const action = d.paused ? 'resume' : 'pause';
  return html`<form method="post" action="/jobs/${seg(d.job.id)}/${action}" class="pause">
    ${csrfField(d.session)}
    <label for="pause-reason">Reason for ${action === 'pause' ? 'pausing' : 'resuming'}</label>
    <input type="text" id="pause-reason" name="reason" maxlength="2000" required />
    <button type="submit">${action === 'pause' ? 'Pause schedule' : 'Resume schedule'}</button>
  </form>`;
}

function triggerForm(d: JobPageData): Html {
  const scope = d.session.principal.scope;
  if (!allows(d.session.principal, 'trigger'))
    return html`<p class="muted">Your token (${scope}) may read, not trigger.</p>`;
  if (d.destructive && scope !== 'admin')
    return html`<p class="muted">
      ${d.job.id} is destructive: triggering it needs an admin token (yours is ${scope}).
    </p>`;
  const fields = d.definition ? paramFields(d.definition) : [];
  return html`<form method="post" action="/jobs/${seg(d.job.id)}/trigger" class="trigger">
    ${csrfField(d.session)}
    <fieldset>
      <legend>Run now</legend>
      ${
        fields.length
          ? html`<p class="muted">
                Leave a field empty to keep the configured value. A trigger may tune only these params.
              </p>
              ${fields}`
          : html`<p class="muted">Its type lets a trigger tune no params.</p>`
      }
      ${
        d.destructive
          ? html`<p>
                <strong>Destructive</strong>: this writes to a system; it needs the admin scope and your confirmation,
                and is audited.
              </p>
              <label><input type="checkbox" name="confirm" value="true" required /> confirm: run it</label>`
          : null
      }
      <label for="trigger-reason">Reason</label><input type="text" id="trigger-reason" name="reason" maxlength="2000" />
      <p><button type="submit" class="${d.destructive ? 'danger' : 'primary'}">Trigger</button></p>
    </fieldset>
  </form>`;
}

function filters(d: JobPageData): Html {
  const option = (value: string, selected: boolean) =>
    html`<option${selected ? html` selected` : null}>${value}</option>`;
  return html`<form method="get" action="/jobs/${seg(d.job.id)}" class="filters">
    <label
      >Status
      <select name="status">
        <option value="">any</option>
        ${RUN_STATUSES.map((s) => option(s, d.filter.status === s))}
      </select></label
    >
    <label
      >Trigger
      <select name="trigger">
        <option value="">any</option>
        ${TRIGGERS.map((t) => option(t, d.filter.trigger === t))}
      </select></label
    >
    <button type="submit">Filter</button>
  </form>`;
}

function history(d: JobPageData): Html {
  if (!d.runs.length)
    return html`<p class="muted">No runs${d.filter.status || d.filter.trigger ? ' match these filters' : ' yet'}.</p>`;
  const rows = d.runs.map(
    (r) =>
      html`<tr>
        <td><a href="/runs/${seg(r.id)}">${when(r.createdAt, d.timeZone)}</a></td>
        <td>${badge(r.status)}</td>
        <td>${r.trigger}${r.requestedBy ? html` <span class="muted">by ${r.requestedBy}</span>` : null}</td>
        <td>${r.attempt}</td>
        <td>${took(r.startedAt, r.finishedAt)}</td>
        <td>${r.findingCount}</td>
        <td>${r.error ?? r.summary ?? ''}</td>
      </tr>`,
  );
  return html`<table>
      <thead>
        <tr>
          <th scope="col">Created</th>
          <th scope="col">Status</th>
          <th scope="col">Trigger</th>
          <th scope="col">Attempt</th>
          <th scope="col">Took</th>
          <th scope="col">Findings</th>
          <th scope="col">Summary</th>
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
    <nav class="pager" aria-label="History pages">
      <a
        href="/jobs/${seg(d.job.id)}${d.filter.status || d.filter.trigger ? `?${new URLSearchParams(Object.entries(d.filter).filter(([, v]) => v) as [string, string][]).toString()}` : ''}"
        >Newest</a
      >${d.older ? html`<a href="${d.older}" rel="next">Older runs</a>` : null}
    </nav>`;
}

export function jobView(d: JobPageData): Html {
  const schedule = d.job.schedule
    ? html`${d.words} <code>${d.job.schedule}</code>`
    : html`<span class="muted">manual only</span>`;
  return html`<h1>${d.job.id}</h1>
    ${d.notice ? html`<p class="notice" role="status">${d.notice}</p>` : null}
    <dl class="facts">
      <dt>Type</dt>
      <dd>${d.job.type} <span class="muted">${d.job.summary ?? d.definition?.summary ?? ''}</span></dd>
      <dt>Schedule</dt>
      <dd>${schedule}</dd>
      <dt>Next run</dt>
      <dd>
        ${d.nextRun ? html`${when(d.nextRun, d.timeZone)} <span class="muted">${relative(d.nextRun, d.now)}</span>` : '—'}
      </dd>
      <dt>State</dt>
      <dd>
        ${!d.job.enabled ? badge('disabled') : d.paused ? badge('paused') : 'active'}${d.destructive ? html` ${badge('destructive')}` : null}
      </dd>
    </dl>
    ${pauseForm(d)} ${triggerForm(d)}
    <h2>History</h2>
    ${filters(d)} ${history(d)}`;
}
