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

/** How many of a service's response times (of a day, or of the period: day null) fell in one histogram bucket. */
export interface LatencyBucketRow {
  service: string;
  day: string | null;
  /** The run metric that counted them: the feed's histogram prefix and the bucket. */
  key: string;
  count: number;
}

/** Runs that ended with a verdict. Reports also leave out runs a trigger tuned (Dialect.configured). */
const ENDED = `r.status not in ('running', 'missed', 'skipped', 'cancelled')`;

/** A run's service: its `service` param, else the name $3 maps its job to, else its job id. */
const serviceOfRun = (d: Dialect) =>
  `coalesce(${d.member('r.params', "'service'")}, ${d.member('$3::jsonb', 'r.job_id')}, r.job_id)`;

/**
 * Aggregates per service and day, and per service over the whole period (day null), of
 * the ended runs of `types` ($5) in the period ($1, $2). A run's service is its `service`
 * param, else the name $3 maps its job to, else its job id; its day is in time zone $4.
 */
function perServiceDay(
  sql: Sql,
  aggregates: (d: Dialect) => string,
  where = 'true',
  columns: (d: Dialect) => string = () => '1.0 as weight',
): string {
  const d = dialectOf(sql);
  return d.perServiceDay(
    aggregates(d),
    `select r.*, ${serviceOfRun(d)} as service, ${d.day('r.created_at', '$4')} as day, ${columns(d)} from runs r
      where r.job_type = any($5) and r.created_at >= $1 and r.created_at < $2 and ${ENDED} and ${d.configured('r.params')} and ${where}`,
  );
}

/** A run metric (a parameter naming it) as a number. */
const metric = (d: Dialect, name: string) => `(${d.member('r.metrics', name)})::float8`;

/**
 * How much of a run's window no earlier run of its job already counted: runs every minute
 * over 5-minute windows each count every request five times. The share of its window
 * (`windowMs`) since the job's previous run in the period, at most 1; 1 for the first run
 * in the period and for a run that names no window.
 */
const unsharedWindow = (d: Dialect) => {
  const previous = 'lag(r.created_at) over (partition by r.job_id order by r.created_at)';
  const share = `${d.msBetween('r.created_at', previous)} / nullif(${metric(d, "'windowMs'")}, 0)`;
  return `coalesce(case when ${share} < 1 then ${share} else 1.0 end, 1.0) as weight`;
};

/** A feed: the job types whose runs carry a figure, and the run metric it is in. */
export interface MetricFeed {
  types: readonly string[];
  metric: string;
}

/**
 * One check of a service per row (service, day, status, ms): a run of one service is one
 * check; a run over many (health-check `services: [..]`) is one check of each service it
 * kept a result for (its `targets`), with that service's own verdict and response time. A
 * run over many ($7: the jobs configured with `services: [..]`) that kept none (it failed as
 * a whole: opscron's failure, not any service's) checked no service and counts for none — not
 * as a service named after its job.
 */
function checksOfServices(d: Dialect): string {
  const t = d.element('t');
  const inPeriod = `r.job_type = any($5) and r.created_at >= $1 and r.created_at < $2 and ${ENDED} and ${d.configured('r.params')}`;
  return `select ${serviceOfRun(d)} as service, ${d.day('r.created_at', '$4')} as day, r.status as status, ${metric(d, '$6')} as ms
      from runs r where ${inPeriod} and r.targets is null and not r.job_id = any($7)
    union all
    select ${d.member(t, "'service'")} as service, ${d.day('r.created_at', '$4')} as day, ${d.member(t, "'status'")} as status,
           (${d.member(t, "'ms'")})::float8 as ms
      from ${d.elements('runs', 'r', 'targets', 't')} where ${inPeriod} and r.targets is not null`;
}

/** Availability (checks that passed) and response-time percentiles (of all the checks' times) per service and day. */
export async function healthByServiceDay(
  sql: Sql,
  period: Period,
  services: Record<string, string>,
  feed: MetricFeed & { fanOutJobs?: readonly string[] },
): Promise<ServiceDayRow[]> {
  const d = dialectOf(sql);
  const { rows } = await sql.query<ServiceDayRow>(
    d.perServiceDay(
      `count(*)::int as checks, (count(*) filter (where r.status in ('ok', 'warning')))::int as up,
        ${d.percentile(0.5, 'r.ms')} as p50, ${d.percentile(0.95, 'r.ms')} as p95`,
      checksOfServices(d),
    ),
    [period.from, period.to, pgJson(services), period.timeZone, feed.types, feed.metric, feed.fanOutJobs ?? []],
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
      (d) => `coalesce(sum(${metric(d, '$6')} * r.weight), 0) as requests,
        coalesce(sum(${metric(d, '$7')} * r.weight), 0) as errors,
        avg(${metric(d, '$8')}) as "meanRatio",
        ${d.newest(metric(d, '$9'), 'r.created_at', d.has('r.metrics', '$9'))} as budget`,
      'r.metrics is not null',
      unsharedWindow,
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

/**
 * A hit ratio per service and day, and over the period: hits over lookups summed over the
 * runs — a run with a million lookups weighs a million times one with one (an average of
 * the runs' ratios would weigh them alike). Days and periods without a lookup have none.
 * (`1.0 *`: SQLite keeps whole JSON numbers integers, and its casts are dropped.)
 */
export async function hitRatioByDay(
  sql: Sql,
  period: Period,
  feed: { types: string[]; hits: string; misses: string },
  services: Record<string, string>,
): Promise<Array<{ service: string; day: string | null; value: number | null }>> {
  const { rows } = await sql.query<{ service: string; day: string | null; value: number | null }>(
    perServiceDay(
      sql,
      (d) => `1.0 * sum(${metric(d, '$6')}) / nullif(sum(${metric(d, '$6')}) + sum(${metric(d, '$7')}), 0) as value`,
      `${dialectOf(sql).has('r.metrics', '$6')} and ${dialectOf(sql).has('r.metrics', '$7')}`,
    ),
    [period.from, period.to, pgJson(services), period.timeZone, feed.types, feed.hits, feed.misses],
  );
  return rows.map((r) => ({ ...r, value: r.value === null ? null : Number(r.value) }));
}

/** The run metrics a latency feed writes: each run's histogram is the metrics named `<histogram><bucket>`. */
export interface LatencyFeed {
  types: readonly string[];
  histogram: string;
}

/**
 * The runs' response-time histograms added up per service and day and over the period:
 * percentiles are read from the sums (analysis/histogram.ts), never averaged across runs.
 */
export async function latencyByServiceDay(
  sql: Sql,
  period: Period,
  services: Record<string, string>,
  feed: LatencyFeed,
): Promise<LatencyBucketRow[]> {
  const d = dialectOf(sql);
  const { rows } = await sql.query<LatencyBucketRow>(
    d.perServiceDay(
      'sum(r.n)::float8 as count',
      `select ${serviceOfRun(d)} as service, ${d.day('r.created_at', '$4')} as day, m.key as key, (m.value)::float8 as n
         from runs r, ${d.members('r.metrics', 'm')}
        where r.job_type = any($5) and r.created_at >= $1 and r.created_at < $2 and ${ENDED}
          and ${d.configured('r.params')} and r.metrics is not null and substr(m.key, 1, length($6)) = $6`,
      'key',
    ),
    [period.from, period.to, pgJson(services), period.timeZone, feed.types, feed.histogram],
  );
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
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
