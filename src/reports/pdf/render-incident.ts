/**
 * The incident report's pages: a summary of the incident, its timeline, the actions taken
 * (remediation and people) and the findings of the failing runs that explain it.
 */
import { instant, span, stamp } from '../format.js';
import type { FindingRow, IncidentEvent, IncidentReport } from '../types.js';
import type { ReportDocument } from './document.js';
import { reportTitlePage, section, severityCell } from './sections.js';

/** Lays out the incident report, title page first. */
export function renderIncident(pdf: ReportDocument, r: IncidentReport): void {
  const tz = r.period.timeZone;
  reportTitlePage(pdf, r);
  pdf.newPage();
  incidentSummary(pdf, r.incident, tz);
  section(pdf, 'Timeline', r.timeline, (data) => timelineTable(pdf, data, tz));
  section(pdf, 'Actions taken', r.actions, (data) => actionsTable(pdf, data, tz));
  section(pdf, 'Findings that explain it', r.findings, (data) => findingsTable(pdf, data, tz));
}

/** Not a section of the model: the incident itself is always there. */
function incidentSummary(pdf: ReportDocument, i: IncidentReport['incident'], tz: string): void {
  pdf.heading('Summary');
  pdf.facts([
    ['Incident', i.id],
    ['Service', i.service],
    ['Opened', stamp(i.openedAt, tz)],
    ['Resolved', i.resolvedAt ? stamp(i.resolvedAt, tz) : 'not yet'],
    ['Signals', i.signals.join(', ') || '—'],
    ['Time to detect', span(i.timeToDetectMs)],
    ['Time to acknowledge', span(i.timeToAcknowledgeMs)],
    ['Time to recover', span(i.timeToRecoverMs)],
    ['Silenced', i.silencedBy ? `at its opening, by ${i.silencedBy} (see the timeline)` : 'no'],
  ]);
}

function timelineTable(pdf: ReportDocument, data: IncidentEvent[], tz: string): void {
  // An incident spans minutes: its times are to the second, without the year.
  pdf.paragraph(`Times are ${tz}, month-day hh:mm:ss.`, { muted: true, size: 8 });
  pdf.table(
    [
      { title: 'When', width: 1.7 },
      { title: 'Event', width: 2.3 },
      { title: 'Signal', width: 1.5 },
      { title: 'What happened', width: 6.5 },
    ],
    data.map((e) => [instant(e.at, tz), e.kind, e.signal ?? '—', e.message]),
    { fontSize: 7.5 },
  );
}

function actionsTable(pdf: ReportDocument, data: NonNullable<IncidentReport['actions']['data']>, tz: string): void {
  pdf.table(
    [
      { title: 'When', width: 1.7 },
      { title: 'Who', width: 2 },
      { title: 'Action', width: 2.3 },
      { title: 'Job', width: 1.5 },
      { title: 'Outcome / reason', width: 4.5 },
    ],
    data.map((a) => [
      instant(a.at, tz),
      a.actor,
      a.action,
      a.job ?? '—',
      [a.outcome, a.reason].filter(Boolean).join(' · ') || '—',
    ]),
    { fontSize: 7.5 },
  );
}

function findingsTable(pdf: ReportDocument, data: FindingRow[], tz: string): void {
  pdf.table(
    [
      { title: 'When', width: 1.7 },
      { title: 'Job', width: 1.8 },
      { title: 'Check', width: 1.8 },
      { title: 'Severity', width: 1.4 },
      { title: 'Finding', width: 5.3 },
    ],
    data.map((f) => [instant(f.at, tz), f.job, f.check, severityCell(f.severity), f.message]),
    { fontSize: 7.5 },
  );
}
