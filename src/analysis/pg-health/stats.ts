/** What src/integrations/pg-stats.ts reads from PostgreSQL's statistics views, for the checks to judge. */

/** One database's server-wide state (pg_stat_activity, pg_statio_*, replication, pg_sequences, pg_index). */
export interface PgStats {
  database: string;
  serverVersion: string;
  connections: { total: number; max: number };
  idleInTransaction: Array<{ pid: number; user: string | null; seconds: number; query: string }>;
  longRunning: Array<{ pid: number; user: string | null; seconds: number; query: string }>;
  blocked: Array<{ pid: number; blockedBy: number[]; seconds: number; query: string; blockerQuery: string | null }>;
  /** The database's buffer cache hit rate over `interval` (cache.ts: since the previous run), null when nothing was read. */
  cacheHit: { rate: number | null; reads: number; interval: string };
  replication: {
    isReplica: boolean;
    /** Where this replica is in the WAL it received and replayed (null on a primary): replication.ts turns it into lag. */
    replay: ReplayPosition | null;
    /** This replica's WAL receiver (pg_stat_wal_receiver), null when none runs (or on a primary). */
    receiver: WalReceiver | null;
    standbys: Array<{ name: string; lagSeconds: number | null; state: string }>;
  };
  inactiveSlots: Array<{ name: string; retainedBytes: number | null }>;
  wraparound: Wraparound;
  maintenance: Maintenance;
  /** Names as PostgreSQL quotes them (quote_ident, regclass): `sequence` schema-qualified, `column` as table.column. */
  sequences: Array<{ sequence: string; column: string | null; lastValue: number; maxValue: number; ratio: number }>;
  invalidIndexes: Array<{ index: string; table: string }>;
  duplicateIndexes: Array<{ index: string; coveredBy: string; table: string; bytes: number }>;
}

/** A replica's WAL positions, as pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn() and now() − pg_last_xact_replay_timestamp() give them. */
export interface ReplayPosition {
  receiveLsn: string | null;
  replayLsn: string | null;
  secondsSinceLastReplay: number | null;
}

/** A replica's WAL receiver: its status and how long since the primary last sent anything (null: not visible without pg_read_all_stats, or nothing yet). */
export interface WalReceiver {
  status: string | null;
  secondsSinceMessage: number | null;
  /** wal_receiver_timeout in seconds (0: disabled): an idle primary is asked for a message every half of it. */
  timeoutSeconds: number;
}

/** Transaction and multixact ID ages: each database's (pg_database), and this database's oldest tables (pg_class with its TOAST table). */
export interface Wraparound {
  databases: Array<{ database: string; xidAge: number; multixactAge: number }>;
  tables: Array<{
    table: string;
    xidAge: number;
    multixactAge: number;
    /** autovacuum_freeze_max_age and autovacuum_multixact_freeze_max_age as they apply to this table (its reloptions, else the server's). */
    freezeMaxAge: number;
    multixactFreezeMaxAge: number;
  }>;
}

/** A user table's upkeep: dead rows, changes since the last analyze, and when autovacuum would step in. */
export interface TableUpkeep {
  table: string;
  liveRows: number;
  deadRows: number;
  modsSinceAnalyze: number;
  /** Seconds since the latest of last_vacuum and last_autovacuum; null: never since the statistics were reset. */
  lastVacuumSeconds: number | null;
  lastAnalyzeSeconds: number | null;
  /** Dead rows past which autovacuum vacuums it: autovacuum_vacuum_threshold + scale_factor × reltuples (its reloptions, else the server's). */
  vacuumTrigger: number;
  analyzeTrigger: number;
  autovacuumEnabled: boolean;
}

/** An estimate of a table's or index's wasted space (check_postgres' and PgHero's method: expected pages from pg_stats widths vs pages). */
export interface BloatEstimate {
  kind: 'table' | 'index';
  name: string;
  table: string;
  bytes: number;
  wastedBytes: number;
}

/** What held-open work and upkeep db-health judges beyond PgHero's basics. */
export interface Maintenance {
  tables: TableUpkeep[];
  bloat: BloatEstimate[];
  preparedTransactions: Array<{ gid: string; owner: string; database: string; seconds: number }>;
  /** Active replication slots and the WAL each keeps (null on a replica); max_slot_wal_keep_size in bytes, null when unlimited (-1). */
  activeSlots: Array<{ name: string; retainedBytes: number | null }>;
  maxSlotWalKeepBytes: number | null;
  /** Transactions open for at least the threshold, idle or active (pg_stat_activity.xact_start). */
  longTransactions: Array<{ pid: number; user: string | null; seconds: number; state: string; query: string }>;
}

/**
 * pg_stat_database's blocks found in the buffer cache and read from disk (all of the
 * database's relations), since `statsReset` (ISO 8601; null: never reset). They only grow
 * until a reset: pg_statio_user_tables' sums go down when a table is dropped.
 */
export interface CacheCounters {
  hit: number;
  read: number;
  statsReset: string | null;
  /** Which server counted them (epoch.ts): system_identifier, timeline, address and port. */
  server: string;
}

/** What src/integrations/pg-stats.ts reads for db-health: the cache as lifetime counters, judged by their change (cache.ts). */
export type PgReading = Omit<PgStats, 'cacheHit'> & { cacheCounters: CacheCounters };

/** One normalized statement from pg_stat_statements, its counters since the statistics were reset. */
export interface StatementRow {
  /** queryid:userid:dbid — what pg_stat_statements counts by. */
  id: string;
  query: string;
  calls: number;
  totalMs: number;
  rows: number;
}

/** A statement as judged: its calls, time and rows over the interval judged. */
export interface StatementStats {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
}

/** A user table's scan counters (since the statistics were reset) and its live rows now. */
export interface TableScanRow {
  table: string;
  seqScans: number;
  indexScans: number;
  liveRows: number;
  seqTupRead: number;
}

/** What src/integrations/pg-stats.ts reads for query-analysis: lifetime counters, judged by their change (changes.ts). */
export interface QueryStats {
  /** null: pg_stat_statements is not there; the reason says why. */
  statements: StatementRow[] | null;
  missingReason?: string;
  /** pg_stat_statements_info.stats_reset (PostgreSQL 14+; ISO 8601), null when unknown. */
  statementsReset: string | null;
  /** The statements read stopped at pg-queries.ts' limit: there were more. */
  statementsTruncated: boolean;
  tables: TableScanRow[];
  /** The tables read stopped at pg-queries.ts' limit: there were more. */
  tablesTruncated: boolean;
  /** pg_stat_database.stats_reset of this database (ISO 8601), null when never reset. */
  tablesReset: string | null;
  /** Which server counted them all (epoch.ts): system_identifier, timeline, address and port. */
  server: string;
  unusedIndexes: Array<{ index: string; table: string; scans: number; bytes: number }>;
}
