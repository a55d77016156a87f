/**
 * query-analysis: the runbook's "analyse queries" from pg_stat_statements — top N by
 * total and by mean time, slow ones (mean ≥ 20 ms over ≥ 100 calls), rows per call —
 * plus tables read mostly by sequential scans and indexes nobody uses. The counters are
 * judged by what changed since the previous run (kept per database in the job's state),
 * so a slow query fixed since clears. Without the extension: one finding saying how to
 * enable it.
 */
import { z } from 'zod';
import { asQuerySnapshot, judgeQueries, queryChanges, seqScanCount } from '../analysis/pg-health.js';
import { readQueryStats, withClient } from '../integrations/pg-stats.js';
import { databaseOf } from './db-backup.js';
import { defineJob, statusOf } from './types.js';

export const queryAnalysisParams = z.strictObject({
  database: z.string(),
  top: z.number().int().min(1).max(100).default(10),
  slowMeanMs: z.number().min(0).default(20),
  slowCalls: z.number().int().min(1).default(100),
  rowsPerCall: z.number().int().min(1).default(10_000),
});

export const queryAnalysis = defineJob({
  type: 'query-analysis',
  summary:
    'pg_stat_statements since the previous run: top queries by total and mean time, slow queries, sequential-scan tables, unused indexes',
  params: queryAnalysisParams,
  feeds: { performanceSection: 'slow-queries' },
  overridable: ['top', 'slowMeanMs', 'slowCalls', 'rowsPerCall'],
  async run(ctx, params) {
    const database = databaseOf(ctx, params.database);
    const stats = await withClient(database.url, (client) => readQueryStats(client));
    const kept = await ctx.state.get(database.name);
    const changes = queryChanges(asQuerySnapshot(kept?.value), stats, ctx.now().toISOString());
    const findings = judgeQueries(
      database.name,
      { ...changes, missingReason: stats.missingReason, unusedIndexes: stats.unusedIndexes },
      params,
    );
    const slow = findings.filter((f) => f.check === 'pg.slow-query').length;
    const seqScans = seqScanCount(findings);
    const outcome = {
      status: statusOf(findings),
      summary:
        changes.statements === null
          ? `${database.name}: no query statistics (${stats.missingReason})`
          : `${database.name}: ${changes.statements.length} statements run ${changes.statementsInterval}, ${slow} slow, ${seqScans} tables mostly sequentially scanned, ${stats.unusedIndexes.length} unused indexes`,
      findings,
      metrics: {
        slowQueries: slow,
        seqScanTables: seqScans,
        unusedIndexes: stats.unusedIndexes.length,
        ...(changes.statements?.[0] ? { topTotalMs: Math.round(changes.statements[0].totalMs) } : {}),
      },
    };
    // Kept only once judged: a run that fails before leaves the interval to the next run.
    await ctx.state.put(database.name, changes.snapshot);
    return outcome;
  },
});
