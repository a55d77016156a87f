/**
 * cache-health's findings and cache-optimize's advice on Redis snapshots shaped as
 * src/integrations/redis-info.ts reads them: INFO text (trimmed from a Redis 7.2 session
 * cache under pressure) parsed by its own parseInfo, CONFIG GET pairs, the doctors' words.
 */
import {
  adviseRedis,
  judgeRedisHealth as judgeAt,
  redisInterval,
  redisKept,
  redisMetrics,
  type KeySample,
  type RedisSnapshot,
} from '../../src/analysis/redis.js';
import { parseInfo } from '../../src/integrations/redis-info.js';

const PRESSED_INFO = `# Server\r
redis_version:7.2.4\r
redis_mode:standalone\r
run_id:0a9f3c1d2e4b5a6978807f6e5d4c3b2a19081726\r
uptime_in_seconds:259200\r
\r
# Clients\r
connected_clients:87\r
blocked_clients:2\r
\r
# Memory\r
used_memory:1019215872\r
used_memory_human:972.00M\r
used_memory_rss:1503238553\r
maxmemory:1073741824\r
maxmemory_policy:allkeys-lru\r
mem_fragmentation_ratio:1.47\r
\r
# Stats\r
rejected_connections:0\r
expired_keys:10234\r
evicted_keys:5120\r
keyspace_hits:812345\r
keyspace_misses:287655\r
\r
# Keyspace\r
db0:keys=182340,expires=180002,avg_ttl=3456789\r
db2:keys=1200,expires=0,avg_ttl=0\r
`;

const SAM_ISSUES =
  "Sam, I detected a few issues in this Redis instance memory implants:\n\n * High allocator fragmentation: This instance has an allocator external fragmentation greater than 1.1.\n\nI'm here to keep you safe, Sam.";
const SAM_CLEAR =
  "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.";
const DAVE_SPIKES =
  "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n1. command: 5 latency spikes (average 48ms, mean deviation 12ms, period 30 sec). Worst all time event 91ms.";
const DAVE_DISABLED =
  'I\'m sorry, Dave, I can\'t do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it.';

/** A session cache at 94.9 % of a 1 GiB maxmemory, evicting, fragmented, with slow commands. */
const pressed = (): RedisSnapshot => ({
  info: parseInfo(PRESSED_INFO),
  config: { maxmemory: '1073741824', 'maxmemory-policy': 'allkeys-lru', maxclients: '100', activedefrag: 'no' },
  memoryDoctor: SAM_ISSUES,
  latencyDoctor: DAVE_SPIKES,
  slowlog: {
    length: 12,
    entries: [
      { id: 311, at: new Date('2026-11-26T09:14:03Z'), micros: 48_210, command: 'KEYS session:*' },
      { id: 310, at: new Date('2026-11-26T09:02:44Z'), micros: 12_480, command: 'HGETALL cart:9912' },
      { id: 309, at: new Date('2026-11-26T08:51:10Z'), micros: 11_020, command: 'SMEMBERS online' },
      { id: 308, at: new Date('2026-11-26T08:40:00Z'), micros: 10_900, command: 'LRANGE feed:home 0 -1' },
    ],
  },
});

/** A small cache with room to spare, whose doctors find nothing. */
const quiet = (): RedisSnapshot => ({
  info: parseInfo(
    'used_memory:104857600\r\nused_memory_rss:115343360\r\nmem_fragmentation_ratio:1.10\r\nconnected_clients:5\r\nkeyspace_hits:420\r\nkeyspace_misses:380\r\ndb0:keys=800,expires=800,avg_ttl=60000\r\n',
  ),
  config: { maxmemory: '1073741824', 'maxmemory-policy': 'allkeys-lru', maxclients: '10000', activedefrag: 'no' },
  memoryDoctor: SAM_CLEAR,
  latencyDoctor: DAVE_DISABLED,
  slowlog: { length: 0, entries: [] },
});

const thresholds = { hitRatio: 0.8, memoryWarn: 0.9, memoryCritical: 0.98, replicaLag: 10 };
const NOW = new Date('2026-12-01T10:00:00Z');
/** A first run: no earlier reading, so the counters are judged since Redis started. */
const judgeRedisHealth = (cache: string, s: RedisSnapshot, t: typeof thresholds) =>
  judgeAt(cache, s, t, redisInterval(null, redisKept(s, NOW), s), NOW);
/** cache-optimize's advice without the by-pattern overviews (tested on their own). */
const advise = (...args: Parameters<typeof adviseRedis>) =>
  adviseRedis(...args).filter((a) => !a.finding.check.endsWith('-by-pattern'));
/** A sample that is every key there is. */
const whole = (keys: KeySample[]) => ({ keys, dbsize: keys.length, stoppedBy: 'done' as const });
const changed = (base: () => RedisSnapshot, change: (s: RedisSnapshot) => void) => {
  const s = base();
  change(s);
  return s;
};

describe('redisMetrics', () => {
  it('reads INFO and CONFIG into the figures the performance report charts', () => {
    expect(redisMetrics(pressed())).toEqual({
      hitRatio: 812345 / 1_100_000,
      hits: 812345,
      misses: 287655,
      usedMemory: 1019215872,
      maxmemory: 1073741824,
      memoryRatio: 0.94921875,
      fragmentation: 1.47,
      fragmentationBytes: 484022681,
      evictedKeys: 5120,
      expiredKeys: 10234,
      connectedClients: 87,
      blockedClients: 2,
      maxclients: 100,
      rejectedConnections: 0,
      slowlogLength: 12,
      keys: 183540,
      oomErrors: 0,
    });
  });

  it('counts a cache nobody has asked anything as all hits, and no maxmemory as no ratio', () => {
    const fresh = changed(quiet, (s) => {
      s.info = parseInfo('used_memory:1048576\r\nkeyspace_hits:0\r\nkeyspace_misses:0\r\n');
      s.config.maxmemory = '0';
    });
    expect(redisMetrics(fresh)).toMatchObject({ hitRatio: 1, maxmemory: 0, memoryRatio: 0, keys: 0 });
  });

  it("prefers CONFIG's maxmemory to INFO's, and reads OOM refusals from errorstats", () => {
    const s = changed(pressed, (x) => {
      x.config.maxmemory = '2147483648';
      x.info.errorstat_OOM = 'count=37';
    });
    expect(redisMetrics(s)).toMatchObject({ maxmemory: 2147483648, oomErrors: 37 });
  });
});

describe('judgeRedisHealth', () => {
  it('a quiet cache has nothing to report (too few lookups to judge its hit ratio) but that latency monitoring is off', () => {
    expect(judgeRedisHealth('sessions', quiet(), thresholds).map((f) => [f.severity, f.check])).toEqual([
      ['info', 'redis.latency-monitor-off'],
    ]);
  });

  it('a cache under pressure: hit ratio, evictions, memory, fragmentation, clients, and what the doctors say', () => {
    const findings = judgeRedisHealth('sessions', pressed(), thresholds);
    expect(findings.map((f) => [f.severity, f.check, f.message])).toEqual([
      [
        'warning',
        'redis.hit-ratio',
        'hit ratio 73.8 % since Redis started 3 d ago (812345 hits, 287655 misses), below 80.0 %',
      ],
      [
        'warning',
        'redis.evictions',
        '5120 keys evicted since Redis started 3 d ago under allkeys-lru (maxmemory 1024.0 MiB): evictions are costing hits (hit ratio 73.8 %, below 80.0 %)',
      ],
      ['warning', 'redis.memory', '972.0 MiB used of 1024.0 MiB maxmemory (94.9 %)'],
      ['warning', 'redis.fragmentation', 'memory fragmentation 1.47 (461.6 MiB more resident than used)'],
      ['warning', 'redis.clients', '87 of 100 clients connected'],
      ['info', 'redis.blocked-clients', '2 clients blocked (BLPOP and friends)'],
      [
        'info',
        'redis.slowlog',
        '312 slow commands logged since Redis started 3 d ago; latest: KEYS session:* (48.2 ms), HGETALL cart:9912 (12.5 ms), SMEMBERS online (11.0 ms)',
      ],
      [
        'info',
        'redis.memory-doctor',
        expect.stringMatching(/^MEMORY DOCTOR: Sam, I detected a few issues .* \* High allocator fragmentation/),
      ],
      [
        'info',
        'redis.latency-doctor',
        expect.stringMatching(
          /^LATENCY DOCTOR \(since Redis started or LATENCY RESET\): Dave, I have observed latency spikes/,
        ),
      ],
    ]);
    expect(findings.every((f) => f.resource === 'cache/sessions')).toBe(true);
    expect(findings.filter((f) => f.severity !== 'info').every((f) => f.remedy)).toBe(true);
    expect(findings.find((f) => f.check === 'redis.memory')!.remedy).toBe('Raise maxmemory or expect evictions.');
  });

  it('is critical near maxmemory, and says writes fail under noeviction', () => {
    const full = changed(pressed, (s) => {
      s.info.used_memory = String(Math.round(0.985 * 2 ** 30));
      s.config['maxmemory-policy'] = 'noeviction';
    });
    const memory = judgeRedisHealth('sessions', full, thresholds).find((f) => f.check === 'redis.memory')!;
    expect(memory).toMatchObject({ severity: 'critical', message: '1008.6 MiB used of 1024.0 MiB maxmemory (98.5 %)' });
    expect(memory.remedy).toMatch(/^At maxmemory with noeviction, writes fail/);
  });

  it('without maxmemory, warns (as cache-optimize does) that Redis will grow unbounded instead of judging a ratio', () => {
    const unbounded = changed(pressed, (s) => (s.config.maxmemory = '0'));
    const findings = judgeRedisHealth('sessions', unbounded, thresholds);
    expect(findings.find((f) => f.check === 'redis.no-maxmemory')).toMatchObject({
      severity: 'warning',
      message: 'no maxmemory: Redis uses 972.0 MiB and will grow until the machine runs out',
    });
    expect(findings.map((f) => f.check)).not.toContain('redis.memory');
  });

  it('reports rejected connections in place of the client count, and OOM refusals as critical', () => {
    const refusing = changed(pressed, (s) => {
      s.info.rejected_connections = '14';
      s.info.errorstat_OOM = 'count=37';
    });
    const findings = judgeRedisHealth('sessions', refusing, thresholds);
    expect(findings.map((f) => f.check)).not.toContain('redis.clients');
    expect(findings.filter((f) => ['redis.rejected-connections', 'redis.oom-errors'].includes(f.check))).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: '14 connections rejected since Redis started 3 d ago (maxclients 100)',
      }),
      expect.objectContaining({
        severity: 'critical',
        message: '37 commands refused with OOM since Redis started 3 d ago',
      }),
    ]);
  });

  it('does not call small fragmentation trouble: the ratio needs 10 MiB behind it', () => {
    const small = changed(quiet, (s) => {
      s.info = parseInfo('used_memory:4194304\r\nused_memory_rss:12582912\r\nmem_fragmentation_ratio:3.00\r\n');
    });
    expect(judgeRedisHealth('sessions', small, thresholds).map((f) => f.check)).not.toContain('redis.fragmentation');
    // Under 5 MiB used (Redis' MEMORY DOCTOR's floor), redis-server's own resident size is not fragmentation.
    const tiny = changed(quiet, (s) => {
      s.info = parseInfo('used_memory:2831155\r\nused_memory_rss:14680064\r\nmem_fragmentation_ratio:5.15\r\n');
    });
    expect(judgeRedisHealth('sessions', tiny, thresholds).map((f) => f.check)).not.toContain('redis.fragmentation');
  });
});

describe('adviseRedis', () => {
  /** PTTL -1: the key never expires. */
  const keys = (withTtl: number, without: number): KeySample[] => [
    ...Array.from({ length: withTtl }, (_, i) => ({ key: `session:${i}`, ttl: 86_400_000, bytes: 512 })),
    ...Array.from({ length: without }, (_, i) => ({ key: `user:${i}`, ttl: -1, bytes: 256 })),
  ];
  const big = { bigKeyBytes: 2 ** 20 };

  it('has no advice for a well-tuned cache', () => {
    expect(advise('sessions', quiet(), whole(keys(20, 0)), big)).toEqual([]);
  });

  it('without maxmemory, advises setting it but does not set it itself', () => {
    const advice = advise(
      'sessions',
      changed(quiet, (s) => (s.config.maxmemory = '0')),
      whole([]),
      big,
    );
    expect(advice).toEqual([
      {
        finding: expect.objectContaining({
          severity: 'warning',
          check: 'redis.maxmemory-unset',
          message: 'maxmemory is not set: Redis grows until the kernel kills it',
        }),
      },
    ]);
  });

  it('a full noeviction cache refusing writes: switch to allkeys-lru', () => {
    const full = changed(pressed, (s) => {
      s.config['maxmemory-policy'] = 'noeviction';
      s.info.used_memory = String(Math.round(0.97 * 2 ** 30));
      s.info.errorstat_OOM = 'count=37';
      s.config.activedefrag = 'yes';
    });
    expect(advise('sessions', full, whole(keys(5, 5)), big)).toEqual([
      {
        finding: expect.objectContaining({
          severity: 'critical',
          check: 'redis.noeviction-full',
          message:
            'maxmemory-policy noeviction at 97.0 % of maxmemory (37 writes refused with OOM since Redis started 3 d ago): writes fail',
        }),
        set: { parameter: 'maxmemory-policy', value: 'allkeys-lru' },
      },
    ]);
  });

  it('a volatile policy over keys that mostly have no TTL: switch to the allkeys twin', () => {
    const volatile = changed(pressed, (s) => {
      s.config['maxmemory-policy'] = 'volatile-lfu';
      s.config.activedefrag = 'yes';
    });
    const [advice, ...rest] = advise('sessions', volatile, whole(keys(3, 7)), big);
    expect(rest).toEqual([]);
    expect(advice!.set).toEqual({ parameter: 'maxmemory-policy', value: 'allkeys-lfu' });
    expect(advice!.finding).toMatchObject({
      severity: 'warning',
      check: 'redis.policy-mismatch',
      message:
        'maxmemory-policy volatile-lfu evicts only keys with a TTL, but 70.0 % of 10 sampled keys have none (5120 evicted since Redis started 3 d ago): at maxmemory, writes will fail',
      evidence: { sampled: 10, withoutTtl: 7 },
    });
    // Under half without a TTL: the policy has enough to evict.
    expect(advise('sessions', volatile, whole(keys(6, 4)), big)).toEqual([]);
    // A key that expired between SCAN and PTTL (-2) is not a key without a TTL.
    const expiring = [...keys(5, 4), { key: 'session:gone', ttl: -2, bytes: null }];
    expect(advise('sessions', volatile, whole(expiring), big)).toEqual([]);
  });

  it('lists big keys, biggest first, against the threshold given', () => {
    const sample: KeySample[] = [
      { key: 'cart:1', ttl: 3_600_000, bytes: 200 },
      { key: 'feed:home', ttl: 60_000, bytes: 1.5 * 2 ** 20 },
      { key: 'report:2026-11', ttl: 86_400_000, bytes: 5 * 2 ** 20 },
      { key: 'gone', ttl: -2, bytes: null },
    ];
    const [advice] = advise('sessions', quiet(), whole(sample), big);
    expect(advice!.finding).toMatchObject({
      check: 'redis.big-keys',
      message: '2 of 3 sampled keys are 1.0 MiB or more: report:* (5.0 MiB), feed:home (1.5 MiB)', // names masked as patterns are
    });
    expect((advice!.finding.evidence as KeySample[]).map((k) => k.key)).toEqual(['report:*', 'feed:home']);
    expect(advise('sessions', quiet(), whole(sample), { bigKeyBytes: 8 * 2 ** 20 })).toEqual([]);
  });

  it('turns activedefrag on for a fragmented cache, unless it already is', () => {
    const defrag = advise('sessions', pressed(), whole(keys(10, 0)), big).find(
      (a) => a.finding.check === 'redis.activedefrag',
    );
    expect(defrag).toEqual({
      finding: expect.objectContaining({
        severity: 'warning',
        message: 'fragmentation 1.47 (461.6 MiB) and activedefrag is off',
      }),
      set: { parameter: 'activedefrag', value: 'yes' },
    });
    const on = changed(pressed, (s) => (s.config.activedefrag = 'yes'));
    expect(advise('sessions', on, whole(keys(10, 0)), big).map((a) => a.finding.check)).not.toContain(
      'redis.activedefrag',
    );
  });
});
