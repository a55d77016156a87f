/**
 * The write-behind log of run rows: at most one statement in flight, and every row that
 * arrives meanwhile rides the next one. Nothing stops it:
 *   - the connection fails → the rows are kept and retried, in order, until it is back;
 *   - PostgreSQL refuses a row's data → that row is found and written with the refused
 *     field replaced and a note (writeResilient), or dropped and counted; the rest go in;
 *   - anything else thrown in the loop → logged through onError, counted, retried.
 */
import {
  CopyBuffer,
  copyJson as json,
  copyText as text,
  copyTime as time,
  pgJson,
  replaceColumns,
  UNIQUE_VIOLATION,
} from './copy.js';
import { batchPromise, gather, type BatchPromise, type GatherOptions } from './gather.js';
import { PartialWriteError, copyErrorAt, isDataError, writeResilient, type ResilientHooks } from './resilient.js';
import type { RunRow } from '../model.js';
import type { Sql } from './sql.js';

export const RUN_COLUMNS = [
  'id',
  'queue_id',
  'job_id',
  'job_type',
  'trigger',
  'scheduled_for',
  'created_at',
  'started_at',
  'finished_at',
  'attempt',
  'status',
  'summary',
  'findings',
  'metrics',
  'error',
  'params',
  'requested_by',
  'reason',
  'worker',
] as const;
type Column = (typeof RUN_COLUMNS)[number];
const COLUMNS = RUN_COLUMNS;

/** A row as the JSON object jsonb_populate_recordset reads (dates serialise as ISO strings). */
const toRecord = (r: RunRow) => ({
  id: r.id,
  queue_id: r.queueId,
  job_id: r.jobId,
  job_type: r.jobType,
  trigger: r.trigger,
  scheduled_for: r.scheduledFor,
  created_at: r.createdAt,
  started_at: r.startedAt,
  finished_at: r.finishedAt,
  attempt: r.attempt,
  status: r.status,
  summary: r.summary,
  findings: r.findings,
  metrics: r.metrics,
  error: r.error,
  params: r.params ?? null,
  requested_by: r.requestedBy,
  reason: r.reason,
  worker: r.worker,
});

// A whole batch is one JSON parameter: one JSON.stringify in Node, one statement in PostgreSQL.
const FROM_JSON = `select ${COLUMNS.join(', ')} from jsonb_populate_recordset(null::runs, $1::jsonb)`;
const UPDATE_ALL = `on conflict (id) do update set ${COLUMNS.slice(1)
  .map((c) => `${c} = excluded.${c}`)
  .join(', ')}`;
const UPSERT = `insert into runs (${COLUMNS.join(', ')}) ${FROM_JSON} ${UPDATE_ALL}`;
export const INSERT_NEW = `insert into runs (${COLUMNS.join(', ')}) ${FROM_JSON}
  on conflict (id) do nothing returning id`;

export const batchJson = (rows: Iterable<RunRow>): string[] => [pgJson(Array.from(rows, toRecord))];

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
  return (
    `${text(r.id)}\t${text(r.queueId)}\t${text(r.jobId)}\t${text(r.jobType)}\t${r.trigger}\t${time(r.scheduledFor)}\t${time(r.createdAt)}\t` +
    `${time(r.startedAt)}\t${time(r.finishedAt)}\t${r.attempt}\t${r.status}\t${text(r.summary)}\t${json(r.findings ?? [])}\t${json(r.metrics)}\t` +
    `${text(r.error)}\t${json(r.params)}\t${text(r.requestedBy)}\t${text(r.reason)}\t${text(r.worker)}\n`
  );
}

/**
 * What replaces a run's fields PostgreSQL refused, round by round: first the field it
 * named, then every optional one, then everything but the run's identity. The summary
 * says what happened, and a finding carries the note for reports.
 */
function replacements(column: string | null, round: number, note: string): Partial<Record<Column, unknown>> {
  const noteFindings = [{ severity: 'info', check: 'opscron.history', resource: 'opscron/history', message: note }];
  const optional: Partial<Record<Column, unknown>> = {
    scheduled_for: null,
    started_at: null,
    findings: noteFindings,
    metrics: null,
    error: null,
    params: null,
    requested_by: null,
    reason: null,
  };
  let out: Partial<Record<Column, unknown>>;
  if (round === 1 && column && (COLUMNS as readonly string[]).includes(column)) {
    const c = column as Column;
    out = {
      [c]:
        c === 'findings'
          ? noteFindings
          : c === 'created_at'
            ? new Date()
            : c in optional
              ? null
              : c === 'summary'
                ? note
                : `[replaced]`,
    };
  } else if (round <= 2) {
    out = optional;
  } else {
    out = {
      ...optional,
      finished_at: new Date(),
      created_at: new Date(),
      attempt: 1,
      trigger: 'manual',
      status: 'failed',
      job_type: 'unknown',
      worker: null,
      queue_id: null,
    };
  }
  if (!('summary' in out) || out.summary !== note) out.summary = note;
  return out;
}

const noteOf = (column: string | null, error: unknown) => {
  const e = error as { code?: string; message?: string };
  return `history: PostgreSQL refused ${column ? `the ${column} of this run` : 'this run'} (${e.code ?? '?'} ${String(e.message ?? error).slice(0, 200)}); the refused value was replaced`;
};

const encode = (column: Column, value: unknown): string =>
  ['findings', 'metrics', 'params'].includes(column)
    ? json(value)
    : ['scheduled_for', 'created_at', 'started_at', 'finished_at'].includes(column)
      ? time(value as Date | null)
      : column === 'attempt'
        ? String(value)
        : text(value as string | null);

const repairLine = (line: Buffer, error: unknown, round: number): Buffer | null => {
  if (round > 3) return null;
  const column = copyErrorAt(error)?.column ?? null;
  const values = replacements(column, round, noteOf(column, error));
  return replaceColumns(
    line,
    COLUMNS.map((c) => (c in values ? encode(c, values[c]) : undefined)),
  );
};

const idOfLine = (line: Buffer) => line.toString('utf8', 0, Math.min(line.length, 300)).split('\t')[0] ?? '?';

const FIELD: Record<Column, keyof RunRow> = {
  id: 'id',
  queue_id: 'queueId',
  job_id: 'jobId',
  job_type: 'jobType',
  trigger: 'trigger',
  scheduled_for: 'scheduledFor',
  created_at: 'createdAt',
  started_at: 'startedAt',
  finished_at: 'finishedAt',
  attempt: 'attempt',
  status: 'status',
  summary: 'summary',
  findings: 'findings',
  metrics: 'metrics',
  error: 'error',
  params: 'params',
  requested_by: 'requestedBy',
  reason: 'reason',
  worker: 'worker',
};

const repairRow = (row: RunRow, error: unknown, round: number): RunRow | null => {
  if (round > 3) return null;
  const values = replacements(null, round, noteOf(null, error));
  const out = { ...row } as Record<string, unknown>;
  for (const [c, v] of Object.entries(values)) out[FIELD[c as Column]] = v;
  return out as unknown as RunRow;
};

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

/** What the log has been through, for /metrics and /ready. */
export interface RunLogStats {
  /** Statements that failed (each is retried or split). */
  writeErrors: number;
  /** Rows written with a refused field replaced. */
  repaired: number;
  /** Rows no repair made acceptable (logged with their id). */
  dropped: number;
}

export class RunLog {
  private next = pending();
  private flushing: Promise<void> | null = null;
  private closed = false;
  /** When the oldest row waiting arrived (performance.now()), or null. */
  private oldestAt: number | null = null;
  /** Ids this log wrote as running whose final state has not been written yet. */
  private readonly started = new Set<string>();
  readonly stats: RunLogStats = { writeErrors: 0, repaired: 0, dropped: 0 };
  /** Told about each failed statement (rows kept and retried) and each row repaired or dropped. Must not throw; it is guarded anyway. */
  onError: (error: unknown, context: { rows: number; action: 'retry' | 'repaired' | 'dropped'; id?: string }) => void =
    () => {};

  /** Rows gather before a statement goes (see gather): nobody waits on these writes. */
  constructor(
    private readonly sql: Sql,
    private readonly options: { retryMs?: number } & Partial<GatherOptions> = {},
  ) {}

  /** Rows waiting to be written. */
  get backlog(): number {
    return size(this.next);
  }

  /** How long the oldest row not yet written has waited, in ms (0 when none waits). */
  get backlogAgeMs(): number {
    return this.oldestAt === null ? 0 : performance.now() - this.oldestAt;
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
    this.oldestAt ??= performance.now();
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
      await Promise.race([
        this.flushing,
        new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())).unref()),
      ]);
    }
    return !this.flushing;
  }

  /** Stops retrying; what is still unwritten stays unwritten. */
  close(): void {
    this.closed = true;
  }

  private hooks<T>(idOf: (row: T) => string): ResilientHooks<T> & { repair: ResilientHooks<T>['repair'] } {
    return {
      repair: () => null, // set by the caller
      repaired: (row, error) => {
        this.stats.repaired++;
        this.tell(error, { rows: 1, action: 'repaired', id: idOf(row) });
      },
      dropped: (row, error) => {
        this.stats.dropped++;
        this.tell(error, { rows: 1, action: 'dropped', id: idOf(row) });
      },
    };
  }

  private tell(error: unknown, context: Parameters<RunLog['onError']>[1]): void {
    try {
      this.onError(error, context);
    } catch {
      // The loop must go on whatever its observer does.
    }
  }

  /**
   * Fresh rows go in by COPY (about half PostgreSQL's CPU per row of an upsert, measured);
   * a row someone else wrote already (a redelivered run's lost attempt, a retried batch)
   * makes its part of the batch merge instead; known rows are merged. Each statement is
   * all or nothing; what PostgreSQL refuses is split out (writeResilient).
   */
  private async writeBatch(batch: Pending): Promise<void> {
    const copyIn = this.sql.copyIn;
    if (!copyIn) {
      const upsert = (part: RunRow[]) => this.sql.query(UPSERT, batchJson(part), 'opscron_runs_upsert').then(() => {});
      await this.resilient(
        [...batch.rows.values()],
        upsert,
        repairRow,
        (r) => r.id,
        (left) => {
          batch.rows = new Map(left.map((r) => [r.id, r]));
        },
      );
      batch.rows.clear();
      return;
    }
    const merge = (part: readonly Buffer[]) => copyIn(MERGE.copy, part, MERGE);
    const insertOrMerge = async (part: readonly Buffer[]) => {
      try {
        await copyIn(COPY, part);
      } catch (error) {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
        await merge(part);
      }
    };
    // Known rows after fresh ones: a run may be in both, running then finished.
    for (const key of ['fresh', 'known'] as const) {
      if (!batch[key].lines) continue;
      const write = key === 'fresh' ? insertOrMerge : merge;
      try {
        await write(batch[key].data());
      } catch (error) {
        if (!isDataError(error)) throw error;
        // Split into lines only now: the whole batch goes as its 64 KiB chunks otherwise.
        await this.resilient(batch[key].lineBuffers(), write, repairLine, idOfLine, (left) => {
          batch[key] = CopyBuffer.fromLines(left);
        });
      }
      batch[key] = new CopyBuffer();
    }
  }

  private async resilient<T>(
    rows: T[],
    write: (rows: T[]) => Promise<void>,
    repair: ResilientHooks<T>['repair'],
    idOf: (row: T) => string,
    keep: (left: T[]) => void,
  ): Promise<void> {
    try {
      await writeResilient(rows, write, { ...this.hooks(idOf), repair });
    } catch (error) {
      if (error instanceof PartialWriteError) {
        keep(error.remaining as T[]);
        throw error.cause;
      }
      throw error;
    }
  }

  private async flushLoop(): Promise<void> {
    const { retryMs = 1000 } = this.options;
    try {
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
          this.oldestAt = size(this.next) ? performance.now() : null;
        } catch (error) {
          this.stats.writeErrors++;
          this.tell(error, { rows: size(batch), action: 'retry' });
          this.requeue(batch, error);
          if (!this.closed) await new Promise((r) => setTimeout(r, retryMs));
        }
      }
    } catch (error) {
      // Nothing above should throw; if it does, say so and start again after a pause.
      this.stats.writeErrors++;
      this.tell(error, { rows: size(this.next), action: 'retry' });
      await new Promise((r) => setTimeout(r, retryMs));
    } finally {
      this.flushing = null;
      if (size(this.next) && !this.closed) this.flushing = this.flushLoop();
    }
  }

  /** A failed batch goes again with the rows written since, after them in order (written ones merge again). */
  private requeue(batch: Pending, error: unknown): void {
    this.next.fresh.prepend(batch.fresh);
    this.next.known.prepend(batch.known);
    for (const [id, row] of batch.rows) if (!this.next.rows.has(id)) this.next.rows.set(id, row);
    this.next.done.then(batch.resolve, batch.reject);
    if (this.closed) this.next.reject(error);
  }
}
