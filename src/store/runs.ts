/**
 * Run history: the row of each attempt and how it is read. Rows are written by the
 * write-behind RunLog (run-log.ts) when an attempt starts (status running, for runs that
 * last) and again when it ends.
 *
 *   running ──► ok | warning | critical | failed | timeout | cancelled | skipped
 *   missed: a slot that never ran (written once, by the scheduler)
 */
import type { Finding, RunRow, RunStatus, TargetResult, Trigger } from '../model.js';
import type { Sql } from './sql.js';

export type { RunRow, RunStatus, Trigger } from '../model.js';

export function fromDb(r: Record<string, unknown>): RunRow {
  return {
    id: r.id as string,
    queueId: (r.queue_id as string) ?? null,
    jobId: r.job_id as string,
    jobType: r.job_type as string,
    trigger: r.trigger as Trigger,
    scheduledFor: (r.scheduled_for as Date) ?? null,
    createdAt: r.created_at as Date,
    startedAt: (r.started_at as Date) ?? null,
    finishedAt: (r.finished_at as Date) ?? null,
    attempt: r.attempt as number,
    status: r.status as RunStatus,
    summary: (r.summary as string) ?? null,
    findings: (r.findings as Finding[]) ?? [],
    metrics: (r.metrics as Record<string, number>) ?? null,
    targets: (r.targets as TargetResult[]) ?? null,
    error: (r.error as string) ?? null,
    params: r.params ?? null,
    requestedBy: (r.requested_by as string) ?? null,
    reason: (r.reason as string) ?? null,
    worker: (r.worker as string) ?? null,
  };
}

export interface RunFilter {
  job?: string;
  status?: RunStatus;
  trigger?: Trigger;
  from?: Date;
  to?: Date;
  limit?: number;
  offset?: number;
}

export function filterSql(filter: RunFilter): { where: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (filter.job) add('job_id = ?', filter.job);
  if (filter.status) add('status = ?', filter.status);
  if (filter.trigger) add('trigger = ?', filter.trigger);
  if (filter.from) add('created_at >= ?', filter.from.toISOString());
  if (filter.to) add('created_at < ?', filter.to.toISOString());
  params.push(Math.min(filter.limit ?? 50, 1000), filter.offset ?? 0);
  const clause = `${where.length ? `where ${where.join(' and ')}` : ''} order by created_at desc, attempt desc limit $${params.length - 1} offset $${params.length}`;
  return { where: clause, params };
}

/** Runs newest first, whole (with findings). */
export async function listRuns(sql: Sql, filter: RunFilter = {}): Promise<RunRow[]> {
  const { where, params } = filterSql(filter);
  const { rows } = await sql.query(`select * from runs ${where}`, params);
  return rows.map(fromDb);
}

// camelCase names as the API speaks; timestamps come out as RFC 3339 in UTC (PostgreSQL's
// sessions run in UTC: 2026-11-26T17:00:47.719+00:00; SQLite keeps them as 2026-11-26T17:00:47.719Z).
const SUMMARY_SELECT = `id, queue_id as "queueId", job_id as "jobId", job_type as "jobType", trigger,
  scheduled_for as "scheduledFor", created_at as "createdAt", started_at as "startedAt", finished_at as "finishedAt",
  attempt, status, summary, metrics, error, requested_by as "requestedBy", reason, worker,
  jsonb_array_length(findings) as "findingCount"`;
const SUMMARY_OBJECT = `json_object('id', id, 'queueId', queue_id, 'jobId', job_id, 'jobType', job_type, 'trigger', trigger,
  'scheduledFor', scheduled_for, 'createdAt', created_at, 'startedAt', started_at, 'finishedAt', finished_at,
  'attempt', attempt, 'status', status, 'summary', summary, 'metrics', json(metrics), 'error', error,
  'requestedBy', requested_by, 'reason', reason, 'worker', worker, 'findingCount', json_array_length(findings))`;

/**
 * Runs newest first without their findings and params (what a list shows), as JSON text
 * built by the database: an API page of 100 runs costs Node a string copy instead of
 * parsing and re-serialising 100 rows (measured 1.3 ms of Node CPU per page that way).
 */
export async function listRunSummariesJson(
  sql: Sql,
  filter: RunFilter = {},
  statementName?: (text: string) => string,
): Promise<string> {
  const { where, params } = filterSql(filter);
  const text =
    sql.kind === 'sqlite'
      ? `select coalesce(json_group_array(json(o)), '[]') as page from (select ${SUMMARY_OBJECT} as o from runs ${where}) r`
      : `select coalesce(json_agg(r), '[]')::text as page from (select ${SUMMARY_SELECT} from runs ${where}) r`;
  const { rows } = await sql.query<{ page: string }>(text, params, statementName?.(text));
  return rows[0]!.page;
}

/**
 * Rows whose queue_id is one of `queueIds`: a first delivery by the primary key (its id is
 * its queue id), later ones by runs_redelivered (see migration 3).
 */
const BY_QUEUE_IDS = {
  postgres: `select * from runs where id = any($1::text[]) and queue_id = id
  union all select * from runs where queue_id = any($1::text[]) and queue_id <> id`,
  sqlite: `select * from runs where id in (select value from json_each($1)) and queue_id = id
  union all select * from runs where queue_id in (select value from json_each($1)) and queue_id <> id`,
};

export async function runsOfQueueJob(sql: Sql, queueId: string): Promise<RunRow[]> {
  const { rows } = await sql.query(`${BY_QUEUE_IDS[sql.kind]} order by attempt`, [[queueId]]);
  return rows.map(fromDb);
}

/** The latest run of each job, for `opscron list`. */
export async function latestRuns(sql: Sql): Promise<Map<string, RunRow>> {
  const { rows } = await sql.query(
    sql.kind === 'sqlite'
      ? `select * from (select *, row_number() over (partition by job_id order by created_at desc, attempt desc) as n
           from runs where status <> 'missed') where n = 1`
      : `select distinct on (job_id) * from runs where status <> 'missed' order by job_id, created_at desc, attempt desc`,
  );
  return new Map(rows.map((r) => [r.job_id as string, fromDb(r)]));
}

const PRUNE_BATCH = 5_000;
const PRUNE = {
  postgres: `with gone as (delete from runs where id in (select id from runs where created_at < $1 and status <> 'running'
      order by created_at limit $2) returning 1) select count(*)::int as n from gone`,
  sqlite: `delete from runs where id in (select id from runs where created_at < $1 and status <> 'running'
      order by created_at limit $2) returning 1`,
};

/**
 * Deletes run rows older than `before`, oldest first, in batches of 5,000: each batch is
 * its own short statement (milliseconds, not one lock over a month of rows), and the
 * event loop gets a turn between them. SQLite then gives the freed pages back to the file
 * system; PostgreSQL's autovacuum reuses them. Returns how many rows went.
 */
export async function pruneRuns(sql: Sql, before: Date, batch = PRUNE_BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await sql.query<{ n: number }>(PRUNE[sql.kind], [before.toISOString(), batch]);
    const n = sql.kind === 'sqlite' ? rows.length : (rows[0]?.n ?? 0);
    total += n;
    if (n < batch) break;
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (total && sql.kind === 'sqlite') await sql.exec('pragma incremental_vacuum');
  return total;
}

/**
 * What the run history takes on disk, in bytes, for the size gauge: PostgreSQL's runs table
 * with its indexes; SQLite's pages in use in the whole file (the runs are nearly all of it,
 * and Node 22's SQLite has no per-table figure).
 */
export async function runHistoryBytes(sql: Sql): Promise<number> {
  const { rows } = await sql.query<{ bytes: number }>(
    sql.kind === 'sqlite'
      ? 'select (c.page_count - f.freelist_count) * s.page_size as bytes from pragma_page_count() c, pragma_freelist_count() f, pragma_page_size() s'
      : `select pg_total_relation_size('runs')::float8 as bytes`,
  );
  return Number(rows[0]?.bytes ?? 0);
}

export async function getRun(sql: Sql, id: string): Promise<RunRow | null> {
  const { rows } = await sql.query('select * from runs where id = $1', [id]);
  return rows[0] ? fromDb(rows[0]) : null;
}

/** Every attempt of a run: its deliveries and its retries (`<id>-r2`, `-r3`, ...), oldest first. */
export async function attemptsOf(sql: Sql, queueId: string): Promise<RunRow[]> {
  const root = queueId.replace(/-r\d+$/, '');
  const ids = [root, ...Array.from({ length: 20 }, (_, i) => `${root}-r${i + 2}`)];
  const { rows } = await sql.query(`${BY_QUEUE_IDS[sql.kind]} order by attempt, created_at`, [ids]);
  return rows.map(fromDb);
}

/** The findings of a job's latest run with a verdict, but `exceptRunId` (what it saw last time). */
export async function previousFindings(sql: Sql, jobId: string, exceptRunId: string): Promise<Finding[] | null> {
  const { rows } = await sql.query<{ findings: Finding[] }>(
    `select findings from runs where job_id = $1 and id <> $2 and status in ('ok', 'warning', 'critical') order by created_at desc limit 1`,
    [jobId, exceptRunId],
  );
  return rows[0]?.findings ?? null;
}
