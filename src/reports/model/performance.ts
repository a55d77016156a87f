/**
 * The performance report: latency and error-rate trends per service, resource usage
 * against limits, slow queries and cache hit ratio — whatever the jobs recorded.
 */
import { bucketOfMetric, quantileOf, type Histogram } from '../../analysis/histogram.js';
import type { ErrorRateRow, LatencyBucketRow } from '../../store/report-queries.js';
import { daysOf } from '../period.js';
import type { FindingRow, Period, PerformanceReport } from '../types.js';
import { byService, natural, num, series, worst } from './common.js';

export interface PerformanceInputs {
  period: Period;
  generatedAt: Date;
  /** The runs' response-time histograms added up per service and day (and over the period). */
  latency: LatencyBucketRow[];
  /** The prefix of the run metrics that hold a histogram bucket (the latency feed's). */
  histogramPrefix: string;
  errors: ErrorRateRow[];
  resources: FindingRow[];
  queries: FindingRow[];
  cache: Array<{ service: string; day: string | null; value: number | null }>;
  /** The job types each section is read from (their feeds), named when a section is empty. */
  sources: Record<'latency' | 'errorRate' | 'resources' | 'slowQueries' | 'cache', string[]>;
}

const none = (what: string, types: string[]) => ({
  empty: `No ${what} recorded in this period: no ${types.length ? types.join(' or ') : 'job that reports it'} run reported it.`,
});

/** The bucket rows as one histogram per service and day (and per service over the period: day null). */
function latencyHistograms(
  rows: readonly LatencyBucketRow[],
  prefix: string,
): Array<{ service: string; day: string | null; histogram: Histogram }> {
  const out = new Map<string, { service: string; day: string | null; histogram: Histogram }>();
  for (const row of rows) {
    const bucket = bucketOfMetric(row.key, prefix);
    if (bucket === null) continue;
    const id = JSON.stringify([row.service, row.day]);
    let entry = out.get(id);
    if (!entry) out.set(id, (entry = { service: row.service, day: row.day, histogram: new Map() }));
    entry.histogram.set(bucket, (entry.histogram.get(bucket) ?? 0) + Number(row.count));
  }
  return [...out.values()];
}

export function composePerformanceReport(input: PerformanceInputs): PerformanceReport {
  const days = daysOf(input.period);
  const latency = [...byService(latencyHistograms(input.latency, input.histogramPrefix))]
    .sort(([a], [b]) => natural(a, b))
    .map(([service, { total, days: rows }]) => ({
      service,
      p50Ms: total ? quantileOf(total.histogram, 0.5) : null,
      p95Ms: total ? quantileOf(total.histogram, 0.95) : null,
      p99Ms: total ? quantileOf(total.histogram, 0.99) : null,
      p95ByDay: series(rows, days, (r) => quantileOf(r.histogram, 0.95)),
    }));
  const errors = [...byService(input.errors)]
    .sort(([a], [b]) => natural(a, b))
    .map(([service, { total, days: rows }]) => ({
      service,
      requests: total?.requests ?? 0,
      errors: total?.errors ?? 0,
      ratio: total ? (total.requests > 0 ? total.errors / total.requests : num(total.meanRatio)) : null,
      byDay: series(rows, days, (r) => (r.requests > 0 ? r.errors / r.requests : num(r.meanRatio))),
    }));
  const cache = [...byService(input.cache)]
    .sort(([a], [b]) => natural(a, b))
    .map(([name, { total, days: rows }]) => ({
      cache: name,
      hitRatio: num(total?.value),
      byDay: series(rows, days, (r) => num(r.value)),
    }));
  const findingsStatus = (rows: FindingRow[]) =>
    worst(rows.map((r) => (r.severity === 'critical' ? 'critical' : r.severity === 'warning' ? 'warning' : 'ok')));
  return {
    kind: 'performance',
    title: 'Performance report',
    period: input.period,
    generatedAt: input.generatedAt,
    status: worst([
      findingsStatus(input.resources),
      findingsStatus(input.queries),
      errors.some((e) => (e.ratio ?? 0) > 0.01) ? 'warning' : 'ok',
    ]),
    days,
    latency: latency.length ? { data: latency } : none('latency', input.sources.latency),
    errorRate: errors.length ? { data: errors } : none('error rate', input.sources.errorRate),
    resources: input.resources.length
      ? { data: input.resources }
      : none('resource usage finding', input.sources.resources),
    slowQueries: input.queries.length ? { data: input.queries } : none('slow query', input.sources.slowQueries),
    cache: cache.length ? { data: cache } : none('cache hit ratio', input.sources.cache),
  };
}
