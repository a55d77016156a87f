/**
 * db-health: PgHero's checks with its defaults (check_postgres' where PgHero has none), each
 * finding with the remedy an operator would run. Cache hit rates are judged over the
 * blocks read since the previous run (kept per database in the job's state).
 */
import { z } from 'zod';
import { cacheHitSince, judgePgHealth, pgHealthDefaults } from '../analysis/pg-health.js';
import { duration } from '../config/schema.js';
import { readPgStats, withClient } from '../integrations/pg-stats.js';
import { databaseOf } from './db-backup.js';
import { defineJob, statusOf } from './types.js';

const share = (fallback: number) => z.number().min(0).max(1).default(fallback);
const d = pgHealthDefaults;

export const dbHealthParams = z
  .strictObject({
    database: z.string(),
    longRunning: duration.default(60_000),
    idleInTransaction: duration.default(60_000),
    /** A transaction open this long (xact_start), idle or active. */
    longTransaction: duration.default(300_000),
    /** Replay lag of this replica or its standbys. */
    replicationLag: duration.default(d.replicationLagSeconds * 1000),
    cacheHitRate: share(d.cacheHitRate),
    sequenceRatio: share(d.sequenceRatio),
    /** Shares of the 2^31 transaction (and multixact) IDs a database or table may fall behind. */
    wraparoundWarn: share(d.wraparoundWarn),
    wraparoundCritical: share(d.wraparoundCritical),
    deadTupleShare: share(d.deadTupleShare),
    /** How long a table past autovacuum's trigger may go without a vacuum (or analyze). */
    maintenanceAge: duration.default(d.maintenanceAgeSeconds * 1000),
    bloatRatio: share(d.bloatRatio),
    bloatBytes: z.number().int().min(0).default(d.bloatBytes),
    preparedTransaction: duration.default(d.preparedTransactionSeconds * 1000),
    slotWalBytes: z.number().int().min(0).default(d.slotWalBytes),
  })
  .refine((p) => p.wraparoundCritical >= p.wraparoundWarn, {
    path: ['wraparoundCritical'],
    error: (issue) =>
      `must be at least wraparoundWarn (${(issue.input as { wraparoundWarn: number }).wraparoundWarn}); got ${(issue.input as { wraparoundCritical: number }).wraparoundCritical}`,
  });

type DbHealthParams = z.infer<typeof dbHealthParams>;

const thresholds = (p: DbHealthParams) => ({
  ...pgHealthDefaults,
  cacheHitRate: p.cacheHitRate,
  sequenceRatio: p.sequenceRatio,
  replicationLagSeconds: p.replicationLag / 1000,
  wraparoundWarn: p.wraparoundWarn,
  wraparoundCritical: p.wraparoundCritical,
  deadTupleShare: p.deadTupleShare,
  maintenanceAgeSeconds: p.maintenanceAge / 1000,
  bloatRatio: p.bloatRatio,
  bloatBytes: p.bloatBytes,
  preparedTransactionSeconds: p.preparedTransaction / 1000,
  slotWalBytes: p.slotWalBytes,
});

export const dbHealth = defineJob({
  type: 'db-health',
  summary:
    'PostgreSQL health as PgHero and check_postgres check it: connections, long and blocked queries and transactions, cache hit rate, replication and slots, wraparound, vacuum and analyze, bloat, prepared transactions, sequences, indexes',
  params: dbHealthParams,
  overridable: [
    'longRunning',
    'idleInTransaction',
    'longTransaction',
    'replicationLag',
    'cacheHitRate',
    'sequenceRatio',
    'wraparoundWarn',
    'wraparoundCritical',
    'deadTupleShare',
    'maintenanceAge',
    'bloatRatio',
    'bloatBytes',
    'preparedTransaction',
    'slotWalBytes',
  ],
  async run(ctx, params) {
    const database = databaseOf(ctx, params.database);
    const reading = await withClient(database.url, (client) =>
      readPgStats(client, {
        longRunningSeconds: params.longRunning / 1000,
        idleInTransactionSeconds: params.idleInTransaction / 1000,
        longTransactionSeconds: params.longTransaction / 1000,
      }),
    );
    // Cache hit rates are judged over the blocks read since the previous run, not since the statistics began.
    const kept = await ctx.state.get(database.name);
    const { stats, keep } = cacheHitSince(kept?.value, reading, ctx.now().toISOString());
    const findings = judgePgHealth(stats, thresholds(params));
    const oldest = Math.max(0, ...stats.wraparound.databases.map((x) => x.xidAge));
    const outcome = {
      status: statusOf(findings),
      summary: findings.length
        ? `${database.name}: ${findings
            .map((f) => f.message)
            .slice(0, 3)
            .join('; ')}${findings.length > 3 ? ` (and ${findings.length - 3} more)` : ''}`
        : `${database.name} healthy: ${stats.connections.total}/${stats.connections.max} connections, cache hit ${stats.cacheHit.rate === null ? 'n/a' : `${(stats.cacheHit.rate * 100).toFixed(2)} %`} ${stats.cacheHit.interval}`,
      findings,
      metrics: {
        connections: stats.connections.total,
        maxConnections: stats.connections.max,
        ...(stats.cacheHit.rate !== null ? { cacheHitRate: stats.cacheHit.rate } : {}),
        xidRemaining: 2 ** 31 - oldest,
        blocked: stats.blocked.length,
        longRunning: stats.longRunning.length,
        idleInTransaction: stats.idleInTransaction.length,
        preparedTransactions: stats.maintenance.preparedTransactions.length,
      },
    };
    // Kept only once judged: a run that fails before leaves the interval to the next run.
    await ctx.state.put(database.name, keep);
    return outcome;
  },
});
