/**
 * PgHero's checks with its defaults, as findings with the remedy an operator would run.
 * Pure: takes what src/integrations/pg-stats.ts read.
 *
 * Under pg-health/: stats.ts (what is read), server.ts (db-health: connections, sessions,
 * locks, cache, replication, wraparound, sequences, indexes), queries.ts (query-analysis).
 */
export type { PgStats, QueryStats, StatementStats } from './pg-health/stats.js';
export { judgePgHealth, pgHealthDefaults, type PgHealthThresholds } from './pg-health/server.js';
export { judgeQueries, type QueryThresholds } from './pg-health/queries.js';
