/**
 * The pieces more than one report is drawn with: a section that shows its data or says why
 * there is none, the title page, status cells, a bar chart placed at the cursor, and the
 * job-runs section (in the health and the compliance report).
 */
import { periodText, stamp } from '../format.js';
import { summarize } from '../summary.js';
import type { Health, JobRunSummary, Report, Section } from '../types.js';
import { barChart, type Bar, type BarChartOptions } from './charts.js';
import type { ReportDocument } from './document.js';
import { COLORS } from './palette.js';
import type { Cell } from './table.js';

/** A status cell: the status in its colour, with "no data" spelled out. */
export const statusCell = (s: Health): Cell => ({ text: s === 'nodata' ? 'no data' : s, status: s });

/** A finding's severity as a status cell: a finding of severity info reads as ok. */
export const severityCell = (severity: string): Cell => statusCell(severity === 'info' ? 'ok' : (severity as Health));

/** A section: its heading, then its data drawn by `draw`, or the sentence saying why it has none. */
export function section<T>(pdf: ReportDocument, title: string, s: Section<T>, draw: (data: T) => void): void {
  pdf.heading(title);
  if (s.empty !== undefined) pdf.empty(s.empty);
  else draw(s.data);
}

/**
 * The title page of any report. Its headline and figures are the report's summary, the same
 * the email body and the reports index show.
 */
export function reportTitlePage(pdf: ReportDocument, report: Report): void {
  const { headline, figures } = summarize(report);
  pdf.titlePage({
    product: 'opscron',
    title: report.title,
    period: `${periodText(report.period)}`,
    generated: `Generated ${stamp(report.generatedAt, report.period.timeZone)} (${report.period.timeZone}) by opscron. Times in this report are in ${report.period.timeZone}.`,
    status: report.status,
    headline,
    figures,
  });
}

/** A bar chart across the text column at the cursor (on a new page if it does not fit), the cursor left under it. */
export function barChartBlock(pdf: ReportDocument, bars: Bar[], options: BarChartOptions): void {
  pdf.ensure(bars.length * 15 + 60);
  const top = pdf.doc.y;
  const used = barChart(pdf.doc, pdf.left, top + 4, pdf.width, bars, options);
  pdf.doc.y = top + used + 8;
}

/** How each job ran in the period: a table of its runs by outcome, then the same as stacked bars. */
export function jobsSection(pdf: ReportDocument, jobs: Section<JobRunSummary[]>): void {
  section(pdf, 'Job runs', jobs, (data) => {
    jobsTable(pdf, data);
    jobsChart(pdf, data);
  });
}

function jobsTable(pdf: ReportDocument, data: JobRunSummary[]): void {
  pdf.table(
    [
      { title: 'Job', width: 3 },
      { title: 'Type', width: 2.2 },
      { title: 'Runs', width: 1, align: 'right' },
      { title: 'OK', width: 1, align: 'right' },
      { title: 'Warn', width: 1, align: 'right' },
      { title: 'Crit', width: 1, align: 'right' },
      { title: 'Failed', width: 1.1, align: 'right' },
      { title: 'Missed', width: 1.2, align: 'right' },
      { title: 'Other', width: 1.1, align: 'right' },
    ],
    data.map((j) => [
      j.job,
      j.type,
      String(j.total),
      String(j.ok),
      String(j.warning),
      String(j.critical),
      String(j.failed),
      String(j.missed),
      String(j.other),
    ]),
  );
}

/** More bars than this would not be read; the table above lists every job. */
const CHARTED_JOBS = 40;

function jobsChart(pdf: ReportDocument, data: JobRunSummary[]): void {
  const chartRows = data.slice(0, CHARTED_JOBS);
  barChartBlock(
    pdf,
    chartRows.map((j) => ({
      label: j.job,
      segments: [
        { value: j.ok, color: COLORS.ok },
        { value: j.warning, color: COLORS.warning },
        { value: j.critical + j.failed, color: COLORS.critical },
        { value: j.missed + j.other, color: COLORS.nodata },
      ],
    })),
    {
      axisLabel: 'runs in the period',
      legend: [
        { label: 'ok', color: COLORS.ok },
        { label: 'warning', color: COLORS.warning },
        { label: 'critical or failed', color: COLORS.critical },
        { label: 'missed, timed out, cancelled or skipped', color: COLORS.nodata },
      ],
    },
  );
  if (data.length > chartRows.length)
    pdf.paragraph(`The chart shows the first ${chartRows.length} of ${data.length} jobs; the table lists all.`, {
      muted: true,
      size: 8,
    });
}
