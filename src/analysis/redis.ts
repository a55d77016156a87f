/** Redis judged from INFO and key samples: cache-health's findings and cache-optimize's advice. Pure. */
import type { Finding } from '../model.js';

export interface RedisSnapshot {
  info: Record<string, string>;
  config: Record<string, string>;
  memoryDoctor: string;
  latencyDoctor: string;
  slowlog: { length: number; entries: Array<{ id: number; at: Date; micros: number; command: string }> };
}

export interface KeySample {
  key: string;
  ttl: number;
  bytes: number | null;
}

const n = (v: string | undefined) => (v === undefined || v === '' ? 0 : Number(v));
const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

export function redisMetrics(s: RedisSnapshot) {
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

export function judgeRedisHealth(
  cache: string,
  s: RedisSnapshot,
  t: { hitRatio: number; memoryWarn: number; memoryCritical: number },
): Finding[] {
  const r = `cache/${cache}`;
  const m = redisMetrics(s);
  const f: Finding[] = [];
  if (m.hits + m.misses >= 1000 && m.hitRatio < t.hitRatio) {
    f.push({
      severity: 'warning',
      check: 'redis.hit-ratio',
      resource: r,
      message: `hit ratio ${pct(m.hitRatio)} (${m.hits} hits, ${m.misses} misses), below ${pct(t.hitRatio)}`,
      evidence: { hits: m.hits, misses: m.misses },
      remedy:
        'Misses cost a trip to the database: check the TTLs the apps set, and whether evictions (below) throw keys out before they are read.',
    });
  }
  if (m.evictedKeys > 0) {
    f.push({
      severity: 'warning',
      check: 'redis.evictions',
      resource: r,
      message: `${m.evictedKeys} keys evicted under ${s.config['maxmemory-policy'] ?? '?'} (maxmemory ${mib(m.maxmemory)})`,
      evidence: { evicted: m.evictedKeys },
      remedy:
        'The data does not fit: raise maxmemory, or give keys TTLs; cache-optimize says whether the policy fits the keys.',
    });
  }
  if (!m.maxmemory) {
    f.push({
      severity: 'info',
      check: 'redis.no-maxmemory',
      resource: r,
      message: `no maxmemory: Redis uses ${mib(m.usedMemory)} and will grow until the machine runs out`,
      remedy: 'Set maxmemory below what the host or container allows (cache-optimize).',
    });
  } else if (m.memoryRatio >= t.memoryWarn) {
    f.push({
      severity: m.memoryRatio >= t.memoryCritical ? 'critical' : 'warning',
      check: 'redis.memory',
      resource: r,
      message: `${mib(m.usedMemory)} used of ${mib(m.maxmemory)} maxmemory (${pct(m.memoryRatio)})`,
      evidence: { used: m.usedMemory, max: m.maxmemory },
      remedy:
        s.config['maxmemory-policy'] === 'noeviction'
          ? 'At maxmemory with noeviction, writes fail: raise maxmemory or clear stale keys (cache-clear).'
          : 'Raise maxmemory or expect evictions.',
    });
  }
  if (m.fragmentation > 1.4 && m.fragmentationBytes > 10 * 2 ** 20) {
    f.push({
      severity: 'warning',
      check: 'redis.fragmentation',
      resource: r,
      message: `memory fragmentation ${m.fragmentation.toFixed(2)} (${mib(m.fragmentationBytes)} more resident than used)`,
      remedy: 'CONFIG SET activedefrag yes (cache-optimize apply: true does it), or restart a replica and fail over.',
    });
  }
  if (m.rejectedConnections > 0) {
    f.push({
      severity: 'warning',
      check: 'redis.rejected-connections',
      resource: r,
      message: `${m.rejectedConnections} connections rejected (maxclients ${m.maxclients})`,
      remedy:
        'Clients hit maxclients: pool connections in the apps, or raise maxclients (and the file-descriptor limit).',
    });
  } else if (m.maxclients && m.connectedClients / m.maxclients >= 0.8) {
    f.push({
      severity: 'warning',
      check: 'redis.clients',
      resource: r,
      message: `${m.connectedClients} of ${m.maxclients} clients connected`,
      remedy: 'Pool connections in the apps before maxclients rejects new ones.',
    });
  }
  if (m.blockedClients > 0) {
    f.push({
      severity: 'info',
      check: 'redis.blocked-clients',
      resource: r,
      message: `${m.blockedClients} clients blocked (BLPOP and friends)`,
      evidence: { blocked: m.blockedClients },
    });
  }
  if (m.oomErrors > 0) {
    f.push({
      severity: 'critical',
      check: 'redis.oom-errors',
      resource: r,
      message: `${m.oomErrors} commands refused with OOM since start`,
      remedy: 'Writes are failing: raise maxmemory or switch maxmemory-policy from noeviction (cache-optimize).',
    });
  }
  if (s.slowlog.length > 0) {
    f.push({
      severity: 'info',
      check: 'redis.slowlog',
      resource: r,
      message: `${s.slowlog.length} slow commands logged; slowest recent: ${s.slowlog.entries
        .map((e) => `${e.command} (${(e.micros / 1000).toFixed(1)} ms)`)
        .slice(0, 3)
        .join(', ')}`,
      evidence: s.slowlog.entries,
      remedy: 'Look for O(N) commands on big keys (KEYS, SMEMBERS, HGETALL, LRANGE 0 -1) in the apps.',
    });
  }
  if (
    !/can't find any memory issue|no memory issue|Hi Sam, I can't find/i.test(s.memoryDoctor) &&
    /Sam,/.test(s.memoryDoctor)
  ) {
    f.push({
      severity: 'info',
      check: 'redis.memory-doctor',
      resource: r,
      message: s.memoryDoctor.replace(/\s+/g, ' ').slice(0, 400),
    });
  }
  if (/latency spike|Dave, I have observed/i.test(s.latencyDoctor)) {
    f.push({
      severity: 'info',
      check: 'redis.latency-doctor',
      resource: r,
      message: s.latencyDoctor.replace(/\s+/g, ' ').slice(0, 400),
    });
  }
  return f;
}

export interface Advice {
  finding: Finding;
  /** A CONFIG SET it is safe to apply, if there is one. */
  set?: { parameter: string; value: string };
}

export function adviseRedis(
  cache: string,
  s: RedisSnapshot,
  sample: KeySample[],
  t: { bigKeyBytes: number },
): Advice[] {
  const r = `cache/${cache}`;
  const m = redisMetrics(s);
  const policy = s.config['maxmemory-policy'] ?? 'noeviction';
  const out: Advice[] = [];
  if (!m.maxmemory) {
    out.push({
      finding: {
        severity: 'warning',
        check: 'redis.maxmemory-unset',
        resource: r,
        message: 'maxmemory is not set: Redis grows until the kernel kills it',
        remedy:
          'CONFIG SET maxmemory to about 75 % of the memory the container or host gives Redis (not applied automatically: opscron cannot know that limit).',
      },
    });
  }
  if (policy === 'noeviction' && (m.oomErrors > 0 || (m.maxmemory && m.memoryRatio >= 0.95))) {
    out.push({
      finding: {
        severity: 'critical',
        check: 'redis.noeviction-full',
        resource: r,
        message: `maxmemory-policy noeviction at ${pct(m.memoryRatio)} of maxmemory${m.oomErrors ? ` and ${m.oomErrors} writes refused with OOM` : ''}: writes fail`,
        remedy:
          'For a cache, CONFIG SET maxmemory-policy allkeys-lru; if Redis holds data that must not be lost, raise maxmemory instead.',
      },
      set: { parameter: 'maxmemory-policy', value: 'allkeys-lru' },
    });
  }
  const sampled = sample.length;
  const withoutTtl = sample.filter((k) => k.ttl === -1).length;
  const share = sampled ? withoutTtl / sampled : 0;
  if (sampled && policy.startsWith('volatile-') && share >= 0.5) {
    out.push({
      finding: {
        severity: 'warning',
        check: 'redis.policy-mismatch',
        resource: r,
        message: `maxmemory-policy ${policy} evicts only keys with a TTL, but ${pct(share)} of ${sampled} sampled keys have none${m.evictedKeys ? ` (${m.evictedKeys} evicted so far)` : ''}: at maxmemory, writes will fail`,
        evidence: { sampled, withoutTtl },
        remedy: `CONFIG SET maxmemory-policy allkeys-${policy.slice('volatile-'.length)}, or set TTLs on the keys.`,
      },
      set: { parameter: 'maxmemory-policy', value: `allkeys-${policy.slice('volatile-'.length)}` },
    });
  }
  if (sampled && policy.startsWith('allkeys-') && share === 0 && m.evictedKeys > 0) {
    out.push({
      finding: {
        severity: 'info',
        check: 'redis.policy-ttl',
        resource: r,
        message: `every sampled key has a TTL and keys are being evicted: volatile-${policy.slice('allkeys-'.length)} would keep keys the apps meant to keep`,
        evidence: { sampled },
      },
    });
  }
  const big = sample.filter((k) => (k.bytes ?? 0) >= t.bigKeyBytes).sort((a, b) => (b.bytes ?? 0) - (a.bytes ?? 0));
  if (big.length) {
    out.push({
      finding: {
        severity: 'warning',
        check: 'redis.big-keys',
        resource: r,
        message: `${big.length} of ${sampled} sampled keys are ${mib(t.bigKeyBytes)} or more: ${big
          .slice(0, 5)
          .map((k) => `${k.key} (${mib(k.bytes!)})`)
          .join(', ')}`,
        evidence: big.slice(0, 20),
        remedy:
          'Big keys block Redis while they are read, written or deleted: split them (hash buckets), and delete them with UNLINK.',
      },
    });
  }
  if (m.fragmentation > 1.4 && m.fragmentationBytes > 10 * 2 ** 20 && s.config.activedefrag !== 'yes') {
    out.push({
      finding: {
        severity: 'warning',
        check: 'redis.activedefrag',
        resource: r,
        message: `fragmentation ${m.fragmentation.toFixed(2)} (${mib(m.fragmentationBytes)}) and activedefrag is off`,
        remedy: 'CONFIG SET activedefrag yes',
      },
      set: { parameter: 'activedefrag', value: 'yes' },
    });
  }
  return out;
}
