/**
 * What the reports read from the store, as a few aggregate queries per report: the
 * database does the counting and the percentiles, so a month of a thousand services
 * comes back as one row per service and day. Written once for PostgreSQL and SQLite (dialect.ts). Which job
 * types and which run metrics feed each figure is not known here: the caller says (from
 * each job type's declared feeds), so renaming a job's metric cannot silently empty a report.
 */
import type { Period } from '../model.js';
import { pgJson } from './copy.js';
import { dialectOf, type Dialect } from './dialect.js';
import type { Sql } from './sql.js';

export type { FailingCheck, FindingRow, JobRunSummary } from './report-findings.js';

export interface ServiceDayRow {
  service: string;
  /** null: the whole period. */
  day: string | null;
  checks: number;
  up: number;
  p50: number | null;
  p95: number | null;
}

export interface ErrorRateRow {
  service: string;
  day: string | null;
  requests: number;
  errors: number;
  /** Mean of the runs' ratios, for runs that report a ratio but not counts (PromQL). */
  meanRatio: number | null;
  budget: number | null;
}

export interface LatencyRow {
  service: string;
  day: string | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

const ENDED = `r.status not in ('running', 'missed', 'skipped', 'cancelled')`;

/**
 * Aggregates per service and day, and per service over the whole period (day null), of
 * the ended runs of `types` ($5) in the period ($1, $2). A run's service is its `service`
 * param, else the name $3 maps its job to, else its job id; its day is in time zone $4.
 */
function perServiceDay(sql: Sql, aggregates: (d: Dialect) => string, where = 'true'): string {
  const d = dialectOf(sql);
  const service = `coalesce(${d.member('r.params', "'service'")}, ${d.member('$3::jsonb', 'r.job_id')}, r.job_id)`;
  return d.perServiceDay(
    aggregates(d),
    `select r.*, ${service} as service, ${d.day('r.created_at', '$4')} as day from runs r
      where r.job_type = any($5) and r.created_at >= $1 and r.created_at < $2 and ${ENDED} and ${where}`,
  );
}

/** A run metric (a parameter naming it) as a number. */
const metric = (d: Dialect, name: string) => `(${d.member('r.metrics', name)})::float8`;

/** A feed: the job types whose runs carry a figure, and the run metric it is in. */
export interface MetricFeed {
  types: readonly string[];
  metric: string;
}

/** Availability (runs that passed) and response-time percentiles per service and day. */
export async function healthByServiceDay(
  sql: Sql,
  period: Period,
  services: Record<string, string>,
  feed: MetricFeed,
): Promise<ServiceDayRow[]> {
  const { rows } = await sql.query<ServiceDayRow>(
    perServiceDay(
      sql,
      (d) => `count(*)::int as checks, (count(*) filter (where r.status in ('ok', 'warning')))::int as up,
        ${d.percentile(0.5, metric(d, '$6'))} as p50, ${d.percentile(0.95, metric(d, '$6'))} as p95`,
    ),
    [period.from, period.to, pgJson(services), period.timeZone, feed.types, feed.metric],
  );
  return rows;
}

/** The run metrics an error-rate feed writes. */
export interface ErrorRateFeed {
  types: readonly string[];
  requests: string;
  errors: string;
  ratio: string;
  budget: string;
}

export async function errorRatesByServiceDay(
  sql: Sql,
  period: Period,
  services: Record<string, string>,
  feed: ErrorRateFeed,
): Promise<ErrorRateRow[]> {
  const { rows } = await sql.query<ErrorRateRow>(
    perServiceDay(
      sql,
      (d) => `coalesce(sum(${metric(d, '$6')}), 0) as requests, coalesce(sum(${metric(d, '$7')}), 0) as errors,
        avg(${metric(d, '$8')}) as "meanRatio",
        ${d.newest(metric(d, '$9'), 'r.created_at', d.has('r.metrics', '$9'))} as budget`,
      'r.metrics is not null',
    ),
    [
      period.from,
      period.to,
      pgJson(services),
      period.timeZone,
      feed.types,
      feed.requests,
      feed.errors,
      feed.ratio,
      feed.budget,
    ],
  );
  return rows;
}

/** The run metrics a latency feed writes. */
export interface LatencyFeed {
  types: readonly string[];
  p50: string;
  p95: string;
  p99: string;
}

export async function latencyByServiceDay(
  sql: Sql,
  period: Period,
  services: Record<string, string>,
  feed: LatencyFeed,
): Promise<LatencyRow[]> {
  const { rows } = await sql.query<LatencyRow>(
    perServiceDay(
      sql,
      (d) => `avg(${metric(d, '$6')}) as p50, avg(${metric(d, '$7')}) as p95, avg(${metric(d, '$8')}) as p99`,
      'r.metrics is not null',
    ),
    [period.from, period.to, pgJson(services), period.timeZone, feed.types, feed.p50, feed.p95, feed.p99],
  );
  return rows;
}

/** One metric of a feed per resource (e.g. cache-health hitRatio per cache) and day. */
export async function metricByDay(
  sql: Sql,
  period: Period,
  feed: MetricFeed,
  services: Record<string, string>,
): Promise<Array<{ service: string; day: string | null; value: number | null }>> {
  const { rows } = await sql.query<{ service: string; day: string | null; value: number | null }>(
    perServiceDay(sql, (d) => `avg(${metric(d, '$6')}) as value`, dialectOf(sql).has('r.metrics', '$6')),
    [period.from, period.to, pgJson(services), period.timeZone, feed.types, feed.metric],
  );
  return rows;
}
