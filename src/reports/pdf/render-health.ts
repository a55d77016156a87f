/**
 * The health report's pages: services (availability, latency, error rate, budget), their
 * availability day by day, the checks that failed and what to do about them, incidents,
 * the SLO error budgets and how each job ran.
 */
import { ms, pct, span, stamp } from '../format.js';
import type { FailingCheck, HealthReport, ServiceHealth } from '../types.js';
import { availabilityGrid, legend } from './charts.js';
import type { ReportDocument } from './document.js';
import { COLORS } from './palette.js';
import { barChartBlock, jobsSection, reportTitlePage, section, statusCell } from './sections.js';

/** Lays out the health report, title page first. */
export function renderHealth(pdf: ReportDocument, r: HealthReport): void {
  const tz = r.period.timeZone;
  reportTitlePage(pdf, r);
  pdf.newPage();
  section(pdf, 'Services', r.services, (data) => servicesTable(pdf, data));
  availabilityByDay(pdf, r.services.data ?? [], r.days);
  section(pdf, 'Failing checks', r.failingChecks, (data) => {
    failingChecksTable(pdf, data, tz);
    remedies(pdf, data);
  });
  section(pdf, 'Incidents', r.incidents, (data) => incidents(pdf, data, tz));
  section(pdf, 'SLO error budget', r.slo, (data) => sloChart(pdf, data));
  jobsSection(pdf, r.jobs);
}

function servicesTable(pdf: ReportDocument, data: ServiceHealth[]): void {
  pdf.paragraph(
    "Availability is the share of a service's health checks that passed over the period (a run that checks many services counts once for each, with its own verdict). p50/p95 are over all of the period's health-check response times of the service; the trend is the p95 of each day. Error rate is 5xx responses over all requests seen by error-rate runs; the budget is what the latest SLO-mode run left over its SLO period.",
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
      statusCell(s.status),
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
}

// The availability bands, shared by the grid's cells and its legend.
const AVAILABILITY_FAIR = '#8bc34a';
const NO_CHECKS = '#e6e8eb';

function availabilityColor(v: number | null): string {
  if (v === null) return NO_CHECKS;
  if (v >= 0.999) return COLORS.ok;
  if (v >= 0.99) return AVAILABILITY_FAIR;
  if (v >= 0.95) return COLORS.warning;
  return COLORS.critical;
}

/** Not a section of the model: drawn from the services' per-day availability, and left out when there are none. */
function availabilityByDay(pdf: ReportDocument, services: ServiceHealth[], days: string[]): void {
  if (!services.length) return;
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
      { label: '≥ 99 %', color: AVAILABILITY_FAIR },
      { label: '≥ 95 %', color: COLORS.warning },
      { label: '< 95 %', color: COLORS.critical },
      { label: 'no checks', color: NO_CHECKS },
    ]);
  availabilityGridPages(
    pdf,
    days,
    services.map((s) => ({ service: s.service, values: s.availabilityByDay.map((d) => d.value) })),
  );
}

/** The grid in as many pieces as it takes: as many services as fit on a page, then the rest on the next. */
function availabilityGridPages(
  pdf: ReportDocument,
  days: string[],
  services: Array<{ service: string; values: Array<number | null> }>,
): void {
  let rows = services;
  while (rows.length) {
    // 60 points leave room for the day axis and at least one row, so every pass draws one.
    pdf.ensure(60);
    const room = pdf.doc.page.height - 56 - pdf.doc.y;
    const top = pdf.doc.y;
    const { drawn, height } = availabilityGrid(
      pdf.doc,
      pdf.left,
      top + 4,
      pdf.width,
      room - 8,
      days,
      rows,
      availabilityColor,
    );
    pdf.doc.y = top + height + 8;
    rows = rows.slice(drawn);
    if (rows.length) pdf.newPage();
  }
}

function failingChecksTable(pdf: ReportDocument, data: FailingCheck[], tz: string): void {
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
      statusCell(f.severity),
      f.count.toLocaleString('en'),
      stamp(f.lastAt, tz),
      f.lastMessage,
    ]),
  );
}

/** At most this many remedies, each naming at most this many resources. */
const LISTED_REMEDIES = 20;
const NAMED_RESOURCES = 8;

/** One line per distinct remedy, naming the resources it applies to. */
function remedies(pdf: ReportDocument, data: FailingCheck[]): void {
  const byRemedy = new Map<string, string[]>();
  for (const f of data)
    if (f.remedy)
      byRemedy.set(`${f.check}: ${f.remedy}`, [...(byRemedy.get(`${f.check}: ${f.remedy}`) ?? []), f.resource]);
  if (!byRemedy.size) return;
  pdf.paragraph('What to do:', { size: 9 });
  for (const [remedy, resources] of [...byRemedy].slice(0, LISTED_REMEDIES)) {
    const more = resources.length > NAMED_RESOURCES ? ` and ${resources.length - NAMED_RESOURCES} more` : '';
    pdf.paragraph(`• ${remedy} (${resources.slice(0, NAMED_RESOURCES).join(', ')}${more})`, { size: 8.5 });
  }
}

/** How many incidents a silence muted at their opening, and by which silences. */
function silencedFact(list: ReadonlyArray<{ silencedBy: string | null }>): string {
  const by = [...new Set(list.flatMap((i) => (i.silencedBy ? [i.silencedBy] : [])))];
  const n = list.filter((i) => i.silencedBy).length;
  return n ? `${n} (${by.join(', ')})` : 'none';
}

function incidents(pdf: ReportDocument, data: NonNullable<HealthReport['incidents']['data']>, tz: string): void {
  // The model always has this section; an empty list is said here.
  if (!data.count) {
    pdf.empty('No incident was open in this period.');
    return;
  }
  pdf.facts([
    ['Incidents', String(data.count)],
    ['Mean time to detect', span(data.meanTimeToDetectMs)],
    ['Mean time to acknowledge', span(data.meanTimeToAcknowledgeMs)],
    ['Mean time to recover', span(data.meanTimeToRecoverMs)],
    ['Opened while silenced', silencedFact(data.list)],
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
      stamp(i.openedAt, tz),
      i.resolvedAt ? stamp(i.resolvedAt, tz) : { text: 'still open', status: 'critical' },
      span(i.timeToDetectMs),
      span(i.timeToRecoverMs),
      i.silencedBy ? `${i.signals.join(', ')} (silenced by ${i.silencedBy})` : i.signals.join(', '),
    ]),
    { fontSize: 7.5 },
  );
}

/** Red under 10 % of the budget left, amber under half. */
const budgetColor = (remaining: number): string =>
  remaining < 0.1 ? COLORS.critical : remaining < 0.5 ? COLORS.warning : COLORS.ok;

function sloChart(pdf: ReportDocument, data: NonNullable<HealthReport['slo']['data']>): void {
  barChartBlock(
    pdf,
    data.map((s) => ({
      label: s.service,
      // An overspent budget (below 0) shows as an empty bar.
      segments: [{ value: Math.max(0, s.budgetRemaining) * 100, color: budgetColor(s.budgetRemaining) }],
    })),
    { axisLabel: 'error budget remaining (%)', max: 100, format: (v) => `${Math.round(v)} %` },
  );
}
