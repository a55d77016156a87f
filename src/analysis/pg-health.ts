/**
 * PgHero's checks with its defaults, as findings with the remedy an operator would run.
 * Pure: takes what src/integrations/pg-stats.ts read.
 *
 * Under pg-health/: stats.ts (what is read), server.ts (db-health: connections, sessions,
 * locks, cache, replication, sequences, indexes), wraparound.ts, upkeep.ts (vacuum, analyze,
 * bloat, what holds the xmin horizon), queries.ts (query-analysis),
 * changes.ts (lifetime counters turned into changes since the previous run).
 */
export type {
  BloatEstimate,
  CacheCounters,
  Maintenance,
  PgReading,
  PgStats,
  QueryStats,
  ReplayPosition,
  StatementRow,
  StatementStats,
  TableScanRow,
  TableUpkeep,
  WalReceiver,
  Wraparound,
} from './pg-health/stats.js';
export { cacheHitSince } from './pg-health/cache.js';
export { asQuerySnapshot, queryChanges, type QueryChanges, type QuerySnapshot } from './pg-health/changes.js';
export { judgePgHealth, pgHealthDefaults, replicaLagSeconds, type PgHealthThresholds } from './pg-health/server.js';
export { WRAPAROUND_HORIZON } from './pg-health/wraparound.js';
export { judgeQueries, seqScanCount, type QueryInput, type QueryThresholds } from './pg-health/queries.js';
