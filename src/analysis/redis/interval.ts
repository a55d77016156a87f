/**
 * Redis' counters (keyspace hits and misses, evicted keys, rejected connections, OOM
 * refusals, slow commands) are totals since the server started or CONFIG RESETSTAT.
 * cache-health keeps what it read (per cache) and judges what changed since its previous
 * run: a cache that evicted yesterday is not evicting now.
 */
import { asReading, counterChange, describeInterval, type CounterChange, type CounterReading } from '../counters.js';
import { n, redisMetrics, type RedisSnapshot } from './metrics.js';

const CENTURY = 100 * 365 * 86_400;

/** What cache-health keeps for a cache between runs. */
export interface RedisKept {
  counters: CounterReading;
  /** The newest SLOWLOG entry's id (ids keep counting across SLOWLOG RESET, restart at 0 with the server). */
  slowlogId: number | null;
  /** LATENCY LATEST as read: each event's latest spike (unix seconds, the server's clock); null where refused. */
  latencySeen: Record<string, number> | null;
}

/** The counters' change over the interval a run judges, and the words that say which interval. */
export interface RedisInterval {
  change: CounterChange;
  /** "since the previous run 60 min ago", "since Redis started 3 d ago". */
  text: string;
  hits: number;
  misses: number;
  /** null: no lookups in the interval. */
  hitRatio: number | null;
  evicted: number;
  expired: number;
  rejected: number;
  oom: number;
  /** Commands the slow log recorded in the interval (by entry id, so also those SLOWLOG GET did not return). */
  slow: number;
  /** Those of them SLOWLOG GET returned. */
  slowEntries: RedisSnapshot['slowlog']['entries'];
  /** The latest spike per event the previous run saw; null: the first run or a restart, so every spike is new. */
  latencySeen: Record<string, number> | null;
}

/** The counters as read now. `since` is when Redis started, by its uptime. */
export function redisKept(s: RedisSnapshot, at: Date): RedisKept {
  const m = redisMetrics(s);
  const uptime = n(s.info.uptime_in_seconds);
  return {
    counters: {
      at: at.toISOString(),
      epoch: s.info.run_id?.slice(0, 64) || null,
      // An uptime that is not a count of seconds below a century is garbled: the start is then unknown.
      since:
        /^\d{1,10}$/.test(s.info.uptime_in_seconds ?? '') && uptime < CENTURY
          ? new Date(at.getTime() - uptime * 1000).toISOString()
          : null,
      // A counter below 0 is a garbled INFO line, not a count: read as 0.
      values: Object.fromEntries(
        Object.entries({
          hits: m.hits,
          misses: m.misses,
          evicted: m.evictedKeys,
          expired: m.expiredKeys,
          rejected: m.rejectedConnections,
          oom: m.oomErrors,
        }).map(([k, v]) => [k, Math.max(0, v)]),
      ),
    },
    slowlogId: s.slowlog.entries.length ? Math.max(...s.slowlog.entries.map((e) => e.id)) : null,
    latencySeen: s.latencyLatest ? Object.fromEntries(s.latencyLatest.map((e) => [e.event, e.at])) : null,
  };
}

/** What an earlier run kept, if it has the shape of it (read back untrusted). */
export function asKept(value: unknown): RedisKept | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Partial<RedisKept>;
  const counters = asReading(v.counters);
  if (!counters) return null;
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  const seen =
    v.latencySeen && typeof v.latencySeen === 'object'
      ? Object.fromEntries(
          Object.entries(v.latencySeen)
            .slice(0, 100)
            .filter((e): e is [string, number] => num(e[1]) !== null),
        )
      : null;
  return { counters, slowlogId: num(v.slowlogId), latencySeen: seen };
}

/** The change from what the previous run kept (null: none) to `now`. */
export function redisInterval(previous: RedisKept | null, now: RedisKept, s: RedisSnapshot): RedisInterval {
  const change = counterChange(previous?.counters ?? null, now.counters);
  const d = (k: string) => change.deltas[k] ?? 0;
  const hits = d('hits');
  const misses = d('misses');
  // Slow entries newer than the previous run's newest; after a restart, every entry is new.
  const sameServer = previous !== null && previous.counters.epoch === now.counters.epoch;
  const previousNewest = sameServer ? previous.slowlogId : null;
  // Ids count every slow command since the server started, so their difference counts those SLOWLOG GET
  // did not return too — when they continue the previous run's. Without its newest id (its log was empty,
  // after SLOWLOG RESET, or refused) or with ids gone backwards, only the entries present can be counted.
  const continued = previousNewest !== null && (now.slowlogId ?? previousNewest) >= previousNewest;
  const after = continued ? previousNewest : -1;
  const slowEntries = s.slowlog.entries.filter((e) => e.id > after);
  const slow = !sameServer
    ? (now.slowlogId ?? -1) + 1
    : continued
      ? (now.slowlogId ?? after) - after
      : slowEntries.length;
  return {
    change,
    text: describeInterval(change, 'Redis started'),
    hits,
    misses,
    hitRatio: hits + misses ? hits / (hits + misses) : null,
    evicted: d('evicted'),
    expired: d('expired'),
    rejected: d('rejected'),
    oom: d('oom'),
    slow,
    slowEntries,
    latencySeen: sameServer ? previous.latencySeen : null,
  };
}

/** The interval's figures as run metrics (the since-start totals stay in redisMetrics). */
export function intervalMetrics(i: RedisInterval): Record<string, number> {
  return {
    ...(i.change.seconds === null ? {} : { intervalSeconds: i.change.seconds }),
    intervalHits: i.hits,
    intervalMisses: i.misses,
    // Left out without lookups: a ratio of nothing would chart as a perfect 100 %.
    ...(i.hitRatio === null ? {} : { intervalHitRatio: i.hitRatio }),
    intervalEvictedKeys: i.evicted,
    intervalExpiredKeys: i.expired,
    intervalRejectedConnections: i.rejected,
    intervalOomErrors: i.oom,
    intervalSlowCommands: i.slow,
  };
}
