/**
 * The compliance report's pages: the audit controls and how they changed since the previous
 * report, with remedies for the failing ones; backup freshness; destructive actions and
 * schedule changes; how each job ran.
 */
import { span, stamp } from '../format.js';
import type { BackupFreshness, ComplianceReport, Control } from '../types.js';
import type { ReportDocument } from './document.js';
import { jobsSection, reportTitlePage, section } from './sections.js';
import type { Cell } from './table.js';

/** Lays out the compliance report, title page first. */
export function renderCompliance(pdf: ReportDocument, r: ComplianceReport): void {
  const tz = r.period.timeZone;
  reportTitlePage(pdf, r);
  pdf.newPage();
  section(pdf, 'Controls', r.controls, (data) => {
    pdf.paragraph(
      r.previousReport
        ? `Change is against the previous compliance report ${r.previousReport.id} of ${stamp(r.previousReport.createdAt, tz)}.`
        : 'There is no earlier compliance report: every control is new.',
      { muted: true, size: 8.5 },
    );
    controlsTable(pdf, data);
    controlRemedies(pdf, data);
  });
  section(pdf, 'Backup freshness', r.backups, (data) => backupsTable(pdf, data, tz));
  section(pdf, 'Destructive actions and schedule changes', r.destructiveActions, (data) =>
    destructiveActionsTable(pdf, data, tz),
  );
  jobsSection(pdf, r.jobs);
}

/** A failed control is critical only when its finding was; any other failure is a warning. */
const controlResult = (c: Control): Cell =>
  c.passed
    ? { text: 'pass', status: 'ok' }
    : { text: 'fail', status: c.severity === 'critical' ? 'critical' : 'warning' };

function controlsTable(pdf: ReportDocument, data: Control[]): void {
  pdf.table(
    [
      { title: 'Control', width: 3.2 },
      { title: 'Result', width: 0.9 },
      { title: 'Resource', width: 3 },
      { title: 'Finding', width: 3.2 },
      { title: 'Change', width: 0.9 },
    ],
    data.map((c) => [c.id, controlResult(c), c.resource, c.title, c.change]),
    { fontSize: 7.5 },
  );
}

/** Evidence is cut to this many characters: enough to recognise, not a page of JSON. */
const EVIDENCE_CHARS = 300;

/** What to do about each failing control that has a remedy, with its evidence. */
function controlRemedies(pdf: ReportDocument, data: Control[]): void {
  const failing = data.filter((c) => !c.passed && c.remedy);
  if (!failing.length) return;
  pdf.paragraph('Remedies for failing controls:', { size: 9 });
  for (const c of failing)
    pdf.paragraph(
      `• ${c.id} (${c.resource}): ${c.remedy}${c.evidence ? ` Evidence: ${c.evidence.slice(0, EVIDENCE_CHARS)}` : ''}`,
      { size: 8.5 },
    );
}

function backupsTable(pdf: ReportDocument, data: BackupFreshness[], tz: string): void {
  pdf.table(
    [
      { title: 'Backup job', width: 3 },
      { title: 'Last success', width: 2 },
      { title: 'Age', width: 1.5, align: 'right' },
      { title: 'Target', width: 1.5, align: 'right' },
      { title: 'Fresh', width: 1.3 },
    ],
    data.map((b) => [
      b.job,
      b.lastSuccessAt ? stamp(b.lastSuccessAt, tz) : 'never',
      span(b.ageMs),
      span(b.targetMs),
      b.fresh ? { text: 'yes', status: 'ok' } : { text: 'no', status: 'critical' },
    ]),
  );
}

function destructiveActionsTable(
  pdf: ReportDocument,
  data: NonNullable<ComplianceReport['destructiveActions']['data']>,
  tz: string,
): void {
  pdf.table(
    [
      { title: 'When', width: 1.7 },
      { title: 'Who', width: 1.6 },
      { title: 'Via', width: 0.9 },
      { title: 'Action', width: 1.8 },
      { title: 'Job', width: 1.8 },
      { title: 'Reason', width: 3.2 },
    ],
    data.map((a) => [stamp(a.at, tz), a.actor, a.source, a.action, a.job ?? '—', a.reason ?? '—']),
  );
}
