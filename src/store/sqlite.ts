/**
 * The embedded store: SQLite through Node's built-in `node:sqlite`, in one file under
 * ./var/db. PGlite was measured first and cannot fit a small VM (bench/README.md,
 * "Embedded store"): SQLite keeps its pages on disk and a few MiB of cache in memory, so
 * the process stays near its own size however long the history grows.
 *
 * One connection, used synchronously: statements run one at a time on the event loop
 * (each is sub-millisecond on opscron's indexes), and a transaction holds a lock that
 * every other statement waits for, so nothing interleaves into it. The repositories speak
 * PostgreSQL where it is the same SQL and give SQLite its own statement where it is not;
 * what this adapter translates is only mechanical: `$1` placeholders, casts, values (dates as
 * RFC 3339 text, booleans as 0/1, arrays and objects as JSON text) and rows back.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type { DatabaseSync as Database, StatementSync } from 'node:sqlite';
import { OpscronError } from '../errors.js';
import { claim } from './claim.js';
import { addFunctions } from './sqlite-functions.js';
import type { Sql } from './sql.js';

/** Columns that hold a timestamp, by the names the store's statements read them as. */
const DATES = new Set([
  'scheduled_for',
  'created_at',
  'started_at',
  'finished_at',
  'last_slot',
  'paused_at',
  'updated_at',
  'applied_at',
  'at',
  'period_from',
  'period_to',
  'next_attempt_at',
  'lease_until',
  'sent_at',
  'opened_at',
  'first_bad_at',
  'resolved_at',
  'revert_at',
  'beat_at',
  'openedAt',
  'firstBadAt',
  'resolvedAt',
  'lastAt',
  'acknowledged_at',
  'acknowledgedAt',
  'starts_at',
  'ends_at',
  'notified_at',
  'notifiedAt',
  'expires_at',
]);
/** Columns that hold JSON. `summary` and `message` are text in some tables: a statement reading their JSON names them `x:json`. */
const JSONS = new Set(['findings', 'metrics', 'params', 'targets', 'recipients', 'signals', 'data', 'matchers']);
const BOOLEANS = new Set(['paused', 'failing']);

function decode(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in row) {
    const value = row[key];
    if (value === null || value === undefined) {
      out[key.endsWith(':json') ? key.slice(0, -5) : key] = null;
    } else if (DATES.has(key)) out[key] = new Date(value as string);
    else if (JSONS.has(key)) out[key] = JSON.parse(value as string);
    else if (BOOLEANS.has(key)) out[key] = Boolean(value);
    else if (key.endsWith(':json')) out[key.slice(0, -5)] = JSON.parse(value as string);
    else out[key] = value;
  }
  return out;
}

function encode(value: unknown): string | number | bigint | null | Uint8Array {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (value instanceof Uint8Array) return value;
  return JSON.stringify(value);
}

/**
 * PostgreSQL's spelling of what concerns values and locks, as SQLite's: each `$n` becomes
 * an anonymous `?`, bound in the order they appear (Node 22's node:sqlite cannot bind
 * numbered `?n` by position); casts (`$1::text`, `count(*)::int`) go, SQLite's values
 * carrying their own type; a list parameter (`= any($1)`, bound as a JSON array) is read
 * with json_each; `for update [skip locked]` goes, a transaction here holding the whole
 * database (begin immediate). Nothing else is rewritten: where the SQL differs, the
 * repository gives SQLite its own statement. No literal in the store's SQL holds `$` and a digit.
 */
function translate(text: string): { text: string; order: number[] } {
  const order: number[] = [];
  const sqlite = text
    .replace(/::[a-z][a-z0-9_]*(?:\[\])?/g, '')
    .replace(/= any\((\$\d+)\)/g, 'in (select value from json_each($1))')
    .replace(/\s+for update(?: skip locked)?(?=\s*(?:\)|$))/g, '')
    .replace(/\$(\d+)/g, (_, n: string) => {
      order.push(Number(n) - 1);
      return '?';
    });
  return { text: sqlite, order };
}

/**
 * SQLite's result codes as the SQLSTATE classes the writers sort failures by
 * (store/resilient.ts): a constraint or malformed value is the row's fault, busy is not.
 */
function sqlState(error: { errcode?: number; message?: string }): string | undefined {
  const code = error.errcode;
  if (code === undefined) return undefined;
  if (code === 2067 || code === 1555) return '23505'; // UNIQUE, PRIMARYKEY
  if ((code & 0xff) === 19) return '23000'; // other constraints: CHECK, NOT NULL, FOREIGN KEY
  if (code === 18) return '54000'; // TOOBIG
  if (code === 1 && /malformed JSON|JSON cannot hold/i.test(error.message ?? '')) return '22P02';
  return undefined;
}

function storeError(error: unknown): unknown {
  // Not `instanceof Error`: under a test runner's VM the error comes from another realm.
  if (typeof error !== 'object' || error === null) return error;
  const state = sqlState(error as { errcode?: number });
  if (state) Object.defineProperty(error, 'code', { value: state, configurable: true, writable: true });
  return error;
}

const require = createRequire(import.meta.url);

function loadSqlite(): typeof import('node:sqlite') {
  // Node 22 warns once that node:sqlite is experimental; say what we use instead of that.
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (/SQLite is an experimental feature/.test(text)) return;
    return (emit as (...a: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return require('node:sqlite') as typeof import('node:sqlite');
  } catch (error) {
    throw new OpscronError(
      'OPSCRON_CONFIG_INVALID',
      `the embedded store needs Node.js 22.13 or newer (node:sqlite); this is ${process.version}. Install Node.js 22 or 24, run this command as scripts/with-node.sh bin/opscron.js ... (it fetches Node 24 from the npm registry), or set DATABASE_URL to use PostgreSQL`,
      { cause: error },
    );
  } finally {
    process.emitWarning = emit;
  }
}

interface Prepared {
  statement: StatementSync;
  /** Which parameter each `?` takes, in order. */
  order: number[];
}

/** Statements prepared once per text; the store's texts are a fixed set, reports' a few more. */
class Statements {
  private readonly cache = new Map<string, Prepared>();
  constructor(private readonly db: Database) {}

  all(text: string, params: readonly unknown[]): Record<string, unknown>[] {
    let prepared = this.cache.get(text);
    if (!prepared) {
      const translated = translate(text);
      prepared = { statement: this.db.prepare(translated.text), order: translated.order };
      if (this.cache.size >= 500) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(text, prepared);
    }
    return prepared.statement.all(...prepared.order.map((i) => encode(params[i]))) as Record<string, unknown>[];
  }
}

/** Opens the file with the store's settings and functions. */
function openDatabase(file: string): Database {
  const { DatabaseSync } = loadSqlite();
  const db = new DatabaseSync(file);
  try {
    // Pages freed by retention go back to the file system in steps (incremental_vacuum);
    // auto_vacuum only takes effect on an empty file, before the first table.
    db.exec('pragma auto_vacuum = incremental');
    db.exec(
      'pragma journal_mode = wal; pragma synchronous = normal; pragma foreign_keys = on; pragma busy_timeout = 5000; pragma cache_size = -8000',
    );
    addFunctions(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** One connection and the lock its transactions hold. */
class Connection {
  private readonly statements: Statements;
  private closed = false;
  /** A transaction in progress: every statement outside it waits until it ends. */
  held: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly release: () => void,
  ) {
    this.statements = new Statements(db);
  }

  run(text: string, params: unknown[] = []): { rows: Record<string, unknown>[] } {
    if (this.closed) throw new OpscronError('OPSCRON_UNAVAILABLE', 'the embedded store is closed');
    try {
      const rows = this.statements.all(text, params);
      return { rows: rows.map(decode) };
    } catch (error) {
      throw storeError(error);
    }
  }

  exec(text: string): void {
    try {
      this.db.exec(text);
    } catch (error) {
      throw storeError(error);
    }
  }

  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const previous = this.held;
    this.held = previous.then(() => mine);
    await previous;
    try {
      this.exec('begin immediate');
      try {
        const result = await fn();
        this.exec('commit');
        return result;
      } catch (error) {
        try {
          this.db.exec('rollback');
        } catch {
          // SQLite rolled it back itself (some errors end the transaction).
        }
        throw error;
      }
    } finally {
      done();
    }
  }

  async close(): Promise<void> {
    await this.held;
    if (this.closed) return;
    this.closed = true;
    this.db.close();
    this.release();
  }
}

export function openSqlite(path: string): Sql {
  const inMemory = path.startsWith('memory://');
  const file = inMemory ? ':memory:' : join(path, 'opscron.sqlite');
  if (!inMemory) mkdirSync(dirname(file), { recursive: true });
  const release = inMemory ? () => {} : claim(path);
  let db: Database;
  try {
    db = openDatabase(file);
  } catch (error) {
    release();
    throw error;
  }
  const connection = new Connection(db, release);
  const direct: Pick<Sql, 'query' | 'exec'> = {
    query: async (text, params) => connection.run(text, params) as never,
    exec: async (text) => connection.exec(text),
  };
  const sql: Sql = {
    kind: 'sqlite',
    query: async (text, params) => {
      await connection.held;
      return connection.run(text, params) as never;
    },
    exec: async (text) => {
      await connection.held;
      connection.exec(text);
    },
    withConnection: async (fn) => fn(sql),
    transaction: (fn) => connection.transaction(() => fn(direct)),
    close: () => connection.close(),
  };
  return sql;
}
