/**
 * The store: run history, schedule state and the audit log, on PostgreSQL (DATABASE_URL)
 * or PGlite under ./var/db. Same SQL either way; migrations run at open.
 */
import { drainAudit } from './audit.js';
import { grantKey } from './keys.js';
import { migrations } from './migrations.js';
import { RunPages } from './run-pages.js';
import { RunLog } from './runs.js';
import { connectPostgres, openPglite, type Sql } from './sql.js';

export interface Store {
  sql: Sql;
  runLog: RunLog;
  /** Signs the run requests opscron checked (src/run-request.ts); every process on this store has the same. */
  grantKey: Buffer;
  /** Only this process can open it (the embedded store): any other worker that wrote to it is gone. */
  exclusive: boolean;
  /** API pages of runs, cached and revalidated per request. */
  runPages: RunPages;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const MIGRATION_LOCK = 7_465_823_101;

export async function migrate(sql: Sql): Promise<number[]> {
  return sql.withConnection(async (conn) => {
    await conn.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await conn.exec('create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())');
      const { rows } = await conn.query<{ version: number }>('select version from schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      const done: number[] = [];
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await conn.exec(`begin;\n${m.sql}\ninsert into schema_migrations (version, name) values (${m.version}, '${m.name.replace(/'/g, "''")}');\ncommit;`);
        done.push(m.version);
      }
      return done;
    } catch (error) {
      await conn.exec('rollback').catch(() => {});
      throw error;
    } finally {
      await conn.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  });
}

export async function openStore(options: { databaseUrl?: string; path: string }): Promise<Store> {
  const sql = options.databaseUrl ? connectPostgres(options.databaseUrl) : await openPglite(options.path);
  let key: Buffer;
  try {
    await migrate(sql);
    key = await grantKey(sql);
  } catch (error) {
    await sql.close().catch(() => {});
    throw error;
  }
  const runLog = new RunLog(sql);
  return {
    sql,
    runLog,
    grantKey: key,
    exclusive: sql.kind === 'pglite',
    runPages: new RunPages(sql),
    ping: async () => {
      await sql.query('select 1');
    },
    close: async () => {
      await runLog.drain();
      runLog.close();
      await drainAudit(sql);
      await sql.close();
    },
  };
}
