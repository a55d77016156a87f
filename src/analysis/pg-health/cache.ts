/**
 * The buffer cache hit rate from pg_statio_* is a ratio of lifetime counters: one cold
 * morning a month ago would weigh on it forever, and a cache that went cold an hour ago
 * hides behind years of hits. db-health keeps the counters it read and judges the hit rate
 * of the blocks read since its previous run.
 */
import { asReading, counterChange, describeInterval, type CounterReading } from '../counters.js';
import { pgEpoch, sameServer } from './epoch.js';
import type { PgReading, PgStats } from './stats.js';

/** The hit rate of the interval, and the reading to keep for the next run. */
export function cacheHitSince(previous: unknown, s: PgReading, at: string): { stats: PgStats; keep: CounterReading } {
  const { cacheCounters: c, ...rest } = s;
  const current: CounterReading = {
    at,
    epoch: pgEpoch(c.server, c.statsReset),
    since: c.statsReset,
    values: { heapHit: c.heapHit, heapRead: c.heapRead, indexHit: c.indexHit, indexRead: c.indexRead },
  };
  // Another server's counters are no baseline: judged since this one's statistics were reset.
  const kept = asReading(previous);
  const change = counterChange(kept && sameServer(kept.epoch, c.server) ? kept : null, current);
  const d = { heapHit: 0, heapRead: 0, indexHit: 0, indexRead: 0, ...change.deltas };
  const tableReads = d.heapHit + d.heapRead;
  const indexReads = d.indexHit + d.indexRead;
  return {
    stats: {
      ...rest,
      cacheHit: {
        table: tableReads > 0 ? d.heapHit / tableReads : null,
        index: indexReads > 0 ? d.indexHit / indexReads : null,
        tableReads,
        indexReads,
        interval: describeInterval(change, 'the statistics were last reset'),
      },
    },
    keep: current,
  };
}
