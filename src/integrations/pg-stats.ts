/**
 * What PostgreSQL says about itself (pg_stat_activity, pg_stat_database, pg_stat_replication,
 * pg_replication_slots, pg_database, pg_sequences, pg_index, pg_stat_statements), read
 * with one short-lived connection. I/O only: src/analysis/pg-health.ts judges it.
 */
import pg from 'pg';
import type { PgReading, PgStats } from '../analysis/pg-health.js';
import { readMaintenance, readWraparound } from './pg-maintenance.js';
import { SERVER_IDENTITY } from './pg-queries.js';
import { pgClientConfig } from '../config/pg-ssl.js';
import { OpscronError } from '../errors.js';
import { maskSqlLiterals } from '../analysis/sql-literals.js';

export type { PgReading, PgStats } from '../analysis/pg-health.js';
export { readQueryStats } from './pg-queries.js';

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * Runs `fn` with a connection to `url` (30 s statement timeout), closed after it whatever
 * happens. The timeout is a startup parameter, which PgBouncer refuses ("unsupported startup
 * parameter"): these jobs read one server's own statistics, which a pooler in front would
 * only obscure, so that refusal becomes a configuration error saying so (not a retry).
 */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ ...pgClientConfig(url), statement_timeout: 30_000, application_name: 'opscron' });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw poolerRefusal(url, error) ?? error;
  }
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

function poolerRefusal(url: string, error: unknown): OpscronError | null {
  const message = (error as Error).message ?? '';
  if (!/unsupported startup parameter/i.test(message)) return null;
  const { hostname, port } = new URL(url);
  return new OpscronError(
    'OPSCRON_CONFIG_INVALID',
    `${hostname}:${port || 5432} refused the startup parameter statement_timeout (${message}) — it looks like ` +
      "PgBouncer. The database jobs read the server's own pg_stat_* views, which a pooler would obscure: " +
      "point databases[].url at PostgreSQL itself (or list statement_timeout in PgBouncer's ignore_startup_parameters).",
    { cause: error },
  );
}

/** Rows of a query, typed by the caller (the row shapes below are what each statement selects). */
type Rows = <R extends pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<R[]>;

type Session = { pid: number; user: string | null; seconds: number; query: string };

/**
 * Everything src/analysis/pg-health.ts judges, one statement at a time on `client`: the
 * server and its connections, sessions idle in a transaction or running long (by
 * `thresholds`), blocked queries, cache hit rates, replication, sequences and indexes.
 */
export async function readPgStats(
  client: pg.Client,
  thresholds: { longRunningSeconds: number; idleInTransactionSeconds: number; longTransactionSeconds: number },
): Promise<PgReading> {
  const q: Rows = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    (await client.query<R>(text, values)).rows;
  const head = await readServer(q);
  const sessions = await readSessions(q, thresholds);
  const blocked = await readBlocked(q);
  const cacheCounters = await readCacheCounters(q);
  const replication = await readReplication(q, head);
  return {
    database: head.db,
    serverVersion: head.version,
    connections: { total: Number(head.total), max: Number(head.max) },
    idleInTransaction: sessions.idle,
    longRunning: sessions.long,
    blocked,
    cacheCounters,
    replication: replication.replication,
    inactiveSlots: replication.inactiveSlots,
    wraparound: await readWraparound(client),
    sequences: await readSequences(q),
    ...(await readIndexProblems(q)),
    maintenance: await readMaintenance(client, { longTransactionSeconds: thresholds.longTransactionSeconds }),
  };
}

interface ServerRow {
  db: string;
  version: string;
  total: string;
  max: string;
  replica: boolean;
  receive_lsn: string | null;
  replay_lsn: string | null;
  replay: string | null;
}

/** The server in one row: version, connections, whether it is a replica (and where it is in the WAL). */
async function readServer(q: Rows): Promise<ServerRow> {
  const [head] = await q<ServerRow>(`
    select current_database() as db, current_setting('server_version') as version,
           (select count(*) from pg_stat_activity)::text as total, current_setting('max_connections') as max,
           pg_is_in_recovery() as replica,
           case when pg_is_in_recovery() then pg_last_wal_receive_lsn()::text end as receive_lsn,
           case when pg_is_in_recovery() then pg_last_wal_replay_lsn()::text end as replay_lsn,
           case when pg_is_in_recovery() then extract(epoch from now() - pg_last_xact_replay_timestamp())::text end as replay`);
  return head!;
}

/** Sessions idle in a transaction, and queries running, for at least the thresholds (20 of each, longest first). */
async function readSessions(
  q: Rows,
  thresholds: { longRunningSeconds: number; idleInTransactionSeconds: number },
): Promise<{ idle: Session[]; long: Session[] }> {
  const activity = `select pid, usename as user, extract(epoch from now() - %s)::float8 as seconds, left(query, 500) as query
                      from pg_stat_activity where pid <> pg_backend_pid() and datname = current_database() and %s order by seconds desc limit 20`;
  const idle = await q<Session>(
    activity
      .replace('%s', 'state_change')
      .replace(
        '%s',
        `state in ('idle in transaction', 'idle in transaction (aborted)') and now() - state_change >= make_interval(secs => $1)`,
      ),
    [thresholds.idleInTransactionSeconds],
  );
  const long = await q<Session>(
    activity
      .replace('%s', 'query_start')
      .replace(
        '%s',
        `state = 'active' and backend_type = 'client backend' and now() - query_start >= make_interval(secs => $1)`,
      ),
    [thresholds.longRunningSeconds],
  );
  const masked = (s: Session): Session => ({ ...s, query: maskSqlLiterals(s.query) });
  return { idle: idle.map(masked), long: long.map(masked) };
}

/** Queries waiting on a lock, with what holds it (constants masked, as in every session's text read here). */
async function readBlocked(q: Rows): Promise<PgStats['blocked']> {
  const blocked = await q<{
    pid: number;
    blocked_by: number[];
    seconds: number;
    query: string;
    blocker_query: string | null;
  }>(`
    select a.pid, pg_blocking_pids(a.pid) as blocked_by, extract(epoch from now() - a.query_start)::float8 as seconds, left(a.query, 500) as query,
           (select left(b.query, 500) from pg_stat_activity b where b.pid = (pg_blocking_pids(a.pid))[1]) as blocker_query
      from pg_stat_activity a where cardinality(pg_blocking_pids(a.pid)) > 0 and a.datname = current_database()`);
  return blocked.map((b) => ({
    pid: b.pid,
    blockedBy: b.blocked_by,
    seconds: b.seconds,
    query: maskSqlLiterals(b.query),
    blockerQuery: b.blocker_query === null ? null : maskSqlLiterals(b.blocker_query),
  }));
}

/** The database's blocks found in the buffer cache and read from disk (pg_stat_database: they only grow until a reset), and which server counted them. */
async function readCacheCounters(q: Rows): Promise<PgReading['cacheCounters']> {
  const [c] = await q<{ hit: string; read: string; reset: Date | null; server: string }>(`
    select blks_hit::text as hit, blks_read::text as read, stats_reset as reset, ${SERVER_IDENTITY} as server
      from pg_stat_database where datname = current_database()`);
  return {
    hit: Number(c!.hit),
    read: Number(c!.read),
    statsReset: c!.reset ? new Date(c!.reset).toISOString() : null,
    server: c!.server,
  };
}

/** Standbys and their lag, this replica's WAL receiver, and replication slots nobody reads (they hold WAL back). */
async function readReplication(q: Rows, head: ServerRow): Promise<Pick<PgStats, 'replication' | 'inactiveSlots'>> {
  const standbys = await q<{ name: string; lag: string | null; state: string }>(
    `select coalesce(application_name, client_addr::text, pid::text) as name, extract(epoch from replay_lag)::text as lag, state from pg_stat_replication`,
  );
  const slots = await q<{ name: string; retained: string | null }>(
    `select slot_name as name, case when pg_is_in_recovery() then null else pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text end as retained from pg_replication_slots where not active`,
  );
  const [receiver] = head.replica
    ? await q<{ status: string | null; silent: string | null; timeout_ms: string }>(
        `select status, extract(epoch from now() - last_msg_receipt_time)::text as silent,
                (select setting from pg_settings where name = 'wal_receiver_timeout') as timeout_ms
           from pg_stat_wal_receiver`,
      )
    : [];
  return {
    replication: {
      isReplica: head.replica,
      receiver: receiver
        ? {
            status: receiver.status,
            secondsSinceMessage: num(receiver.silent),
            timeoutSeconds: Number(receiver.timeout_ms) / 1000,
          }
        : null,
      replay: head.replica
        ? { receiveLsn: head.receive_lsn, replayLsn: head.replay_lsn, secondsSinceLastReplay: num(head.replay) }
        : null,
      standbys: standbys.map((s) => ({ name: s.name, lagSeconds: num(s.lag), state: s.state })),
    },
    inactiveSlots: slots.map((s) => ({ name: s.name, retainedBytes: num(s.retained) })),
  };
}

/** Each ascending sequence with its last value against the most its column (or itself) can hold; names as PostgreSQL quotes them. */
async function readSequences(q: Rows): Promise<PgStats['sequences']> {
  const sequences = await q<{ sequence: string; column: string | null; last_value: string; max_value: string }>(`
    select quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename) as sequence,
           (select d.refobjid::regclass::text || '.' || quote_ident(a.attname) from pg_depend d join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
             where d.objid = (quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename))::regclass and d.deptype in ('a', 'i') limit 1) as column,
           coalesce(s.last_value, s.start_value)::text as last_value,
           least(s.max_value, coalesce((select case t.typname when 'int2' then 32767 when 'int4' then 2147483647 else 9223372036854775807 end
               from pg_depend d join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid join pg_type t on t.oid = a.atttypid
              where d.objid = (quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename))::regclass and d.deptype in ('a', 'i') limit 1), s.max_value))::text as max_value
      from pg_sequences s where s.increment_by > 0`);
  return sequences.map((s) => ({
    sequence: s.sequence,
    column: s.column,
    lastValue: Number(s.last_value),
    maxValue: Number(s.max_value),
    ratio: Number(s.last_value) / Number(s.max_value),
  }));
}

/** Invalid indexes (a failed concurrent build), and btree indexes another one already covers. */
async function readIndexProblems(q: Rows): Promise<Pick<PgStats, 'invalidIndexes' | 'duplicateIndexes'>> {
  const invalid = await q<{ index: string; table: string }>(
    `select i.indexrelid::regclass::text as index, i.indrelid::regclass::text as table from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace where not i.indisvalid and n.nspname not in ('pg_catalog', 'information_schema')`,
  );
  const duplicates = await q<{ index: string; covered_by: string; table: string; bytes: string }>(`
    select a.indexrelid::regclass::text as index, b.indexrelid::regclass::text as covered_by, a.indrelid::regclass::text as table, pg_relation_size(a.indexrelid)::text as bytes
      from pg_index a join pg_index b on a.indrelid = b.indrelid and a.indexrelid <> b.indexrelid
      join pg_class ac on ac.oid = a.indexrelid join pg_am am on am.oid = ac.relam and am.amname = 'btree'
      join pg_class bc on bc.oid = b.indexrelid and bc.relam = ac.relam
      join pg_namespace n on n.oid = ac.relnamespace
     where n.nspname not in ('pg_catalog', 'information_schema') and a.indpred is null and b.indpred is null and a.indexprs is null and b.indexprs is null
       and not a.indisprimary and not (a.indisunique and not b.indisunique)
       and (b.indkey::text || ' ') like (a.indkey::text || ' %')
       and (a.indkey::text <> b.indkey::text or a.indexrelid > b.indexrelid)`);
  return {
    invalidIndexes: invalid,
    duplicateIndexes: duplicates.map((d) => ({
      index: d.index,
      coveredBy: d.covered_by,
      table: d.table,
      bytes: Number(d.bytes),
    })),
  };
}
