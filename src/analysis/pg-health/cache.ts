/**
 * The buffer cache hit rate from pg_stat_database is a ratio of lifetime counters: one cold
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
    values: { hit: c.hit, read: c.read },
  };
  // Another server's counters are no baseline: judged since this one's statistics were reset.
  const kept = asReading(previous);
  const change = counterChange(kept && sameServer(kept.epoch, c.server) ? kept : null, current);
  const d = { hit: 0, read: 0, ...change.deltas };
  const reads = d.hit + d.read;
  return {
    stats: {
      ...rest,
      cacheHit: {
        rate: reads > 0 ? d.hit / reads : null,
        reads,
        interval: describeInterval(change, 'the statistics were last reset'),
      },
    },
    keep: current,
  };
}
