/**
 * What the console's overview and job pages read from the run history, each one statement
 * on the index runs_job_latest (job_id, created_at, attempt) scanned backwards: the last
 * few runs of every job (a bounded index probe per job, however long the history), and a
 * job's history a page at a time by keyset (the page after a run, not an offset that
 * rereads every row before it).
 */
import type { RunStatus, Trigger } from '../model.js';
import type { Sql } from './sql.js';

export interface RunMark {
  id: string;
  status: RunStatus;
  createdAt: Date;
  attempt: number;
}

export interface RunLine extends RunMark {
  trigger: Trigger;
  startedAt: Date | null;
  finishedAt: Date | null;
  summary: string | null;
  error: string | null;
  requestedBy: string | null;
  findingCount: number;
}

/** Where a page of history starts: after this run (newest first). */
export interface HistoryCursor {
  createdAt: Date;
  attempt: number;
}

/**
 * Each job's last statuses as one comma-joined string (one row per job, not one per run:
 * the client parses a thousand short rows). The limit is written into the statement: a
 * prepared statement's generic plan cannot see it.
 */
const RECENT = {
  postgres: (n: number) => `select j.job_id, s.statuses from unnest($1::text[]) j(job_id)
    cross join lateral (select string_agg(status, ',' order by created_at desc, attempt desc) as statuses
      from (select status, created_at, attempt from runs where runs.job_id = j.job_id
        order by created_at desc, attempt desc limit ${n}) x) s`,
  sqlite: (n: number) => `select j.value as job_id, (select group_concat(status, ',') from
      (select status from runs where job_id = j.value order by created_at desc, attempt desc limit ${n})) as statuses
    from json_each($1) j`,
};

/** The last `perJob` (at most 100) statuses of each job, newest first. */
export async function recentStatuses(
  sql: Sql,
  jobIds: readonly string[],
  perJob: number,
): Promise<Map<string, RunStatus[]>> {
  const n = Math.max(1, Math.min(100, Math.trunc(perJob)));
  const { rows } = await sql.query<{ job_id: string; statuses: string | null }>(RECENT[sql.kind](n), [jobIds]);
  return new Map(rows.map((r) => [r.job_id, r.statuses ? (r.statuses.split(',') as RunStatus[]) : []]));
}

export interface HistoryQuery {
  jobId: string;
  status?: RunStatus;
  trigger?: Trigger;
  after?: HistoryCursor;
  limit: number;
}

/** One page of a job's runs, newest first, after the cursor; one more than `limit` says whether a next page exists. */
export async function jobHistory(sql: Sql, q: HistoryQuery): Promise<RunLine[]> {
  const params: unknown[] = [q.jobId];
  const where = ['job_id = $1'];
  if (q.status) where.push(`status = $${params.push(q.status)}`);
  if (q.trigger) where.push(`trigger = $${params.push(q.trigger)}`);
  if (q.after) {
    const at = params.push(q.after.createdAt.toISOString());
    params.push(q.after.attempt);
    where.push(`(created_at < $${at}::timestamptz or (created_at = $${at}::timestamptz and attempt < $${at + 1}))`);
  }
  const count = sql.kind === 'sqlite' ? 'json_array_length(findings)' : 'jsonb_array_length(findings)';
  const { rows } = await sql.query<Record<string, unknown>>(
    `select id, status, trigger, created_at, started_at, finished_at, attempt, summary, error, requested_by,
       ${count} as finding_count from runs where ${where.join(' and ')}
     order by created_at desc, attempt desc limit $${params.push(q.limit)}`,
    params,
  );
  return rows.map((r) => ({
    id: r.id as string,
    status: r.status as RunStatus,
    trigger: r.trigger as Trigger,
    createdAt: new Date(r.created_at as Date),
    startedAt: r.started_at ? new Date(r.started_at as Date) : null,
    finishedAt: r.finished_at ? new Date(r.finished_at as Date) : null,
    attempt: r.attempt as number,
    summary: (r.summary as string) ?? null,
    error: (r.error as string) ?? null,
    requestedBy: (r.requested_by as string) ?? null,
    findingCount: Number(r.finding_count ?? 0),
  }));
}
