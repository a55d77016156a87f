/** The audit trail: who did what, from where, why. */
import type { AuditRow } from '../../../store/audit.js';
import { when } from '../format.js';
import { html, seg, type Html } from '../html.js';

export function auditView(entries: AuditRow[], timeZone: string, older: string | null): Html {
  if (!entries.length)
    return html`<h1>Audit</h1>
      <p class="muted">Nothing recorded yet.</p>`;
  return html`<h1>Audit</h1>
    <table>
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">From</th>
          <th scope="col">What</th>
          <th scope="col">Job</th>
          <th scope="col">Params</th>
          <th scope="col">Why</th>
        </tr>
      </thead>
      <tbody>
        ${entries.map(
          (a) =>
            html`<tr>
              <td>${when(a.at, timeZone)}</td>
              <td>${a.actor}</td>
              <td>${a.source}</td>
              <td>${a.action}</td>
              <td>${a.jobId ? html`<a href="/jobs/${seg(a.jobId)}">${a.jobId}</a>` : ''}</td>
              <td>
                ${a.params && Object.keys(a.params).length ? html`<code>${JSON.stringify(a.params).slice(0, 300)}</code>` : ''}
              </td>
              <td>${a.reason ?? ''}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${older ? html`<nav class="pager" aria-label="Audit pages"><a href="${older}" rel="next">Older entries</a></nav>` : null}`;
}
