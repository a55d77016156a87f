/**
 * The performance report: latency and error-rate trends per service, resource usage
 * against limits, slow queries and cache hit ratio — whatever the jobs recorded.
 */
import type { ErrorRateRow, LatencyRow } from '../../store/report-queries.js';
import { daysOf } from '../period.js';
import type { FindingRow, Period, PerformanceReport } from '../types.js';
import { byService, natural, num, series, worst } from './common.js';

export interface PerformanceInputs {
  period: Period;
  generatedAt: Date;
  latency: LatencyRow[];
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

export function composePerformanceReport(input: PerformanceInputs): PerformanceReport {
  const days = daysOf(input.period);
  const latency = [...byService(input.latency)]
    .sort(([a], [b]) => natural(a, b))
    .map(([service, { total, days: rows }]) => ({
      service,
      p50Ms: num(total?.p50),
      p95Ms: num(total?.p95),
      p99Ms: num(total?.p99),
      p95ByDay: series(rows, days, (r) => num(r.p95)),
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
