/**
 * What the reports read from the store, as a few aggregate queries per report: the
 * database does the counting and the percentiles, so a month of a thousand services
 * comes back as one row per service and day. Same SQL on PostgreSQL and PGlite. Which job
 * types and which run metrics feed each figure is not known here: the caller says (from
 * each job type's declared feeds), so renaming a job's metric cannot silently empty a report.
 */
import type { Period } from '../model.js';
import { pgJson } from './copy.js';
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

const SERVICE = `coalesce(r.params->>'service', ($3::jsonb)->>r.job_id, r.job_id)`;
const DAY = `to_char(r.created_at at time zone $4, 'YYYY-MM-DD')`;
const ENDED = `r.status not in ('running', 'missed', 'skipped', 'cancelled')`;

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
    `select ${SERVICE} as service, ${DAY} as day, count(*)::int as checks,
            (count(*) filter (where r.status in ('ok', 'warning')))::int as up,
            percentile_cont(0.5) within group (order by (r.metrics->>$6)::float8) as p50,
            percentile_cont(0.95) within group (order by (r.metrics->>$6)::float8) as p95
       from runs r
      where r.job_type = any($5) and r.created_at >= $1 and r.created_at < $2 and ${ENDED}
      group by grouping sets ((1, 2), (1))`,
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
    `select ${SERVICE} as service, ${DAY} as day,
            coalesce(sum((r.metrics->>$6)::float8), 0) as requests,
            coalesce(sum((r.metrics->>$7)::float8), 0) as errors,
            avg((r.metrics->>$8)::float8) as "meanRatio",
            (array_agg((r.metrics->>$9)::float8 order by r.created_at desc)
               filter (where r.metrics ? $9))[1] as budget
       from runs r
      where r.job_type = any($5) and r.created_at >= $1 and r.created_at < $2 and ${ENDED} and r.metrics is not null
      group by grouping sets ((1, 2), (1))`,
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
    `select ${SERVICE} as service, ${DAY} as day,
            avg((r.metrics->>$6)::float8) as p50, avg((r.metrics->>$7)::float8) as p95, avg((r.metrics->>$8)::float8) as p99
       from runs r
      where r.job_type = any($5) and r.created_at >= $1 and r.created_at < $2 and ${ENDED} and r.metrics is not null
      group by grouping sets ((1, 2), (1))`,
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
    `select ${SERVICE} as service, ${DAY} as day, avg((r.metrics->>$6)::float8) as value
       from runs r
      where r.job_type = any($5) and r.created_at >= $1 and r.created_at < $2 and ${ENDED} and r.metrics ? $6
      group by grouping sets ((1, 2), (1))`,
    [period.from, period.to, pgJson(services), period.timeZone, feed.types, feed.metric],
  );
  return rows;
}
