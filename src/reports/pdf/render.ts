/** Lays each report model out as pages: title page, summary table, charts, sections. */
import type {
  ComplianceReport,
  Health,
  HealthReport,
  IncidentReport,
  JobRunSummary,
  PerformanceReport,
  Report,
  Section,
} from '../types.js';
import { availabilityGrid, barChart, legend } from './charts.js';
import { COLORS, ReportDocument, type Cell } from './document.js';
import { instant, ms, pct, periodText, span, stamp } from '../format.js';
import { summarize } from '../summary.js';

export async function renderReport(report: Report): Promise<Buffer> {
  const pdf = new ReportDocument({
    title: report.title,
    subject: `${report.kind} report, ${periodText(report.period)}`,
    generatedAt: report.generatedAt,
  });
  switch (report.kind) {
    case 'health':
      renderHealth(pdf, report);
      break;
    case 'performance':
      renderPerformance(pdf, report);
      break;
    case 'compliance':
      renderCompliance(pdf, report);
      break;
    case 'incident':
      renderIncident(pdf, report);
      break;
  }
  return pdf.finish(`opscron · ${report.title} · ${periodText(report.period)}`);
}

const status = (s: Health): Cell => ({ text: s === 'nodata' ? 'no data' : s, status: s });

function section<T>(pdf: ReportDocument, title: string, s: Section<T>, draw: (data: T) => void): void {
  pdf.heading(title);
  if (s.empty !== undefined) pdf.empty(s.empty);
  else draw(s.data);
}

function titlePage(pdf: ReportDocument, report: Report): void {
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

function jobsSection(pdf: ReportDocument, jobs: Section<JobRunSummary[]>): void {
  section(pdf, 'Job runs', jobs, (data) => {
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
    const chartRows = data.slice(0, 40);
    pdf.ensure(chartRows.length * 15 + 60);
    const top = pdf.doc.y;
    const used = barChart(
      pdf.doc,
      pdf.left,
      top + 4,
      pdf.width,
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
    pdf.doc.y = top + used + 8;
    if (data.length > chartRows.length)
      pdf.paragraph(`The chart shows the first ${chartRows.length} of ${data.length} jobs; the table lists all.`, {
        muted: true,
        size: 8,
      });
  });
}

// ---- health -------------------------------------------------------------------------

function availabilityColor(v: number | null): string {
  if (v === null) return '#e6e8eb';
  if (v >= 0.999) return COLORS.ok;
  if (v >= 0.99) return '#8bc34a';
  if (v >= 0.95) return COLORS.warning;
  return COLORS.critical;
}

function renderHealth(pdf: ReportDocument, r: HealthReport): void {
  const services = r.services.data ?? [];
  titlePage(pdf, r);

  pdf.newPage();
  section(pdf, 'Services', r.services, (data) => {
    pdf.paragraph(
      'Availability is the share of health checks that passed. p50/p95 are health-check response times over the period; the trend is the daily p95. Error rate is 5xx responses over all requests seen by error-rate runs.',
      { muted: true, size: 8.5 },
    );
    pdf.table(
      [
        { title: 'Service', width: 2.2 },
        { title: 'Status', width: 1.6 },
        { title: 'Avail.', width: 1.45, align: 'right' },
        { title: 'Checks', width: 1.1, align: 'right' },
        { title: 'p50', width: 1.3, align: 'right' },
        { title: 'p95', width: 1.3, align: 'right' },
        { title: '5xx', width: 1.2, align: 'right' },
        { title: 'Budget', width: 1.2, align: 'right' },
        { title: 'Inc.', width: 0.7, align: 'right' },
        { title: 'p95 trend', width: 1.8 },
      ],
      data.map((s) => [
        s.service,
        status(s.status),
        pct(s.availability),
        s.checks.toLocaleString('en'),
        ms(s.p50Ms),
        ms(s.p95Ms),
        pct(s.errorRatio),
        pct(s.sloBudgetRemaining, 1),
        String(s.incidents),
        { spark: s.p95ByDay },
      ]),
      { rowHeight: 16 },
    );
  });

  if (services.length) {
    pdf.heading('Availability by day');
    pdf.paragraph(
      "Each cell is one service on one day; its colour is the share of that day's health checks that passed.",
      { muted: true, size: 8.5 },
    );
    const legendTop = pdf.doc.y;
    pdf.doc.y =
      legendTop +
      legend(pdf.doc, pdf.left, legendTop, [
        { label: '≥ 99.9 %', color: COLORS.ok },
        { label: '≥ 99 %', color: '#8bc34a' },
        { label: '≥ 95 %', color: COLORS.warning },
        { label: '< 95 %', color: COLORS.critical },
        { label: 'no checks', color: '#e6e8eb' },
      ]);
    let rows = services.map((s) => ({ service: s.service, values: s.availabilityByDay.map((d) => d.value) }));
    while (rows.length) {
      pdf.ensure(60);
      const room = pdf.doc.page.height - 56 - pdf.doc.y;
      const top = pdf.doc.y;
      const { drawn, height } = availabilityGrid(
        pdf.doc,
        pdf.left,
        top + 4,
        pdf.width,
        room - 8,
        r.days,
        rows,
        availabilityColor,
      );
      pdf.doc.y = top + height + 8;
      rows = rows.slice(drawn);
      if (rows.length) pdf.newPage();
    }
  }

  section(pdf, 'Failing checks', r.failingChecks, (data) => {
    pdf.table(
      [
        { title: 'Resource', width: 2.4 },
        { title: 'Check', width: 1.8 },
        { title: 'Severity', width: 1.4 },
        { title: 'Times', width: 1, align: 'right' },
        { title: 'Last seen', width: 2.2 },
        { title: 'Last message', width: 4 },
      ],
      data.map((f) => [
        f.resource,
        f.check,
        status(f.severity),
        f.count.toLocaleString('en'),
        stamp(f.lastAt, r.period.timeZone),
        f.lastMessage,
      ]),
    );
    // One line per distinct remedy, naming every resource it applies to.
    const remedies = new Map<string, string[]>();
    for (const f of data)
      if (f.remedy)
        remedies.set(`${f.check}: ${f.remedy}`, [...(remedies.get(`${f.check}: ${f.remedy}`) ?? []), f.resource]);
    if (remedies.size) {
      pdf.paragraph('What to do:', { size: 9 });
      for (const [remedy, resources] of [...remedies].slice(0, 20))
        pdf.paragraph(
          `• ${remedy} (${resources.slice(0, 8).join(', ')}${resources.length > 8 ? ` and ${resources.length - 8} more` : ''})`,
          { size: 8.5 },
        );
    }
  });

  section(pdf, 'Incidents', r.incidents, (data) => {
    if (!data.count) {
      pdf.empty('No incident was open in this period.');
      return;
    }
    pdf.facts([
      ['Incidents', String(data.count)],
      ['Mean time to detect', span(data.meanTimeToDetectMs)],
      ['Mean time to recover', span(data.meanTimeToRecoverMs)],
    ]);
    pdf.table(
      [
        { title: 'Incident', width: 2.6 },
        { title: 'Service', width: 1.5 },
        { title: 'Opened', width: 2.1 },
        { title: 'Resolved', width: 2.1 },
        { title: 'Detect', width: 1.3, align: 'right' },
        { title: 'Recover', width: 1.4, align: 'right' },
        { title: 'Signals', width: 2 },
      ],
      data.list.map((i) => [
        i.id,
        i.service,
        stamp(i.openedAt, r.period.timeZone),
        i.resolvedAt ? stamp(i.resolvedAt, r.period.timeZone) : { text: 'still open', status: 'critical' },
        span(i.timeToDetectMs),
        span(i.timeToRecoverMs),
        i.signals.join(', '),
      ]),
      { fontSize: 7.5 },
    );
  });

  section(pdf, 'SLO error budget', r.slo, (data) => {
    pdf.ensure(data.length * 15 + 60);
    const top = pdf.doc.y;
    const used = barChart(
      pdf.doc,
      pdf.left,
      top + 4,
      pdf.width,
      data.map((s) => ({
        label: s.service,
        segments: [
          {
            value: Math.max(0, s.budgetRemaining) * 100,
            color: s.budgetRemaining < 0.1 ? COLORS.critical : s.budgetRemaining < 0.5 ? COLORS.warning : COLORS.ok,
          },
        ],
      })),
      { axisLabel: 'error budget remaining (%)', max: 100, format: (v) => `${Math.round(v)} %` },
    );
    pdf.doc.y = top + used + 8;
  });

  jobsSection(pdf, r.jobs);
}

// ---- performance ----------------------------------------------------------------------

function renderPerformance(pdf: ReportDocument, r: PerformanceReport): void {
  titlePage(pdf, r);
  pdf.newPage();
  section(pdf, 'Latency', r.latency, (data) => {
    pdf.table(
      [
        { title: 'Service', width: 3 },
        { title: 'p50', width: 1.2, align: 'right' },
        { title: 'p95', width: 1.2, align: 'right' },
        { title: 'p99', width: 1.2, align: 'right' },
        { title: 'p95 by day', width: 3 },
      ],
      data.map((l) => [l.service, ms(l.p50Ms), ms(l.p95Ms), ms(l.p99Ms), { spark: l.p95ByDay }]),
      { rowHeight: 16 },
    );
  });
  section(pdf, 'Error rate', r.errorRate, (data) => {
    pdf.table(
      [
        { title: 'Service', width: 3 },
        { title: 'Requests', width: 1.4, align: 'right' },
        { title: '5xx', width: 1.2, align: 'right' },
        { title: 'Ratio', width: 1.2, align: 'right' },
        { title: 'Ratio by day', width: 3 },
      ],
      data.map((e) => [
        e.service,
        Math.round(e.requests).toLocaleString('en'),
        Math.round(e.errors).toLocaleString('en'),
        { text: pct(e.ratio, 3), status: e.ratio === null ? 'nodata' : e.ratio > 0.01 ? 'warning' : 'ok' },
        { spark: e.byDay, min: 0 },
      ]),
      { rowHeight: 16 },
    );
  });
  const findingsTable = (rows: NonNullable<PerformanceReport['resources']['data']>) =>
    pdf.table(
      [
        { title: 'When', width: 2 },
        { title: 'Resource', width: 3.2 },
        { title: 'Check', width: 2.6 },
        { title: 'Severity', width: 1.5 },
        { title: 'Finding', width: 4.7 },
      ],
      rows.map((f) => [
        instant(f.at, r.period.timeZone),
        f.resource,
        f.check,
        status(f.severity === 'info' ? 'ok' : (f.severity as Health)),
        f.message,
      ]),
      { fontSize: 7.5 },
    );
  section(pdf, 'Resource usage against limits', r.resources, findingsTable);
  section(pdf, 'Slow queries', r.slowQueries, findingsTable);
  section(pdf, 'Cache hit ratio', r.cache, (data) => {
    pdf.table(
      [
        { title: 'Cache', width: 3 },
        { title: 'Hit ratio', width: 1.5, align: 'right' },
        { title: 'By day', width: 3 },
      ],
      data.map((c) => [c.cache, pct(c.hitRatio), { spark: c.byDay }]),
      { rowHeight: 16 },
    );
  });
}

// ---- compliance -----------------------------------------------------------------------

function renderCompliance(pdf: ReportDocument, r: ComplianceReport): void {
  titlePage(pdf, r);
  pdf.newPage();
  section(pdf, 'Controls', r.controls, (data) => {
    pdf.paragraph(
      r.previousReport
        ? `Change is against the previous compliance report ${r.previousReport.id} of ${stamp(r.previousReport.createdAt, r.period.timeZone)}.`
        : 'There is no earlier compliance report: every control is new.',
      { muted: true, size: 8.5 },
    );
    pdf.table(
      [
        { title: 'Control', width: 3.2 },
        { title: 'Result', width: 0.9 },
        { title: 'Resource', width: 3 },
        { title: 'Finding', width: 3.2 },
        { title: 'Change', width: 0.9 },
      ],
      data.map((c) => [
        c.id,
        c.passed
          ? { text: 'pass', status: 'ok' }
          : { text: 'fail', status: c.severity === 'critical' ? 'critical' : 'warning' },
        c.resource,
        c.title,
        c.change,
      ]),
      { fontSize: 7.5 },
    );
    const remedies = data.filter((c) => !c.passed && c.remedy);
    if (remedies.length) {
      pdf.paragraph('Remedies for failing controls:', { size: 9 });
      for (const c of remedies)
        pdf.paragraph(
          `• ${c.id} (${c.resource}): ${c.remedy}${c.evidence ? ` Evidence: ${c.evidence.slice(0, 300)}` : ''}`,
          { size: 8.5 },
        );
    }
  });
  section(pdf, 'Backup freshness', r.backups, (data) => {
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
        b.lastSuccessAt ? stamp(b.lastSuccessAt, r.period.timeZone) : 'never',
        span(b.ageMs),
        span(b.targetMs),
        b.fresh ? { text: 'yes', status: 'ok' } : { text: 'no', status: 'critical' },
      ]),
    );
  });
  section(pdf, 'Destructive actions and schedule changes', r.destructiveActions, (data) => {
    pdf.table(
      [
        { title: 'When', width: 1.7 },
        { title: 'Who', width: 1.6 },
        { title: 'Via', width: 0.9 },
        { title: 'Action', width: 1.8 },
        { title: 'Job', width: 1.8 },
        { title: 'Reason', width: 3.2 },
      ],
      data.map((a) => [stamp(a.at, r.period.timeZone), a.actor, a.source, a.action, a.job ?? '—', a.reason ?? '—']),
    );
  });
  jobsSection(pdf, r.jobs);
}

// ---- incident -------------------------------------------------------------------------

function renderIncident(pdf: ReportDocument, r: IncidentReport): void {
  const i = r.incident;
  const tz = r.period.timeZone;
  titlePage(pdf, r);
  pdf.newPage();
  pdf.heading('Summary');
  pdf.facts([
    ['Incident', i.id],
    ['Service', i.service],
    ['Opened', stamp(i.openedAt, tz)],
    ['Resolved', i.resolvedAt ? stamp(i.resolvedAt, tz) : 'not yet'],
    ['Signals', i.signals.join(', ') || '—'],
    ['Time to detect', span(i.timeToDetectMs)],
    ['Time to recover', span(i.timeToRecoverMs)],
  ]);
  section(pdf, 'Timeline', r.timeline, (data) => {
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
  });
  section(pdf, 'Actions taken', r.actions, (data) => {
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
  });
  section(pdf, 'Findings that explain it', r.findings, (data) => {
    pdf.table(
      [
        { title: 'When', width: 1.7 },
        { title: 'Job', width: 1.8 },
        { title: 'Check', width: 1.8 },
        { title: 'Severity', width: 1.4 },
        { title: 'Finding', width: 5.3 },
      ],
      data.map((f) => [
        instant(f.at, tz),
        f.job,
        f.check,
        status(f.severity === 'info' ? 'ok' : (f.severity as Health)),
        f.message,
      ]),
      { fontSize: 7.5 },
    );
  });
}
