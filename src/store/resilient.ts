/**
 * Batches that one bad row cannot hold back. When PostgreSQL refuses a batch for its data
 * (not because the connection went), the rows it refuses are found — by the line a COPY
 * error names, or by halving — and each is written repaired (its offending field replaced,
 * with a note saying so), or dropped and counted when no repair is accepted; every other
 * row goes in. A connection failure part-way leaves the rows not yet written to retry.
 */

/** A failure whose retry can succeed as is: the connection, the server's state, a lock. */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || code.length !== 5) return false;
  // 22 data exception, 23 integrity constraint, 54 program limit (too deep, too large),
  // 2202x/22P0x among them. Not 23505 (unique): the writers merge such rows themselves.
  return (code.startsWith('22') || code.startsWith('23') || code.startsWith('54')) && code !== '23505';
}

/** Where a COPY error points: the 1-based line and the column PostgreSQL names. */
export function copyErrorAt(error: unknown): { line: number; column: string | null } | null {
  const where = (error as { where?: unknown } | null)?.where;
  if (typeof where !== 'string') return null;
  const match = /COPY \w+, line (\d+)(?:, column (\w+))?/.exec(where);
  return match ? { line: Number(match[1]), column: match[2] ?? null } : null;
}

export class PartialWriteError extends Error {
  /** The rows not written; the cause is the connection failure that stopped the write. */
  constructor(
    readonly remaining: unknown[],
    options: { cause: unknown },
  ) {
    super('the batch was written in part before the connection failed', options);
    this.name = 'PartialWriteError';
  }
}

export interface ResilientHooks<T> {
  /** The row with what PostgreSQL refused replaced; rounds go from the named field to everything optional. null: give up. */
  repair(row: T, error: unknown, round: number): T | null;
  /** A row no repair made acceptable: it is dropped (the caller logs and counts it). */
  dropped(row: T, error: unknown): void;
  /** A row written repaired. */
  repaired?(row: T, error: unknown): void;
}

const MAX_ROUNDS = 3;

/** One resilient write: which rows went in (or were dropped), and how rows are written, split and repaired. */
class Splitter<T> {
  readonly done = new Set<T>();

  constructor(
    private readonly write: (rows: T[]) => Promise<void>,
    private readonly hooks: ResilientHooks<T>,
  ) {}

  private mark(part: T[]): void {
    for (const row of part) this.done.add(row);
  }

  /** Writes `part`; when PostgreSQL refuses its data, splits it until the refused rows are found. */
  async go(part: T[]): Promise<void> {
    if (!part.length) return;
    try {
      await this.write(part);
      this.mark(part);
      return;
    } catch (error) {
      if (!isDataError(error)) throw error;
      if (part.length === 1) return this.fix(part[0]!, error);
      const at = copyErrorAt(error);
      if (at && at.line >= 1 && at.line <= part.length) {
        // The rows before the named one were fine; the ones after are unknown.
        await this.go(part.slice(0, at.line - 1));
        await this.fix(part[at.line - 1]!, error);
        return this.go(part.slice(at.line));
      }
      const mid = part.length >> 1;
      await this.go(part.slice(0, mid));
      return this.go(part.slice(mid));
    }
  }

  /** A refused row, written repaired (round by round), or dropped. */
  private async fix(row: T, error: unknown): Promise<void> {
    for (let round = 1; round <= MAX_ROUNDS; round++) {
      const repaired = this.hooks.repair(row, error, round);
      if (repaired === null) break;
      try {
        await this.write([repaired]);
        this.mark([row]);
        this.hooks.repaired?.(repaired, error);
        return;
      } catch (again) {
        if (!isDataError(again)) throw again;
        error = again;
      }
    }
    this.mark([row]);
    this.hooks.dropped(row, error);
  }
}

/**
 * Writes `rows` with `write`, which writes all or nothing. Resolves once every row is
 * written, repaired or dropped. Throws PartialWriteError (with the rows left) when a
 * failure other than the data's stops it after some rows went in, or the original error
 * when none did.
 */
export async function writeResilient<T>(
  rows: T[],
  write: (rows: T[]) => Promise<void>,
  hooks: ResilientHooks<T>,
): Promise<void> {
  const splitter = new Splitter(write, hooks);
  try {
    await splitter.go(rows);
  } catch (error) {
    if (!splitter.done.size) throw error;
    throw new PartialWriteError(
      rows.filter((r) => !splitter.done.has(r)),
      { cause: error },
    );
  }
}
