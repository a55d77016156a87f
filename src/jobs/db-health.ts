/** db-health: PgHero's checks with its defaults, each finding with the remedy an operator would run. */
import { z } from 'zod';
import { cacheHitSince, judgePgHealth, pgHealthDefaults } from '../analysis/pg-health.js';
import { duration } from '../config/schema.js';
import { readPgStats, withClient } from '../integrations/pg-stats.js';
import { databaseOf } from './db-backup.js';
import { defineJob, statusOf } from './types.js';

export const dbHealthParams = z.strictObject({
  database: z.string(),
  longRunning: duration.default(60_000),
  idleInTransaction: duration.default(60_000),
  cacheHitRate: z.number().min(0).max(1).default(pgHealthDefaults.cacheHitRate),
  sequenceRatio: z.number().min(0).max(1).default(pgHealthDefaults.sequenceRatio),
});

export const dbHealth = defineJob({
  type: 'db-health',
  summary:
    'PostgreSQL health as PgHero checks it: connections, long and blocked queries, cache hit rate, replication, wraparound, sequences, indexes',
  params: dbHealthParams,
  overridable: ['longRunning', 'idleInTransaction', 'cacheHitRate', 'sequenceRatio'],
  async run(ctx, params) {
    const database = databaseOf(ctx, params.database);
    const reading = await withClient(database.url, (client) =>
      readPgStats(client, {
        longRunningSeconds: params.longRunning / 1000,
        idleInTransactionSeconds: params.idleInTransaction / 1000,
      }),
    );
    // Cache hit rates are judged over the blocks read since the previous run, not since the statistics began.
    const kept = await ctx.state.get(database.name);
    const { stats, keep } = cacheHitSince(kept?.value, reading, ctx.now().toISOString());
    await ctx.state.put(database.name, keep);
    const findings = judgePgHealth(stats, {
      ...pgHealthDefaults,
      cacheHitRate: params.cacheHitRate,
      sequenceRatio: params.sequenceRatio,
    });
    const status = statusOf(findings);
    return {
      status,
      summary: findings.length
        ? `${database.name}: ${findings
            .map((f) => f.message)
            .slice(0, 3)
            .join('; ')}${findings.length > 3 ? ` (and ${findings.length - 3} more)` : ''}`
        : `${database.name} healthy: ${stats.connections.total}/${stats.connections.max} connections, cache hit ${stats.cacheHit.table === null ? 'n/a' : `${(stats.cacheHit.table * 100).toFixed(2)} %`} ${stats.cacheHit.interval}`,
      findings,
      metrics: {
        connections: stats.connections.total,
        maxConnections: stats.connections.max,
        ...(stats.cacheHit.table !== null ? { tableCacheHitRate: stats.cacheHit.table } : {}),
        ...(stats.cacheHit.index !== null ? { indexCacheHitRate: stats.cacheHit.index } : {}),
        xidRemaining: stats.wraparound.remaining,
        blocked: stats.blocked.length,
        longRunning: stats.longRunning.length,
        idleInTransaction: stats.idleInTransaction.length,
      },
    };
  },
});
