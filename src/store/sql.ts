/**
 * The one SQL surface both back ends offer: PostgreSQL through a pg Pool when
 * DATABASE_URL is set, SQLite in a file under ./var/db otherwise (sqlite.ts).
 */
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pgClientConfig } from '../config/pg-ssl.js';
import { OpscronError } from '../errors.js';

export interface Sql {
  readonly kind: 'postgres' | 'sqlite';
  /** `name` makes it a prepared statement where the back end has them (hot statements). */
  query<R = Record<string, unknown>>(text: string, params?: unknown[], name?: string): Promise<{ rows: R[] }>;
  /** Several statements in one go (migrations); no parameters. */
  exec(text: string): Promise<void>;
  /** Runs `fn` on one connection (advisory locks, transactions). */
  withConnection<T>(fn: (sql: Pick<Sql, 'query' | 'exec'>) => Promise<T>): Promise<T>;
  /** Runs `fn` in one transaction: committed if it returns, rolled back if it throws. */
  transaction<T>(fn: (sql: Pick<Sql, 'query'>) => Promise<T>): Promise<T>;
  /**
   * `COPY ... FROM STDIN` with `data` in COPY's text format, all or nothing. PostgreSQL
   * only (SQLite has no COPY; one statement there costs no round trip anyway); the cheapest way to insert many rows.
   * With `around`, its `before` and `after` statements run with the COPY in one transaction
   * on one connection (fill a temporary table, then merge it).
   */
  copyIn?(
    statement: string,
    data: string | readonly Buffer[],
    around?: { before: string; after: string },
  ): Promise<void>;
  close(): Promise<void>;
}

// int8 (count(*), bigserial) as a JS number: our counts and ids stay far below 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));

/**
 * Runs `fn` on a client of its own. pg emits 'error' on a checked-out client whose
 * connection drops (a database restart mid-COPY, say), and nothing else listens then:
 * unheard, it would end the process. The query in flight fails with it anyway, and the
 * client goes back as broken, so the pool drops it. PostgreSQL refusing a statement
 * leaves the connection usable; any other failure does not.
 */
async function usingClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (error) {
    if (!(error instanceof pg.DatabaseError)) broken ??= error instanceof Error ? error : new Error(String(error));
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** `fn` between begin and commit on one client; rolled back if it throws. */
async function inTransaction<T>(client: pg.PoolClient, fn: () => Promise<T>): Promise<T> {
  try {
    await client.query('begin');
    const result = await fn();
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  }
}

/**
 * Written straight to the COPY stream, which finishes once PostgreSQL has confirmed it:
 * stream.pipeline would make an AbortController and a DOMException (with its stack trace)
 * per statement.
 */
function copyTo(client: pg.PoolClient, statement: string, data: string | readonly Buffer[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const stream = client.query(copyFrom(statement));
    stream.once('error', reject);
    stream.once('finish', resolve);
    for (const chunk of typeof data === 'string' ? [data] : data) stream.write(chunk);
    stream.end();
  });
}

/** How the store reaches PostgreSQL: directly or through a session pooler, or through PgBouncer's transaction pooling. */
export type PoolMode = 'session' | 'transaction';

/** A named statement prepared on one server connection and run on another: the store is behind transaction pooling. */
function pooled(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (code !== '26000' && code !== '42P05') return error;
  return new OpscronError(
    'OPSCRON_CONFIG_INVALID',
    `the store's prepared statements do not survive its connection (${(error as Error).message}): DATABASE_URL looks like PgBouncer in transaction pooling mode — set store.poolMode: transaction`,
    { cause: error },
  );
}

export function connectPostgres(url: string, poolMode: PoolMode = 'session'): Sql {
  // Sessions in UTC, so timestamps PostgreSQL renders itself (JSON pages) read the same everywhere.
  // A SET, not the startup option `-c TimeZone=UTC`: PgBouncer refuses an `options` startup
  // parameter, and carries a client's TimeZone over to every server connection it lends it.
  // pg-pool's onConnect is awaited before the connection is lent (a 'connect' listener raced
  // the first query — pg 9 refuses two at once — and a failed SET went unnoticed).
  const pool = new pg.Pool({
    ...pgClientConfig(url),
    max: 10,
    connectionTimeoutMillis: 10_000,
    // Typed as returning void, awaited all the same (pg-pool 3.10+).
    onConnect: async (client: pg.ClientBase) => {
      await client.query(`set time zone 'UTC'`);
    },
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const named = poolMode === 'session';
  const on = (client: pg.PoolClient): Pick<Sql, 'query' | 'exec'> => ({
    query: async (text, params) => client.query(text, params as unknown[]) as never,
    exec: async (text) => {
      await client.query(text);
    },
  });
  return {
    kind: 'postgres',
    query: async (text, params, name) =>
      (name && named
        ? pool
            .query({ name, text, values: params as unknown[] })
            .catch((error: unknown) => Promise.reject(pooled(error)))
        : pool.query(text, params as unknown[])) as never,
    exec: async (text) => {
      await pool.query(text);
    },
    withConnection: (fn) => usingClient(pool, (client) => fn(on(client))),
    transaction: (fn) => usingClient(pool, (client) => inTransaction(client, () => fn(on(client)))),
    copyIn: (statement, data, around) =>
      usingClient(pool, async (client) => {
        if (!around) return copyTo(client, statement, data);
        await inTransaction(client, async () => {
          await client.query(around.before);
          await copyTo(client, statement, data);
          await client.query(around.after);
        });
      }),
    close: () => pool.end(),
  };
}
