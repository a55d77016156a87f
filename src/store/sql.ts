/**
 * The one SQL surface both back ends offer: PostgreSQL through a pg Pool when
 * DATABASE_URL is set, PGlite (WASM Postgres in a directory) otherwise.
 */
import { mkdir } from 'node:fs/promises';
import pg from 'pg';

export interface Sql {
  readonly kind: 'postgres' | 'pglite';
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Several statements in one go (migrations); no parameters. */
  exec(text: string): Promise<void>;
  /** Runs `fn` on one connection (advisory locks, transactions). */
  withConnection<T>(fn: (sql: Pick<Sql, 'query' | 'exec'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// int8 (count(*), bigserial) as a JS number: our counts and ids stay far below 2^53.
pg.types.setTypeParser(20, (value: string) => Number(value));

export function connectPostgres(url: string): Sql {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 10_000 });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  return {
    kind: 'postgres',
    query: async (text, params) => pool.query(text, params as unknown[]) as never,
    exec: async (text) => {
      await pool.query(text);
    },
    withConnection: async (fn) => {
      const client = await pool.connect();
      try {
        return await fn({
          query: async (text, params) => client.query(text, params as unknown[]) as never,
          exec: async (text) => {
            await client.query(text);
          },
        });
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

export async function openPglite(dataDir: string): Promise<Sql> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir !== 'memory://') await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  const sql: Sql = {
    kind: 'pglite',
    query: async (text, params) => db.query(text, params) as never,
    exec: async (text) => {
      await db.exec(text);
    },
    withConnection: async (fn) => fn(sql),
    close: () => db.close(),
  };
  return sql;
}
