/**
 * The store: the only owner of opscron's tables, on PostgreSQL (DATABASE_URL) or SQLite
 * under ./var/db (sqlite.ts) — the same SQL where the two agree, a statement each where
 * they do not; migrations run at open. Everything else reads and
 * writes through its repositories, one per table family; no SQL for opscron's tables is
 * written anywhere else (lint keeps it so).
 */
import type { AuditSource, Period, RunRow } from '../model.js';
import { ConsoleSessionRepository } from './console-sessions.js';
import { jobHistory, recentStatuses, type HistoryQuery } from './console-views.js';
import { drainAudit, listAudit, writeAudit, type AuditEntry } from './audit.js';
import { DeliveryRepository } from './deliveries.js';
import { ExternalAlertRepository } from './external-alerts.js';
import { IncidentRepository } from './incidents.js';
import { JobStateRepository } from './job-state.js';
import { grantKey } from './keys.js';
import { migrations } from './migrations.js';
import { sqliteMigrations } from './migrations-sqlite.js';
import * as reportFindings from './report-findings.js';
import * as reportQueries from './report-queries.js';
import { ReportRepository } from './reports.js';
import { RevertRepository } from './reverts.js';
import { RunPages } from './run-pages.js';
import {
  attemptsOf,
  getRun,
  latestRuns,
  listRuns,
  previousFindings,
  pruneRuns,
  runHistoryBytes,
  runsOfQueueJob,
  type RunFilter,
} from './runs.js';
import { RunLog } from './run-log.js';
import { SilenceRepository } from './silences.js';
import { advanceSlots, loadScheduleStates, setPaused } from './schedule-state.js';
import { connectPostgres, type PoolMode, type Sql } from './sql.js';
import { openSqlite } from './sqlite.js';
import { beat, closeOrphanedRuns, forgetWorker } from './workers.js';

const MIGRATION_LOCK = 7_465_823_101;

/**
 * Applies the migrations `sql` has not had yet; returns their versions. Each runs in its own
 * transaction under a transaction-level advisory lock (released by commit or rollback), with
 * the check for it inside: no session state, so it works the same through PgBouncer in
 * transaction pooling mode, where a session lock would be taken on one server connection
 * and its unlock sent to another.
 */
export async function migrate(sql: Sql): Promise<number[]> {
  if (sql.kind === 'sqlite') return migrateSqlite(sql);
  await sql.transaction(async (q) => {
    await q.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await q.query(
      'create table if not exists schema_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())',
    );
  });
  const applied = new Set(
    (await sql.query<{ version: number }>('select version from schema_migrations')).rows.map((r) => r.version),
  );
  const done: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    await sql.transaction(async (q) => {
      await q.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      // Another replica may have applied it while this one waited for the lock.
      if ((await q.query('select 1 from schema_migrations where version = $1', [m.version])).rows.length) return;
      await q.query(m.sql);
      await q.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      done.push(m.version);
    });
  }
  return done;
}

/** The embedded store has one process (claimed), so no lock: each migration is one transaction. */
async function migrateSqlite(sql: Sql): Promise<number[]> {
  await sql.exec(
    `create table if not exists schema_migrations (version integer primary key, name text not null, applied_at text not null default (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`,
  );
  const { rows } = await sql.query<{ version: number }>('select version from schema_migrations');
  const applied = new Set(rows.map((r) => r.version));
  const done: number[] = [];
  for (const m of sqliteMigrations) {
    if (applied.has(m.version)) continue;
    await sql.transaction(async (q) => {
      for (const statement of m.sql.split(/;\s*\n/).filter((s) => s.trim())) await q.query(statement);
      await q.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
    });
    done.push(m.version);
  }
  return done;
}

/** Bound to one store: each function of a module of statements, with its Sql given. */
function bind<M extends Record<string, unknown>>(module: M, sql: Sql) {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(module))
    if (typeof fn === 'function')
      out[name] = (...args: unknown[]) => (fn as (...a: unknown[]) => unknown)(sql, ...args);
  return out as {
    [K in keyof M as M[K] extends (sql: Sql, ...args: never[]) => unknown ? K : never]: M[K] extends (
      sql: Sql,
      ...args: infer A
    ) => infer R
      ? (...args: A) => R
      : never;
  };
}

function repositories(sql: Sql, runLog: RunLog) {
  return {
    runs: {
      write: (row: RunRow) => runLog.write(row),
      insertNew: (rows: RunRow[]) => runLog.insertNew(rows),
      list: (filter: RunFilter = {}) => listRuns(sql, filter),
      get: (id: string) => getRun(sql, id),
      attempts: (queueId: string) => attemptsOf(sql, queueId),
      ofQueueJob: (queueId: string) => runsOfQueueJob(sql, queueId),
      latest: () => latestRuns(sql),
      prune: (before: Date) => pruneRuns(sql, before),
      bytes: () => runHistoryBytes(sql),
      previousFindings: (jobId: string, exceptRunId: string) => previousFindings(sql, jobId, exceptRunId),
    },
    audit: {
      write: (entry: AuditEntry, options?: { retain?: boolean }) => writeAudit(sql, entry, options),
      list: (since?: Date, limit?: number) => listAudit(sql, since, limit),
    },
    schedules: {
      load: (jobId?: string) => loadScheduleStates(sql, jobId),
      advance: (jobIds: string[], slots: Date[]) => advanceSlots(sql, jobIds, slots),
      setPaused: (jobId: string, paused: boolean, actor: string) => setPaused(sql, jobId, paused, actor),
    },
    workers: {
      beat: (name: string, at: Date, startedAt: Date) => beat(sql, name, at, startedAt),
      forget: (name: string) => forgetWorker(sql, name),
      closeOrphanedRuns: (self: string, aliveSince: Date, now: Date, why?: string) =>
        closeOrphanedRuns(sql, self, aliveSince, now, why),
    },
    incidents: new IncidentRepository(sql),
    silences: new SilenceRepository(sql),
    externalAlerts: new ExternalAlertRepository(sql),
    deliveries: new DeliveryRepository(sql),
    reports: new ReportRepository(sql),
    reportData: { ...bind(reportQueries, sql), ...bind(reportFindings, sql) },
    reverts: new RevertRepository(sql),
    jobState: new JobStateRepository(sql),
    consoleSessions: new ConsoleSessionRepository(sql),
    /** What the web console reads of the run history (console-views.ts). */
    runViews: {
      recent: (jobIds: readonly string[], perJob: number) => recentStatuses(sql, jobIds, perJob),
      history: (q: HistoryQuery) => jobHistory(sql, q),
    },
  };
}

export type Repositories = ReturnType<typeof repositories>;
export type { AuditSource, Period };

export interface Store extends Repositories {
  kind: Sql['kind'];
  /** The SQL surface: for the store's own modules, migrations and tests. Nothing else in opscron queries it. */
  sql: Sql;
  runLog: RunLog;
  /** API pages of runs, cached and revalidated per request. */
  runPages: RunPages;
  /** Signs the run requests opscron checked (src/run-request.ts); every process on this store has the same. */
  grantKey: Buffer;
  /** Only this process can open it (the embedded store): any other worker that wrote to it is gone. */
  exclusive: boolean;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openStore(options: {
  databaseUrl?: string;
  path: string;
  /** `transaction`: the URL is PgBouncer with pool_mode=transaction (no named prepared statements). */
  poolMode?: PoolMode;
}): Promise<Store> {
  const sql = options.databaseUrl
    ? connectPostgres(options.databaseUrl, options.poolMode ?? 'session')
    : openSqlite(options.path);
  let key: Buffer;
  try {
    await migrate(sql);
    key = await grantKey(sql);
  } catch (error) {
    await sql.close().catch(() => {});
    throw error;
  }
  // SQLite writes on the event loop, about 35 µs a row with its JSON (measured under load):
  // batches of at most 250 rows keep each statement near 10 ms.
  const runLog = new RunLog(sql, sql.kind === 'sqlite' ? { maxBatch: 250 } : {});
  return {
    kind: sql.kind,
    sql,
    runLog,
    runPages: new RunPages(sql),
    grantKey: key,
    exclusive: sql.kind === 'sqlite',
    ...repositories(sql, runLog),
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
