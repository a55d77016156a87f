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

export interface JobRunSummary {
  job: string;
  type: string;
  total: number;
  ok: number;
  warning: number;
  critical: number;
  failed: number;
  missed: number;
  /** timeout, cancelled, skipped */
  other: number;
}

export interface FailingCheck {
  resource: string;
  check: string;
  severity: 'warning' | 'critical';
  count: number;
  lastAt: Date;
  lastMessage: string;
  remedy?: string;
}

export interface FindingRow {
  at: Date;
  job: string;
  severity: string;
  check: string;
  resource: string;
  message: string;
  remedy?: string;
}

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

export async function failingChecks(sql: Sql, period: Period, limit = 50): Promise<FailingCheck[]> {
  const { rows } = await sql.query<{
    resource: string;
    check: string;
    severity: 'warning' | 'critical';
    count: number;
    lastAt: Date;
    lastMessage: string;
    remedy: string | null;
  }>(
    `select f->>'resource' as resource, f->>'check' as check, f->>'severity' as severity, count(*)::int as count,
            max(r.created_at) as "lastAt",
            (array_agg(f->>'message' order by r.created_at desc))[1] as "lastMessage",
            (array_agg(f->>'remedy' order by r.created_at desc) filter (where f ? 'remedy'))[1] as remedy
       from runs r cross join lateral jsonb_array_elements(r.findings) f
      where r.created_at >= $1 and r.created_at < $2 and r.findings <> '[]'::jsonb and f->>'severity' in ('warning', 'critical')
      group by 1, 2, 3
      order by (f->>'severity') = 'critical' desc, count(*) desc, 1, 2
      limit $3`,
    [period.from, period.to, limit],
  );
  return rows.map((r) => ({ ...r, lastAt: new Date(r.lastAt), remedy: r.remedy ?? undefined }));
}

/** Runs that did not end ok, with their findings, for the job types given (newest first). */
export async function findingsOf(
  sql: Sql,
  period: Period,
  jobTypes: readonly string[],
  limit = 100,
  resourcePrefix?: string,
): Promise<FindingRow[]> {
  const { rows } = await sql.query<{
    at: Date;
    job: string;
    severity: string;
    check: string;
    resource: string;
    message: string;
    remedy: string | null;
  }>(
    `select r.created_at as at, r.job_id as job, f->>'severity' as severity, f->>'check' as check, f->>'resource' as resource, f->>'message' as message, f->>'remedy' as remedy
       from runs r cross join lateral jsonb_array_elements(r.findings) f
      where r.job_type = any($3) and r.created_at >= $1 and r.created_at < $2 and r.findings <> '[]'::jsonb
        and ($5::text is null or f->>'resource' like $5 || '%')
      order by r.created_at desc
      limit $4`,
    [period.from, period.to, jobTypes, limit, resourcePrefix ?? null],
  );
  return rows.map((r) => ({ ...r, at: new Date(r.at), remedy: r.remedy ?? undefined }));
}

export async function jobRunSummary(sql: Sql, period: Period): Promise<JobRunSummary[]> {
  const { rows } = await sql.query<JobRunSummary>(
    `select job_id as job, min(job_type) as type, count(*)::int as total,
            (count(*) filter (where status = 'ok'))::int as ok,
            (count(*) filter (where status = 'warning'))::int as warning,
            (count(*) filter (where status = 'critical'))::int as critical,
            (count(*) filter (where status = 'failed'))::int as failed,
            (count(*) filter (where status = 'missed'))::int as missed,
            (count(*) filter (where status in ('timeout', 'cancelled', 'skipped')))::int as other
       from runs
      where created_at >= $1 and created_at < $2 and status <> 'running'
      group by job_id
      order by job_id`,
    [period.from, period.to],
  );
  return rows.sort((a, b) => a.job.localeCompare(b.job, 'en', { numeric: true }));
}

/** The latest run of the job types given that ended with a verdict, in the period. */
export async function latestRunOf(
  sql: Sql,
  period: Period,
  jobTypes: readonly string[],
): Promise<{ id: string; createdAt: Date; findings: unknown[] } | null> {
  const { rows } = await sql.query<{ id: string; created_at: Date; findings: unknown[] }>(
    `select id, created_at, findings from runs
      where job_type = any($3) and created_at >= $1 and created_at < $2 and status in ('ok', 'warning', 'critical')
      order by created_at desc limit 1`,
    [period.from, period.to, jobTypes],
  );
  const row = rows[0];
  return row ? { id: row.id, createdAt: new Date(row.created_at), findings: row.findings } : null;
}

/** The last ok/warning run of each job of the given types, up to `at`. */
export async function lastSuccessOf(
  sql: Sql,
  jobTypes: readonly string[],
  at: Date,
): Promise<Array<{ job: string; at: Date }>> {
  const { rows } = await sql.query<{ job: string; at: Date }>(
    `select job_id as job, max(coalesce(finished_at, created_at)) as at from runs
      where job_type = any($1) and status in ('ok', 'warning') and created_at < $2
      group by job_id`,
    [jobTypes, at],
  );
  return rows.map((r) => ({ job: r.job, at: new Date(r.at) }));
}

export async function destructiveActions(
  sql: Sql,
  period: Period,
): Promise<
  Array<{ at: Date; actor: string; source: string; action: string; job: string | null; reason: string | null }>
> {
  const { rows } = await sql.query<{
    at: Date;
    actor: string;
    source: string;
    action: string;
    job: string | null;
    reason: string | null;
  }>(
    `select at, actor, source, action, job_id as job, reason from audit_log
      where at >= $1 and at < $2 and (action like '%destructive%' or action in ('restore', 'pause', 'resume'))
      order by at`,
    [period.from, period.to],
  );
  return rows.map((r) => ({ ...r, at: new Date(r.at) }));
}

/** The audit entries about the given jobs in a window (what people did during an incident). */
export async function auditFor(
  sql: Sql,
  period: Period,
  jobs: readonly string[],
): Promise<Array<{ at: Date; actor: string; action: string; job: string | null; reason: string | null }>> {
  const { rows } = await sql.query<{
    at: Date;
    actor: string;
    action: string;
    job: string | null;
    reason: string | null;
  }>(
    `select at, actor, action, job_id as job, reason from audit_log where at >= $1 and at < $2 and job_id = any($3) order by at`,
    [period.from, period.to, jobs],
  );
  return rows.map((r) => ({ ...r, at: new Date(r.at) }));
}
