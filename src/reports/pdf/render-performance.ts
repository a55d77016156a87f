/**
 * The performance report's pages: latency and error rate per service with their daily
 * trend, resource usage against limits, slow queries and cache hit ratio.
 */
import { RELATIVE_ERROR } from '../../analysis/histogram.js';
import { instant, ms, pct } from '../format.js';
import type { FindingRow, PerformanceReport } from '../types.js';
import type { ReportDocument } from './document.js';
import { reportTitlePage, section, severityCell } from './sections.js';

/** Lays out the performance report, title page first. */
export function renderPerformance(pdf: ReportDocument, r: PerformanceReport): void {
  const tz = r.period.timeZone;
  reportTitlePage(pdf, r);
  pdf.newPage();
  section(pdf, 'Latency', r.latency, (data) => latencyTable(pdf, data));
  section(pdf, 'Error rate', r.errorRate, (data) => errorRateTable(pdf, data));
  section(pdf, 'Resource usage against limits', r.resources, (data) => findingsTable(pdf, data, tz));
  section(pdf, 'Slow queries', r.slowQueries, (data) => findingsTable(pdf, data, tz));
  section(pdf, 'Cache hit ratio', r.cache, (data) => cacheTable(pdf, data));
}

function latencyTable(pdf: ReportDocument, data: NonNullable<PerformanceReport['latency']['data']>): void {
  pdf.paragraph(
    `Percentiles over all of the period's latency-check samples (of each day for the trend): each run's histogram is added up, never its percentiles averaged; within ${(RELATIVE_ERROR * 100).toFixed(1)} % of the exact value.`,
    { muted: true, size: 8.5 },
  );
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
}

function errorRateTable(pdf: ReportDocument, data: NonNullable<PerformanceReport['errorRate']['data']>): void {
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
      // Above 1 % is the runbook's error-rate threshold.
      { text: pct(e.ratio, 3), status: e.ratio === null ? 'nodata' : e.ratio > 0.01 ? 'warning' : 'ok' },
      { spark: e.byDay, min: 0 },
    ]),
    { rowHeight: 16 },
  );
}

/** Resource and slow-query findings, one row each. */
function findingsTable(pdf: ReportDocument, rows: FindingRow[], tz: string): void {
  pdf.table(
    [
      { title: 'When', width: 2 },
      { title: 'Resource', width: 3.2 },
      { title: 'Check', width: 2.6 },
      { title: 'Severity', width: 1.5 },
      { title: 'Finding', width: 4.7 },
    ],
    rows.map((f) => [instant(f.at, tz), f.resource, f.check, severityCell(f.severity), f.message]),
    { fontSize: 7.5 },
  );
}

function cacheTable(pdf: ReportDocument, data: NonNullable<PerformanceReport['cache']['data']>): void {
  pdf.table(
    [
      { title: 'Cache', width: 3 },
      { title: 'Hit ratio', width: 1.5, align: 'right' },
      { title: 'By day', width: 3 },
    ],
    data.map((c) => [c.cache, pct(c.hitRatio), { spark: c.byDay }]),
    { rowHeight: 16 },
  );
}
