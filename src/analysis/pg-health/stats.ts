/** What src/integrations/pg-stats.ts reads from PostgreSQL's statistics views, for the checks to judge. */

/** One database's server-wide state (pg_stat_activity, pg_statio_*, replication, pg_sequences, pg_index). */
export interface PgStats {
  database: string;
  serverVersion: string;
  connections: { total: number; max: number };
  idleInTransaction: Array<{ pid: number; user: string | null; seconds: number; query: string }>;
  longRunning: Array<{ pid: number; user: string | null; seconds: number; query: string }>;
  blocked: Array<{ pid: number; blockedBy: number[]; seconds: number; query: string; blockerQuery: string | null }>;
  /** Buffer cache hit rates over `interval` (cache.ts: since the previous run), null when nothing was read. */
  cacheHit: { table: number | null; index: number | null; tableReads: number; indexReads: number; interval: string };
  replication: {
    isReplica: boolean;
    replicaLagSeconds: number | null;
    standbys: Array<{ name: string; lagSeconds: number | null; state: string }>;
  };
  inactiveSlots: Array<{ name: string; retainedBytes: number | null }>;
  wraparound: { age: number; remaining: number };
  sequences: Array<{ sequence: string; column: string | null; lastValue: number; maxValue: number; ratio: number }>;
  invalidIndexes: Array<{ index: string; table: string }>;
  duplicateIndexes: Array<{ index: string; coveredBy: string; table: string; bytes: number }>;
}

/** pg_statio_user_tables' and pg_statio_user_indexes' block counters summed, since `statsReset` (ISO 8601; null: never reset). */
export interface CacheCounters {
  heapHit: number;
  heapRead: number;
  indexHit: number;
  indexRead: number;
  statsReset: string | null;
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
  tables: TableScanRow[];
  /** pg_stat_database.stats_reset of this database (ISO 8601), null when never reset. */
  tablesReset: string | null;
  unusedIndexes: Array<{ index: string; table: string; scans: number; bytes: number }>;
}
