/** Reports: the list, and one with its PDF inline and its deliveries. */
import type { DeliveryState } from '../../../store/deliveries.js';
import type { ReportRecord } from '../../../store/reports.js';
import { badge, when } from '../format.js';
import { html, seg, type Html } from '../html.js';

export function reportsView(list: ReportRecord[], timeZone: string): Html {
  if (!list.length)
    return html`<h1>Reports</h1>
      <p class="muted">No reports yet.</p>`;
  return html`<h1>Reports</h1>
    <table>
      <thead>
        <tr>
          <th scope="col">Created</th>
          <th scope="col">Report</th>
          <th scope="col">Kind</th>
          <th scope="col">Status</th>
          <th scope="col">Period</th>
        </tr>
      </thead>
      <tbody>
        ${list.map(
          (r) =>
            html`<tr>
              <td>${when(r.createdAt, timeZone)}</td>
              <td><a href="/reports/${seg(r.id)}">${r.title}</a></td>
              <td>${r.kind}</td>
              <td>${badge(r.status)}</td>
              <td>${when(r.periodFrom, r.timezone)} – ${when(r.periodTo, r.timezone)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
}

export function reportView(r: ReportRecord, deliveries: DeliveryState[], timeZone: string): Html {
  const pdf = `/api/reports/${seg(r.id)}/pdf`;
  return html`<h1>${r.title}</h1>
    <p>${badge(r.status)} ${r.summary.headline}</p>
    <dl class="facts">
      <dt>Kind</dt>
      <dd>${r.kind}</dd>
      <dt>Created</dt>
      <dd>${when(r.createdAt, timeZone)}</dd>
      <dt>Period</dt>
      <dd>${when(r.periodFrom, r.timezone)} – ${when(r.periodTo, r.timezone)} (${r.timezone})</dd>
      <dt>Size</dt>
      <dd>${r.bytes} bytes, SHA-256 <code>${r.sha256}</code></dd>
      ${r.summary.figures.map(
        ([k, v]) =>
          html`<dt>${k}</dt>
            <dd>${v}</dd>`,
      )}
    </dl>
    <h2>Deliveries</h2>
    ${
      deliveries.length
        ? html`<table>
            <thead>
              <tr>
                <th scope="col">Delivery</th>
                <th scope="col">State</th>
                <th scope="col">Attempts</th>
                <th scope="col">Sent</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              ${deliveries.map(
                (d) =>
                  html`<tr>
                    <td>#${d.id}</td>
                    <td>${badge(d.status)}</td>
                    <td>${d.attempts}</td>
                    <td>${when(d.sentAt, timeZone)}</td>
                    <td>${d.lastError ?? ''}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">Not sent anywhere (stored only).</p>`
    }
    <h2>PDF</h2>
    <p><a href="${pdf}">Open the PDF</a></p>
    <iframe class="pdf" src="${pdf}" title="${r.title} (PDF)"></iframe>`;
}
