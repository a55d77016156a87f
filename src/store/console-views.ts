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

const RECENT = {
  postgres: `select j.job_id, r.id, r.status, r.created_at, r.attempt from unnest($1::text[]) j(job_id)
    cross join lateral (select id, status, created_at, attempt from runs where runs.job_id = j.job_id
      order by created_at desc, attempt desc limit $2) r`,
  sqlite: `select r.job_id, r.id, r.status, r.created_at, r.attempt from json_each($1) j
    join runs r on r.id in (select id from runs where job_id = j.value order by created_at desc, attempt desc limit $2)`,
};

/** The last `perJob` runs of each job, newest first. */
export async function recentRuns(sql: Sql, jobIds: readonly string[], perJob: number): Promise<Map<string, RunMark[]>> {
  const { rows } = await sql.query<{
    job_id: string;
    id: string;
    status: RunStatus;
    created_at: Date;
    attempt: number;
  }>(
    `${RECENT[sql.kind]} order by 1, r.created_at desc, r.attempt desc`,
    [jobIds, perJob],
    `opscron_console_recent_${sql.kind}`,
  );
  const out = new Map<string, RunMark[]>();
  for (const r of rows) {
    let list = out.get(r.job_id);
    if (!list) out.set(r.job_id, (list = []));
    list.push({ id: r.id, status: r.status, createdAt: new Date(r.created_at), attempt: r.attempt });
  }
  return out;
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
