/** What src/integrations/redis-info.ts reads from Redis, and the figures the checks judge it by. */

export interface RedisSnapshot {
  /** INFO everything, as a flat map. */
  info: Record<string, string>;
  /** CONFIG GET max*, activedefrag, save, appendonly, latency-monitor-threshold, stop-writes-on-bgsave-error. */
  config: Record<string, string>;
  memoryDoctor: string;
  latencyDoctor: string;
  slowlog: { length: number; entries: Array<{ id: number; at: Date; micros: number; command: string }> };
  /** LATENCY LATEST: each event's latest spike (unix seconds, server clock) and its worst; absent where refused. */
  latencyLatest?: Array<{ event: string; at: number; latestMs: number; maxMs: number }>;
}

/** A key from SCAN with its PTTL (-1: no expiry), MEMORY USAGE (null if it went away) and TYPE ('none' if it went away). */
export interface KeySample {
  key: string;
  ttl: number;
  bytes: number | null;
  type?: string;
}

/** A SCAN sample, how many keys the database holds, and why sampling stopped. */
export interface KeySampleResult {
  keys: KeySample[];
  /** DBSIZE of the database sampled: what the sample is extrapolated to. */
  dbsize: number;
  /** done: SCAN went round the whole keyspace; otherwise the bound that stopped it. */
  stoppedBy: 'done' | 'keys' | 'time' | 'bytes';
}

/** Figures from INFO and CONFIG; kept with every cache-health run, so the performance report can chart them. */
export type RedisMetrics = {
  /** 1 before any lookup: nothing has missed yet. */
  hitRatio: number;
  hits: number;
  misses: number;
  usedMemory: number;
  /** 0: no maxmemory. */
  maxmemory: number;
  /** 0 without maxmemory. */
  memoryRatio: number;
  fragmentation: number;
  /** Resident bytes beyond what Redis uses (used_memory_rss − used_memory). */
  fragmentationBytes: number;
  evictedKeys: number;
  expiredKeys: number;
  connectedClients: number;
  blockedClients: number;
  maxclients: number;
  rejectedConnections: number;
  slowlogLength: number;
  /** Across every dbN keyspace line. */
  keys: number;
  /** Commands refused with OOM since start (errorstat_OOM). */
  oomErrors: number;
};

/**
 * INFO's numbers are strings, and fields a version does not have are absent: both read as 0,
 * and so does anything that is not a finite number (INFO is the server's word, not trusted).
 */
export const n = (v: string | undefined): number => {
  const x = v === undefined || v === '' ? 0 : Number(v);
  return Number.isFinite(x) ? x : 0;
};

export function redisMetrics(s: RedisSnapshot): RedisMetrics {
  const i = s.info;
  const hits = n(i.keyspace_hits);
  const misses = n(i.keyspace_misses);
  const maxmemory = n(s.config.maxmemory ?? i.maxmemory);
  const used = n(i.used_memory);
  const keys = Object.entries(i)
    .filter(([k]) => /^db\d+$/.test(k))
    .reduce((sum, [, v]) => sum + n(/keys=(\d+)/.exec(v)?.[1]), 0);
  return {
    hitRatio: hits + misses ? hits / (hits + misses) : 1,
    hits,
    misses,
    usedMemory: used,
    maxmemory,
    memoryRatio: maxmemory ? used / maxmemory : 0,
    fragmentation: n(i.mem_fragmentation_ratio),
    fragmentationBytes: n(i.used_memory_rss) - used,
    evictedKeys: n(i.evicted_keys),
    expiredKeys: n(i.expired_keys),
    connectedClients: n(i.connected_clients),
    blockedClients: n(i.blocked_clients),
    maxclients: n(s.config.maxclients),
    rejectedConnections: n(i.rejected_connections),
    slowlogLength: s.slowlog.length,
    keys,
    oomErrors: n(/count=(\d+)/.exec(i.errorstat_OOM ?? '')?.[1]),
  };
}

/**
 * Fragmented enough to act on: the ratio alone misleads on a small instance, so 10 MiB must
 * be at stake too — and, as Redis' own MEMORY DOCTOR rules, nothing is judged under 5 MiB
 * used, where the process's own resident size (about 8 MiB for redis-server 7) dwarfs the data.
 */
export const isFragmented = (m: RedisMetrics): boolean =>
  m.usedMemory >= 5 * 2 ** 20 && m.fragmentation > 1.4 && m.fragmentationBytes > 10 * 2 ** 20;

/** The eviction policy: CONFIG's, or INFO's where CONFIG was refused; `fallback` when neither says. */
export const policyOf = (s: RedisSnapshot, fallback: string): string =>
  s.config['maxmemory-policy'] ?? s.info.maxmemory_policy?.slice(0, 40) ?? fallback;
