/**
 * The performance report: latency and error-rate trends per service, resource usage
 * against limits, slow queries and cache hit ratio — whatever the jobs recorded.
 */
import type { Sql } from '../../store/sql.js';
import { errorRatesByServiceDay, findingsOf, latencyByServiceDay, metricByDay, type ErrorRateRow, type LatencyRow } from '../data.js';
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
}

export async function loadPerformanceInputs(sql: Sql, period: Period, jobServices: Record<string, string>, generatedAt: Date): Promise<PerformanceInputs> {
  const [latency, errors, resources, queries, cache] = await Promise.all([
    latencyByServiceDay(sql, period, jobServices),
    errorRatesByServiceDay(sql, period, jobServices),
    findingsOf(sql, period, ['resource-usage']),
    findingsOf(sql, period, ['query-analysis']),
    metricByDay(sql, period, 'cache-health', 'hitRatio', jobServices),
  ]);
  return { period, generatedAt, latency, errors, resources, queries, cache };
}

const none = (what: string, job: string) => ({ empty: `No ${what} recorded in this period: no ${job} run reported it.` });

export function composePerformanceReport(input: PerformanceInputs): PerformanceReport {
  const days = daysOf(input.period);
  const latency = [...byService(input.latency)].sort(([a], [b]) => natural(a, b)).map(([service, { total, days: rows }]) => ({
    service, p50Ms: num(total?.p50), p95Ms: num(total?.p95), p99Ms: num(total?.p99), p95ByDay: series(rows, days, (r) => num(r.p95)),
  }));
  const errors = [...byService(input.errors)].sort(([a], [b]) => natural(a, b)).map(([service, { total, days: rows }]) => ({
    service,
    requests: total?.requests ?? 0,
    errors: total?.errors ?? 0,
    ratio: total ? (total.requests > 0 ? total.errors / total.requests : num(total.meanRatio)) : null,
    byDay: series(rows, days, (r) => (r.requests > 0 ? r.errors / r.requests : num(r.meanRatio))),
  }));
  const cache = [...byService(input.cache)].sort(([a], [b]) => natural(a, b)).map(([name, { total, days: rows }]) => ({ cache: name, hitRatio: num(total?.value), byDay: series(rows, days, (r) => num(r.value)) }));
  const findingsStatus = (rows: FindingRow[]) => worst(rows.map((r) => (r.severity === 'critical' ? 'critical' : r.severity === 'warning' ? 'warning' : 'ok')));
  return {
    kind: 'performance',
    title: 'Performance report',
    period: input.period,
    generatedAt: input.generatedAt,
    status: worst([findingsStatus(input.resources), findingsStatus(input.queries), errors.some((e) => (e.ratio ?? 0) > 0.01) ? 'warning' : 'ok']),
    days,
    latency: latency.length ? { data: latency } : none('latency', 'latency-check'),
    errorRate: errors.length ? { data: errors } : none('error rate', 'error-rate'),
    resources: input.resources.length ? { data: input.resources } : none('resource usage finding', 'resource-usage'),
    slowQueries: input.queries.length ? { data: input.queries } : none('slow query', 'query-analysis'),
    cache: cache.length ? { data: cache } : none('cache hit ratio', 'cache-health'),
  };
}
