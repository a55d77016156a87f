/** Incidents: the list, and one with its timeline (checks, opened, notifications, remediation, recovery, report) and actions. */
import { allows } from '../../auth.js';
import { badge, when } from '../format.js';
import { html, seg, type Html } from '../html.js';
import { csrfField } from '../layout.js';
import type { Session } from '../session.js';

type Row = Record<string, unknown>;

export function incidentsView(list: Row[], timeZone: string): Html {
  if (!list.length)
    return html`<h1>Incidents</h1>
      <p class="muted">No incidents.</p>`;
  return html`<h1>Incidents</h1>
    <table>
      <thead>
        <tr>
          <th scope="col">Opened</th>
          <th scope="col">Incident</th>
          <th scope="col">Service</th>
          <th scope="col">Severity</th>
          <th scope="col">Status</th>
          <th scope="col">Resolved</th>
        </tr>
      </thead>
      <tbody>
        ${list.map(
          (i) =>
            html`<tr>
              <td>${when(i.openedAt as Date, timeZone)}</td>
              <td><a href="/incidents/${seg(String(i.id))}">${String(i.title)}</a></td>
              <td>${String(i.service)}</td>
              <td>${badge(String(i.severity))}</td>
              <td>
                ${badge(String(i.status))}${i.acknowledgedBy ? html` <span class="muted">ack ${String(i.acknowledgedBy)}</span>` : null}
              </td>
              <td>${when(i.resolvedAt as Date | null, timeZone)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

function actions(incident: Row, session: Session): Html | null {
  if (!allows(session.principal, 'trigger')) return null;
  const id = seg(String(incident.id));
  const open = incident.status === 'open';
  const button = (action: string, label: string) =>
    html`<form method="post" action="/incidents/${id}/${action}" class="inline">
      ${csrfField(session)}<button type="submit">${label}</button>
    </form> `;
  return html`<h2>Act</h2>
    <p>
      ${open && !incident.acknowledgedAt ? button('ack', 'Acknowledge') : null}${open ? button('resolve', 'Resolve') : null}
    </p>
    <form method="post" action="/incidents/${id}/note">
      ${csrfField(session)}<label for="note">Note</label
      ><textarea id="note" name="note" rows="2" maxlength="2000" required></textarea>
      <button type="submit">Add note</button>
    </form>`;
}

export function incidentView(d: {
  incident: Row;
  events: Row[];
  notifications: Array<{ target: string; status: string; attempts: number; lastError: string | null }>;
  session: Session;
  timeZone: string;
}): Html {
  const i = d.incident;
  return html`<h1>${String(i.title)}</h1>
    <dl class="facts">
      <dt>Service</dt>
      <dd>${String(i.service)}</dd>
      <dt>Status</dt>
      <dd>${badge(String(i.status))} ${badge(String(i.severity))}</dd>
      <dt>Opened</dt>
      <dd>${when(i.openedAt as Date, d.timeZone)}</dd>
      <dt>Resolved</dt>
      <dd>${when(i.resolvedAt as Date | null, d.timeZone)}</dd>
      <dt>Report</dt>
      <dd>${i.reportId ? html`<a href="/reports/${seg(String(i.reportId))}">${String(i.reportId)}</a>` : '—'}</dd>
    </dl>
    ${actions(i, d.session)}
    <h2>Timeline</h2>
    <ol class="timeline">
      ${d.events.map(
        (e) =>
          html`<li>
            ${when(e.at as Date, d.timeZone)}
            <strong>${String(e.kind)}</strong>${e.signal ? ` (${String(e.signal)})` : ''} —
            ${String(e.message)}${e.runId ? html` <a href="/runs/${seg(String(e.runId))}">run</a>` : null}
          </li>`,
      )}
    </ol>
    <h2>Notifications</h2>
    ${
      d.notifications.length
        ? html`<table>
            <thead>
              <tr>
                <th scope="col">Channel</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              ${d.notifications.map(
                (n) =>
                  html`<tr>
                    <td>${n.target}</td>
                    <td>${badge(n.status)}</td>
                    <td>${n.attempts}</td>
                    <td>${n.lastError ?? ''}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">None.</p>`
    }`;
}
