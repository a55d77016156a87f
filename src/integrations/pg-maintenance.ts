/**
 * What db-health reads beyond PgHero's basics: transaction and multixact ID ages per
 * database and per table, table upkeep (dead rows, changes since analyze, autovacuum's
 * triggers), estimated bloat, prepared transactions, active replication slots and
 * long-open transactions. I/O only: src/analysis/pg-health/ judges it.
 */
import type pg from 'pg';
import type { Maintenance, TableUpkeep, Wraparound } from '../analysis/pg-health.js';
import { readBloat } from './pg-bloat.js';
import { maskSqlLiterals } from '../analysis/sql-literals.js';

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** A storage parameter of table `c` (its reloptions), else the server's setting of the same name. */
const setting = (name: string) =>
  `coalesce((select option_value from pg_options_to_table(c.reloptions) where option_name = '${name}'), current_setting('${name}'))`;

/** Every database's transaction and multixact ID age, and the 20 tables of this one nearest their forced freeze (with their TOAST tables). */
export async function readWraparound(client: pg.Client): Promise<Wraparound> {
  const databases = await client.query<{ database: string; xid_age: string; mxid_age: string }>(
    `select datname as database, age(datfrozenxid)::text as xid_age, mxid_age(datminmxid)::text as mxid_age from pg_database order by age(datfrozenxid) desc limit 100`,
  );
  // Nearest their forced freeze first: the age against the autovacuum_freeze_max_age that applies to each.
  const tables = await client.query<{ table: string; xid_age: string; mxid_age: string; fmax: string; mfmax: string }>(`
    select n.nspname || '.' || c.relname as table, a.xid_age::text, a.mxid_age::text, a.fmax::text, a.mfmax::text
      from pg_class c join pg_namespace n on n.oid = c.relnamespace left join pg_class t on t.oid = c.reltoastrelid,
           lateral (select greatest(age(c.relfrozenxid), coalesce(age(t.relfrozenxid), 0)) as xid_age,
                           greatest(mxid_age(c.relminmxid), coalesce(mxid_age(t.relminmxid), 0)) as mxid_age,
                           least(${setting('autovacuum_freeze_max_age')}::bigint, current_setting('autovacuum_freeze_max_age')::bigint) as fmax,
                           least(${setting('autovacuum_multixact_freeze_max_age')}::bigint, current_setting('autovacuum_multixact_freeze_max_age')::bigint) as mfmax) a
     where c.relkind in ('r', 'm')
     order by greatest(a.xid_age::float8 / a.fmax, a.mxid_age::float8 / a.mfmax) desc limit 20`);
  return {
    databases: databases.rows.map((d) => ({
      database: d.database,
      xidAge: Number(d.xid_age),
      multixactAge: Number(d.mxid_age),
    })),
    tables: tables.rows.map((t) => ({
      table: t.table,
      xidAge: Number(t.xid_age),
      multixactAge: Number(t.mxid_age),
      freezeMaxAge: Number(t.fmax),
      multixactFreezeMaxAge: Number(t.mfmax),
    })),
  };
}

/** The 200 user tables with the most dead rows and changes since analyze, with autovacuum's triggers for each. */
async function readUpkeep(client: pg.Client): Promise<TableUpkeep[]> {
  const rows = await client.query<{
    table: string;
    live: string;
    dead: string;
    mods: string;
    vacuumed: number | null;
    analyzed: number | null;
    vtrigger: number;
    atrigger: number;
    autovacuum: boolean;
  }>(`
    select s.schemaname || '.' || s.relname as table, s.n_live_tup::text as live, s.n_dead_tup::text as dead, s.n_mod_since_analyze::text as mods,
           extract(epoch from now() - greatest(s.last_vacuum, s.last_autovacuum))::float8 as vacuumed,
           extract(epoch from now() - greatest(s.last_analyze, s.last_autoanalyze))::float8 as analyzed,
           (${setting('autovacuum_vacuum_threshold')}::float8 + ${setting('autovacuum_vacuum_scale_factor')}::float8 * greatest(c.reltuples, 0))::float8 as vtrigger,
           (${setting('autovacuum_analyze_threshold')}::float8 + ${setting('autovacuum_analyze_scale_factor')}::float8 * greatest(c.reltuples, 0))::float8 as atrigger,
           current_setting('autovacuum') = 'on' and coalesce((select option_value from pg_options_to_table(c.reloptions) where option_name = 'autovacuum_enabled'), 'true')::boolean as autovacuum
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid
     where s.n_dead_tup > 0 or s.n_mod_since_analyze > 0
     order by s.n_dead_tup + s.n_mod_since_analyze desc limit 200`);
  return rows.rows.map((r) => ({
    table: r.table,
    liveRows: Number(r.live),
    deadRows: Number(r.dead),
    modsSinceAnalyze: Number(r.mods),
    lastVacuumSeconds: r.vacuumed,
    lastAnalyzeSeconds: r.analyzed,
    vacuumTrigger: r.vtrigger,
    analyzeTrigger: r.atrigger,
    autovacuumEnabled: r.autovacuum,
  }));
}

/** Prepared transactions of the whole cluster (they hold back every database's vacuum), oldest first. */
async function readPrepared(client: pg.Client): Promise<Maintenance['preparedTransactions']> {
  const rows = await client.query<{ gid: string; owner: string; database: string; seconds: number }>(
    `select left(gid, 200) as gid, owner::text, database::text, extract(epoch from now() - prepared)::float8 as seconds from pg_prepared_xacts order by prepared limit 50`,
  );
  return rows.rows;
}

/** Active replication slots and the WAL each keeps, and max_slot_wal_keep_size (null: unlimited). */
async function readActiveSlots(client: pg.Client): Promise<Pick<Maintenance, 'activeSlots' | 'maxSlotWalKeepBytes'>> {
  const slots = await client.query<{ name: string; retained: string | null }>(
    `select slot_name as name, case when pg_is_in_recovery() then null else pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text end as retained from pg_replication_slots where active order by 2 desc nulls last limit 50`,
  );
  // The setting is PostgreSQL 13+; before it, and at -1, nothing limits what a slot keeps.
  const [max] = (
    await client.query<{ bytes: string | null }>(
      `select pg_size_bytes(current_setting('max_slot_wal_keep_size', true))::text as bytes`,
    )
  ).rows;
  const bytes = max?.bytes == null ? -1 : Number(max.bytes);
  return {
    activeSlots: slots.rows.map((s) => ({ name: s.name, retainedBytes: num(s.retained) })),
    maxSlotWalKeepBytes: bytes < 0 ? null : bytes,
  };
}

/** Transactions of this database open for at least `seconds`, whatever their session does now (20, oldest first). */
async function readLongTransactions(client: pg.Client, seconds: number): Promise<Maintenance['longTransactions']> {
  const rows = await client.query<Maintenance['longTransactions'][number]>(
    `select pid, usename as user, extract(epoch from now() - xact_start)::float8 as seconds, coalesce(state, '?') as state, left(query, 500) as query
       from pg_stat_activity
      where pid <> pg_backend_pid() and datname = current_database() and backend_type = 'client backend'
        and xact_start is not null and now() - xact_start >= make_interval(secs => $1)
      order by xact_start limit 20`,
    [seconds],
  );
  return rows.rows.map((row) => ({ ...row, query: maskSqlLiterals(row.query) }));
}

/** Everything upkeep.ts judges; the bloat estimate is pg-bloat.ts's. */
export async function readMaintenance(client: pg.Client, t: { longTransactionSeconds: number }): Promise<Maintenance> {
  return {
    tables: await readUpkeep(client),
    bloat: await readBloat(client),
    preparedTransactions: await readPrepared(client),
    ...(await readActiveSlots(client)),
    longTransactions: await readLongTransactions(client, t.longTransactionSeconds),
  };
}
