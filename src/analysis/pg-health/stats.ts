/** What src/integrations/pg-stats.ts reads from PostgreSQL's statistics views, for the checks to judge. */

/** One database's server-wide state (pg_stat_activity, pg_statio_*, replication, pg_sequences, pg_index). */
export interface PgStats {
  database: string;
  serverVersion: string;
  connections: { total: number; max: number };
  idleInTransaction: Array<{ pid: number; user: string | null; seconds: number; query: string }>;
  longRunning: Array<{ pid: number; user: string | null; seconds: number; query: string }>;
  blocked: Array<{ pid: number; blockedBy: number[]; seconds: number; query: string; blockerQuery: string | null }>;
  cacheHit: { table: number | null; index: number | null; tableReads: number; indexReads: number };
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

/** One normalized statement from pg_stat_statements. */
export interface StatementStats {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
}

export interface QueryStats {
  /** null: pg_stat_statements is not there; the reason says why. */
  statements: StatementStats[] | null;
  missingReason?: string;
  seqScanTables: Array<{ table: string; seqScans: number; indexScans: number; liveRows: number; seqTupRead: number }>;
  unusedIndexes: Array<{ index: string; table: string; scans: number; bytes: number }>;
}
