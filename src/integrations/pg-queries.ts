/**
 * What query-analysis reads: pg_stat_statements (when it is there) and the scan and index
 * counters, as lifetime counters with the stats_reset they count from. I/O only:
 * src/analysis/pg-health/changes.ts turns them into changes since the previous run.
 */
import type pg from 'pg';
import type { QueryStats, StatementRow } from '../analysis/pg-health.js';

/** The statements read: the 5,000 with the most total time and the 500 with the highest mean (a rarely run slow one is not crowded out). */
const STATEMENTS_BY_TOTAL = 5000;
const STATEMENTS_BY_MEAN = 500;
/** The tables read, most rows read sequentially first. */
const TABLES = 1000;

/**
 * Which server this connection reached (src/analysis/pg-health/epoch.ts): the cluster's
 * system_identifier, its timeline (a promoted standby starts a new one), and the address
 * and port the server serves this connection on. pg_control_* need no superuser.
 */
export const SERVER_IDENTITY = `(select system_identifier::text from pg_control_system()) || ':' ||
  (select timeline_id::text from pg_control_checkpoint()) || '@' ||
  coalesce(host(inet_server_addr()), 'socket') || ':' || current_setting('port')`;

const iso = (v: Date | string | null | undefined): string | null =>
  v === null || v === undefined ? null : new Date(v).toISOString();

/** This database's statements in pg_stat_statements, or why there are none. */
async function readStatements(
  client: pg.Client,
): Promise<Pick<QueryStats, 'statements' | 'missingReason' | 'statementsReset' | 'statementsTruncated'>> {
  const ext = await client.query(`select 1 from pg_extension where extname = 'pg_stat_statements'`);
  if (!ext.rowCount)
    return {
      statements: null,
      statementsReset: null,
      statementsTruncated: false,
      missingReason: 'the pg_stat_statements extension is not installed in this database',
    };
  try {
    const rows = await client.query<{
      id: string;
      query: string;
      calls: string;
      total: number;
      rows: string;
      available: string;
    }>(
      `
      with s as (
        select coalesce(queryid::text, md5(query)) || ':' || userid || ':' || dbid as id, query, calls, total_exec_time, mean_exec_time, rows
          from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database()) and query not ilike '%pg_stat_statements%')
      select id, left(query, 1000) as query, calls::text, total_exec_time as total, rows::text, (select count(*) from s)::text as available from s
       where id in (select id from s order by total_exec_time desc limit $1) or id in (select id from s order by mean_exec_time desc limit $2)`,
      [STATEMENTS_BY_TOTAL, STATEMENTS_BY_MEAN],
    );
    const statements = rows.rows.map((r): StatementRow => ({
      id: r.id,
      query: r.query,
      calls: Number(r.calls),
      totalMs: r.total,
      rows: Number(r.rows),
    }));
    const truncated = statements.length > 0 && Number(rows.rows[0]!.available) > statements.length;
    return { statements, statementsReset: await statementsReset(client), statementsTruncated: truncated };
  } catch (error) {
    // e.g. "pg_stat_statements must be loaded via shared_preload_libraries"
    return {
      statements: null,
      statementsReset: null,
      statementsTruncated: false,
      missingReason: (error as Error).message,
    };
  }
}

/** When pg_stat_statements last started counting (pg_stat_statements_info is PostgreSQL 14+; null before). */
async function statementsReset(client: pg.Client): Promise<string | null> {
  try {
    const info = await client.query<{ stats_reset: Date | null }>('select stats_reset from pg_stat_statements_info');
    return iso(info.rows[0]?.stats_reset);
  } catch {
    return null;
  }
}

/** Every user table's scan counters (the 1,000 reading most rows sequentially) and when this database's statistics were reset. */
async function readTables(
  client: pg.Client,
): Promise<Pick<QueryStats, 'tables' | 'tablesReset' | 'tablesTruncated' | 'server'>> {
  const tables = await client.query<{
    table: string;
    seq_scan: string;
    idx_scan: string;
    live: string;
    seq_tup_read: string;
    available: string;
  }>(
    `select schemaname || '.' || relname as table, seq_scan::text, coalesce(idx_scan, 0)::text as idx_scan, n_live_tup::text as live, seq_tup_read::text,
            (count(*) over ())::text as available
       from pg_stat_user_tables order by seq_tup_read desc limit $1`,
    [TABLES],
  );
  const reset = await client.query<{ stats_reset: Date | null; server: string }>(
    `select stats_reset, ${SERVER_IDENTITY} as server from pg_stat_database where datname = current_database()`,
  );
  return {
    tables: tables.rows.map((r) => ({
      table: r.table,
      seqScans: Number(r.seq_scan),
      indexScans: Number(r.idx_scan),
      liveRows: Number(r.live),
      seqTupRead: Number(r.seq_tup_read),
    })),
    tablesReset: iso(reset.rows[0]?.stats_reset),
    tablesTruncated: tables.rows.length > 0 && Number(tables.rows[0]!.available) > tables.rows.length,
    server: reset.rows[0]!.server,
  };
}

/** Non-unique indexes used fewer than 50 times since the statistics were reset (the 50 largest). */
async function readUnusedIndexes(client: pg.Client): Promise<QueryStats['unusedIndexes']> {
  const unused = await client.query<{ index: string; table: string; scans: string; bytes: string }>(`
    select quote_ident(s.schemaname) || '.' || quote_ident(s.indexrelname) as index, quote_ident(s.schemaname) || '.' || quote_ident(s.relname) as table, s.idx_scan::text as scans, pg_relation_size(s.indexrelid)::text as bytes
      from pg_stat_user_indexes s join pg_index i on i.indexrelid = s.indexrelid
     where not i.indisunique and not i.indisprimary and s.idx_scan < 50 order by pg_relation_size(s.indexrelid) desc limit 50`);
  return unused.rows.map((r) => ({ index: r.index, table: r.table, scans: Number(r.scans), bytes: Number(r.bytes) }));
}

/** What pg_stat_statements (when it is there) and the scan and index counters say about the queries. */
export async function readQueryStats(client: pg.Client): Promise<QueryStats> {
  return {
    ...(await readStatements(client)),
    ...(await readTables(client)),
    unusedIndexes: await readUnusedIndexes(client),
  };
}
