/**
 * The write-behind log of run rows: at most one statement in flight, and every row that
 * arrives meanwhile rides the next one. Nothing stops it:
 *   - the connection fails → the rows are kept and retried, in order, until it is back;
 *   - PostgreSQL refuses a row's data → that row is found and written with the refused
 *     field replaced and a note (writeResilient), or dropped and counted; the rest go in;
 *   - anything else thrown in the loop → logged through onError, counted, retried.
 */
import { CopyBuffer, UNIQUE_VIOLATION } from './copy.js';
import { batchPromise, gather, type BatchPromise, type GatherOptions } from './gather.js';
import { PartialWriteError, isDataError, writeResilient, type ResilientHooks } from './resilient.js';
import { idOfLine, repairLine, repairRow } from './run-repair.js';
import { batchJson, COPY, copyLine, INSERT_NEW, MERGE, UPSERT } from './run-sql.js';
import type { RunRow } from '../model.js';
import type { Sql } from './sql.js';

/**
 * Rows waiting for the next statement. On PostgreSQL they are kept as COPY text (see
 * CopyBuffer): `fresh` ones, new to the table, go in by COPY; `known` ones (a run written
 * as running, now ending) are merged. SQLite, which has no COPY, keeps the
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
    const result = await this.sql.query<{ id: string }>(INSERT_NEW[this.sql.kind], batchJson(rows));
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
      const upsert = (part: RunRow[]) =>
        this.sql.query(UPSERT[this.sql.kind], batchJson(part), 'opscron_runs_upsert').then(() => {});
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
