/**
 * Run history. A run row is written when an attempt starts (status running) and again
 * when it ends; writes are batched (COPY for new rows on PostgreSQL, an upsert for the
 * rest), and each `write` resolves once its row is durable.
 *
 *   running ──► ok | warning | critical | failed | timeout | cancelled | skipped
 *   missed: a slot that never ran (written once, by the scheduler)
 */
import type { Finding } from '../jobs/types.js';
import { CopyBuffer, copyJson as json, copyText as text, copyTime as time, pgJson, UNIQUE_VIOLATION } from './copy.js';
import { batchPromise, gather, type BatchPromise, type GatherOptions } from './gather.js';
import type { Sql } from './sql.js';

export type RunStatus = 'running' | 'ok' | 'warning' | 'critical' | 'failed' | 'timeout' | 'missed' | 'cancelled' | 'skipped';
export type Trigger = 'schedule' | 'manual' | 'catch-up' | 'retry';

export interface RunRow {
  id: string;
  queueId: string | null;
  jobId: string;
  jobType: string;
  trigger: Trigger;
  scheduledFor: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  attempt: number;
  status: RunStatus;
  summary: string | null;
  findings: Finding[];
  metrics: Record<string, number> | null;
  error: string | null;
  params: unknown;
  requestedBy: string | null;
  reason: string | null;
  worker: string | null;
}

const COLUMNS = [
  'id', 'queue_id', 'job_id', 'job_type', 'trigger', 'scheduled_for', 'created_at', 'started_at', 'finished_at',
  'attempt', 'status', 'summary', 'findings', 'metrics', 'error', 'params', 'requested_by', 'reason', 'worker',
] as const;

/** A row as the JSON object jsonb_populate_recordset reads (dates serialise as ISO strings). */
const toRecord = (r: RunRow) => ({
  id: r.id, queue_id: r.queueId, job_id: r.jobId, job_type: r.jobType, trigger: r.trigger, scheduled_for: r.scheduledFor,
  created_at: r.createdAt, started_at: r.startedAt, finished_at: r.finishedAt, attempt: r.attempt, status: r.status,
  summary: r.summary, findings: r.findings, metrics: r.metrics, error: r.error, params: r.params ?? null,
  requested_by: r.requestedBy, reason: r.reason, worker: r.worker,
});

// A whole batch is one JSON parameter: one JSON.stringify in Node, one statement in PostgreSQL.
const FROM_JSON = `select ${COLUMNS.join(', ')} from jsonb_populate_recordset(null::runs, $1::jsonb)`;
const UPDATE_ALL = `on conflict (id) do update set ${COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`;
const UPSERT = `insert into runs (${COLUMNS.join(', ')}) ${FROM_JSON} ${UPDATE_ALL}`;
const INSERT_NEW = `insert into runs (${COLUMNS.join(', ')}) ${FROM_JSON}
  on conflict (id) do nothing returning id`;

const batchJson = (rows: Iterable<RunRow>): string[] => [pgJson(Array.from(rows, toRecord))];

const COPY = `copy runs (${COLUMNS.join(', ')}) from stdin`;

/**
 * Rows that may be in the table already go through a temporary table, merged by an
 * upsert; `seq` keeps their order, so of two states of one run the later one wins.
 */
const MERGE = {
  before: 'create temp table if not exists runs_incoming (like runs, seq bigserial) on commit delete rows',
  copy: `copy runs_incoming (${COLUMNS.join(', ')}) from stdin`,
  after: `insert into runs (${COLUMNS.join(', ')})
    select distinct on (id) ${COLUMNS.join(', ')} from runs_incoming order by id, seq desc ${UPDATE_ALL}`,
};

/** A row as a line of COPY text, columns in COLUMNS order. */
function copyLine(r: RunRow): string {
  return `${text(r.id)}\t${text(r.queueId)}\t${text(r.jobId)}\t${text(r.jobType)}\t${r.trigger}\t${time(r.scheduledFor)}\t${time(r.createdAt)}\t`
    + `${time(r.startedAt)}\t${time(r.finishedAt)}\t${r.attempt}\t${r.status}\t${text(r.summary)}\t${json(r.findings ?? [])}\t${json(r.metrics)}\t`
    + `${text(r.error)}\t${json(r.params)}\t${text(r.requestedBy)}\t${text(r.reason)}\t${text(r.worker)}\n`;
}

export function fromDb(r: Record<string, unknown>): RunRow {
  return {
    id: r.id as string, queueId: (r.queue_id as string) ?? null, jobId: r.job_id as string, jobType: r.job_type as string,
    trigger: r.trigger as Trigger, scheduledFor: (r.scheduled_for as Date) ?? null, createdAt: r.created_at as Date,
    startedAt: (r.started_at as Date) ?? null, finishedAt: (r.finished_at as Date) ?? null, attempt: r.attempt as number,
    status: r.status as RunStatus, summary: (r.summary as string) ?? null, findings: (r.findings as Finding[]) ?? [],
    metrics: (r.metrics as Record<string, number>) ?? null, error: (r.error as string) ?? null, params: r.params ?? null,
    requestedBy: (r.requested_by as string) ?? null, reason: (r.reason as string) ?? null, worker: (r.worker as string) ?? null,
  };
}

/**
 * Rows waiting for the next statement. On PostgreSQL they are kept as COPY text (see
 * CopyBuffer): `fresh` ones, new to the table, go in by COPY; `known` ones (a run written
 * as running, now ending) are merged. PGlite, which has no COPY from a client, keeps the
 * rows themselves, a later state of a run replacing an earlier one.
 */
interface Pending extends BatchPromise {
  fresh: CopyBuffer;
  known: CopyBuffer;
  rows: Map<string, RunRow>;
}

function pending(): Pending {
  return { fresh: new CopyBuffer(), known: new CopyBuffer(), rows: new Map(), ...batchPromise() };
}

const size = (b: Pending) => b.fresh.lines + b.known.lines + b.rows.size;

/**
 * Write-behind log of run rows: at most one statement in flight, and every row that
 * arrives meanwhile rides the next one. A failed statement is retried, its rows kept,
 * until the database is back.
 */
export class RunLog {
  private next = pending();
  private flushing: Promise<void> | null = null;
  private closed = false;
  /** Ids this log wrote as running whose final state has not been written yet. */
  private readonly started = new Set<string>();
  /** Told about each failed statement (the rows are kept and retried). */
  onError: (error: unknown, rows: number) => void = () => {};

  /** Rows gather before a statement goes (see gather): nobody waits on these writes. */
  constructor(private readonly sql: Sql, private readonly options: { retryMs?: number } & Partial<GatherOptions> = {}) {}

  /** Rows waiting to be written. */
  get backlog(): number {
    return size(this.next);
  }

  /**
   * Queues the row's state as it is now (later changes to the object are not seen);
   * resolves when it is in the database.
   */
  write(row: RunRow): Promise<void> {
    const batch = this.next;
    if (this.sql.copyIn) {
      (this.started.has(row.id) ? batch.known : batch.fresh).add(copyLine(row));
      if (row.status === 'running') this.started.add(row.id);
      else this.started.delete(row.id);
    } else {
      batch.rows.set(row.id, { ...row });
    }
    this.flushing ??= this.flushLoop();
    return batch.done;
  }

  /** Inserts rows that are not there yet (missed slots, seen by several schedulers); returns the ids that were new. */
  async insertNew(rows: RunRow[]): Promise<string[]> {
    if (!rows.length) return [];
    const result = await this.sql.query<{ id: string }>(INSERT_NEW, batchJson(rows));
    return result.rows.map((r) => r.id);
  }

  /** Waits for everything written so far, at most `timeoutMs`; resolves false if rows are left. */
  async drain(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.flushing && Date.now() < deadline) {
      await Promise.race([this.flushing, new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())).unref())]);
    }
    return !this.flushing;
  }

  /** Stops retrying; what is still unwritten stays unwritten. */
  close(): void {
    this.closed = true;
  }

  /**
   * Fresh rows go in by COPY (about half PostgreSQL's CPU per row of an upsert, measured);
   * known rows, and a batch that meets a row someone else wrote (a redelivered run's lost
   * attempt), are merged. COPY is all or nothing, so falling back never leaves a batch
   * half written.
   */
  private async writeBatch(batch: Pending): Promise<void> {
    const copyIn = this.sql.copyIn;
    if (!copyIn) {
      if (batch.rows.size) await this.sql.query(UPSERT, batchJson(batch.rows.values()), 'opscron_runs_upsert');
      return;
    }
    if (batch.fresh.lines) {
      try {
        await copyIn(COPY, batch.fresh.data());
      } catch (error) {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
        batch.known.prepend(batch.fresh);
      }
      batch.fresh = new CopyBuffer(); // written, or moved to be merged
    }
    if (batch.known.lines) await copyIn(MERGE.copy, batch.known.data(), MERGE);
  }

  private async flushLoop(): Promise<void> {
    const { retryMs = 1000 } = this.options;
    while (size(this.next) && !this.closed) {
      // Under sustained load a batch gathers up to 100 ms (2,000 rows): PostgreSQL spends
      // ~0.8 µs a row less than on 400-row batches, CPU it would take from Redis and the
      // worker on the same machine. A burst's last rows go 5 ms after it ends. The cost: a
      // worker killed outright (SIGKILL) under that load loses up to 100 ms of history.
      await gather(() => size(this.next), { lingerMs: 100, quietMs: 5, maxBatch: 2000, ...this.options });
      const batch = this.next;
      this.next = pending();
      try {
        await this.writeBatch(batch);
        batch.resolve();
      } catch (error) {
        this.onError(error, size(batch));
        // Retried with the rows written since, after them in order; written ones merge again.
        this.next.fresh.prepend(batch.fresh);
        this.next.known.prepend(batch.known);
        for (const [id, row] of batch.rows) if (!this.next.rows.has(id)) this.next.rows.set(id, row);
        this.next.done.then(batch.resolve, batch.reject);
        if (this.closed) this.next.reject(error);
        else await new Promise((r) => setTimeout(r, retryMs));
      }
    }
    this.flushing = null;
  }
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

// camelCase names as the API speaks; timestamps come out as RFC 3339 in UTC (the pool's
// sessions run in UTC), e.g. 2026-11-26T17:00:47.719+00:00.
const SUMMARY_SELECT = `id, queue_id as "queueId", job_id as "jobId", job_type as "jobType", trigger,
  scheduled_for as "scheduledFor", created_at as "createdAt", started_at as "startedAt", finished_at as "finishedAt",
  attempt, status, summary, metrics, error, requested_by as "requestedBy", reason, worker,
  jsonb_array_length(findings) as "findingCount"`;

/**
 * Runs newest first without their findings and params (what a list shows), as JSON text
 * built by PostgreSQL: an API page of 100 runs costs Node a string copy instead of
 * parsing and re-serialising 100 rows (measured 1.3 ms of Node CPU per page that way).
 */
export async function listRunSummariesJson(sql: Sql, filter: RunFilter = {}, statementName?: (text: string) => string): Promise<string> {
  const { where, params } = filterSql(filter);
  const text = `select coalesce(json_agg(r), '[]')::text as page from (select ${SUMMARY_SELECT} from runs ${where}) r`;
  const { rows } = await sql.query<{ page: string }>(text, params, statementName?.(text));
  return rows[0]!.page;
}

/**
 * Rows whose queue_id is one of `queueIds`: a first delivery by the primary key (its id is
 * its queue id), later ones by runs_redelivered (see migration 3).
 */
const BY_QUEUE_IDS = `select * from runs where id = any($1::text[]) and queue_id = id
  union all select * from runs where queue_id = any($1::text[]) and queue_id <> id`;

export async function runsOfQueueJob(sql: Sql, queueId: string): Promise<RunRow[]> {
  const { rows } = await sql.query(`${BY_QUEUE_IDS} order by attempt`, [[queueId]]);
  return rows.map(fromDb);
}

/** The latest run of each job, for `opscron list`. */
export async function latestRuns(sql: Sql): Promise<Map<string, RunRow>> {
  const { rows } = await sql.query(
    `select distinct on (job_id) * from runs where status <> 'missed' order by job_id, created_at desc, attempt desc`,
  );
  return new Map(rows.map((r) => [r.job_id as string, fromDb(r)]));
}

/** Deletes run rows older than `before`; returns how many. */
export async function pruneRuns(sql: Sql, before: Date): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(
    'with gone as (delete from runs where created_at < $1 and status <> \'running\' returning 1) select count(*)::int as n from gone',
    [before.toISOString()],
  );
  return rows[0]?.n ?? 0;
}

/** Marks every run still `running` as failed with `reason`; returns how many. For a store only one process uses. */
export async function failOrphanedRuns(sql: Sql, reason: string): Promise<number> {
  const { rows } = await sql.query<{ n: number }>(
    `with closed as (update runs set status = 'failed', error = $1, summary = $1, finished_at = now() where status = 'running' returning 1)
     select count(*)::int as n from closed`,
    [reason],
  );
  return rows[0]?.n ?? 0;
}

export async function getRun(sql: Sql, id: string): Promise<RunRow | null> {
  const { rows } = await sql.query('select * from runs where id = $1', [id]);
  return rows[0] ? fromDb(rows[0]) : null;
}

/** Every attempt of a run: its deliveries and its retries (`<id>-r2`, `-r3`, ...), oldest first. */
export async function attemptsOf(sql: Sql, queueId: string): Promise<RunRow[]> {
  const root = queueId.replace(/-r\d+$/, '');
  const ids = [root, ...Array.from({ length: 20 }, (_, i) => `${root}-r${i + 2}`)];
  const { rows } = await sql.query(`${BY_QUEUE_IDS} order by attempt, created_at`, [ids]);
  return rows.map(fromDb);
}
