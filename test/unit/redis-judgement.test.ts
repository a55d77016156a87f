/**
 * cache-health's judgement over time and state (issue 17): counters judged by their change
 * since the previous run, the doctors read for what they mean (their texts recorded from
 * redis-server 7.0.15), persistence and replication from recorded INFO.
 */
import fc from 'fast-check';
import {
  asKept,
  intervalMetrics,
  judgeRedisHealth,
  redisInterval,
  redisKept,
  type RedisKept,
  type RedisSnapshot,
} from '../../src/analysis/redis.js';
import { parseInfo } from '../../src/integrations/redis-info.js';

const thresholds = { hitRatio: 0.8, memoryWarn: 0.9, memoryCritical: 0.98, replicaLag: 10 };
const HOUR = 3600_000;
const T0 = new Date('2026-12-01T09:00:00Z');
const T1 = new Date(T0.getTime() + HOUR);

/** Recorded from redis-server 7.0.15 (LATENCY DOCTOR / MEMORY DOCTOR as redis-cli prints them). */
const DOCTOR = {
  latencyOff:
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.",
  latencyQuiet:
    'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.',
  latencySpike:
    "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n1. command: 1 latency spikes (average 300ms, mean deviation 0ms, period 1.00 sec). Worst all time event 300ms.\n\nI have a few advices for you:\n\n- Check your Slow Log to understand what are the commands you are running which are too slow to execute.",
  memoryEmpty:
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.",
  memoryClear:
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.",
};

/** A healthy allkeys-lru cache with a 1 GiB maxmemory, at the counters given, up `uptime` seconds. */
function cache(
  counters: { hits: number; misses: number; evicted: number; rejected?: number; oom?: number },
  uptime: number,
  runId = 'a'.repeat(40),
): RedisSnapshot {
  const info = parseInfo(
    [
      `run_id:${runId}`,
      `uptime_in_seconds:${uptime}`,
      'used_memory:536870912',
      'used_memory_rss:563714457',
      'mem_fragmentation_ratio:1.05',
      'connected_clients:12',
      `keyspace_hits:${counters.hits}`,
      `keyspace_misses:${counters.misses}`,
      `evicted_keys:${counters.evicted}`,
      `rejected_connections:${counters.rejected ?? 0}`,
      ...(counters.oom ? [`errorstat_OOM:count=${counters.oom}`] : []),
      'db0:keys=50000,expires=50000,avg_ttl=60000',
    ].join('\r\n'),
  );
  return {
    info,
    config: {
      maxmemory: String(2 ** 30),
      'maxmemory-policy': 'allkeys-lru',
      maxclients: '10000',
      'latency-monitor-threshold': '100',
    },
    memoryDoctor: DOCTOR.memoryClear,
    latencyDoctor: DOCTOR.latencyQuiet,
    slowlog: { length: 0, entries: [] },
  };
}

/** A run at `at` after the one that kept `previous`: its findings, and what it keeps. */
function run(s: RedisSnapshot, at: Date, previous: RedisKept | null) {
  const kept = redisKept(s, at);
  const interval = redisInterval(previous, kept, s);
  return { findings: judgeRedisHealth('sessions', s, thresholds, interval, at), kept, interval };
}
const checks = (r: ReturnType<typeof run>) => r.findings.filter((f) => f.severity !== 'info').map((f) => f.check);

describe('counters judged since the previous run', () => {
  it('a cache that evicted and missed before the previous run is ok on its second run', () => {
    const before = { hits: 500_000, misses: 400_000, evicted: 5120, rejected: 3, oom: 7 };
    const first = run(cache(before, 86_400), T0, null);
    expect(checks(first)).toEqual([
      'redis.hit-ratio',
      'redis.evictions',
      'redis.rejected-connections',
      'redis.oom-errors',
    ]);
    expect(first.findings.find((f) => f.check === 'redis.evictions')!.message).toBe(
      '5120 keys evicted since Redis started 24 h ago under allkeys-lru (maxmemory 1024.0 MiB): evictions are costing hits (hit ratio 55.6 %, below 80.0 %)',
    );
    // An hour later: 99 % hits, nothing evicted, rejected or refused since.
    const second = run(cache({ ...before, hits: 599_000, misses: 401_000 }, 86_400 + 3600), T1, first.kept);
    expect(checks(second)).toEqual([]);
    expect(second.interval).toMatchObject({
      hits: 99_000,
      misses: 1000,
      evicted: 0,
      text: 'since the previous run 60 min ago',
    });
  });

  it('warns again when it rejects or refuses between runs, and says over which interval', () => {
    const first = run(cache({ hits: 500_000, misses: 10_000, evicted: 5120 }, 86_400), T0, null);
    const second = run(
      cache({ hits: 600_000, misses: 11_000, evicted: 5200, rejected: 2, oom: 1 }, 86_400 + 3600),
      T1,
      first.kept,
    );
    expect(second.findings.filter((f) => f.severity !== 'info').map((f) => [f.severity, f.message])).toEqual([
      ['warning', '2 connections rejected since the previous run 60 min ago (maxclients 10000)'],
      ['critical', '1 commands refused with OOM since the previous run 60 min ago'],
    ]);
  });

  it('evicting under an allkeys-/volatile- policy is info while hits hold, a warning when it costs hits; noeviction warns', () => {
    const first = run(cache({ hits: 500_000, misses: 10_000, evicted: 5120 }, 86_400), T0, null);
    const evictions = (hits: number, misses: number, policy = 'allkeys-lru') => {
      const s = cache({ hits: 500_000 + hits, misses: 10_000 + misses, evicted: 5200 }, 90_000);
      s.config['maxmemory-policy'] = policy;
      const f = run(s, T1, first.kept).findings.find((x) => x.check === 'redis.evictions')!;
      return [f.severity, f.message.replace(/.* \(maxmemory 1024\.0 MiB\)/, '')];
    };
    expect(evictions(99_000, 1000)).toEqual(['info', ': the cache making room']);
    expect(evictions(99_000, 1000, 'volatile-ttl')).toEqual(['info', ': the cache making room']);
    expect(evictions(500, 300)).toEqual(['info', ': the cache making room']); // 800 lookups say nothing
    expect(evictions(700, 300, 'volatile-lfu')).toEqual([
      'warning',
      ': evictions are costing hits (hit ratio 70.0 %, below 80.0 %)',
    ]);
    // (a policy changed to noeviction since: rejected writes are its signal, evictions stay a warning)
    expect(evictions(99_000, 1000, 'noeviction')).toEqual(['warning', '']);
  });

  it("judges the hit ratio on the interval's lookups, and needs 1,000 of them", () => {
    const first = run(cache({ hits: 9_000_000, misses: 100_000, evicted: 0 }, 86_400), T0, null);
    expect(checks(first)).toEqual([]);
    // 50 % over the last hour, though 98.9 % since start: the lifetime ratio hid it.
    const bad = run(cache({ hits: 9_001_000, misses: 101_000, evicted: 0 }, 90_000), T1, first.kept);
    expect(bad.findings.find((f) => f.check === 'redis.hit-ratio')!.message).toBe(
      'hit ratio 50.0 % since the previous run 60 min ago (1000 hits, 1000 misses), below 80.0 %',
    );
    // 999 lookups in the interval: too few to judge, however bad.
    const quiet = run(cache({ hits: 9_000_000, misses: 100_999, evicted: 0 }, 90_000), T1, first.kept);
    expect(checks(quiet)).toEqual([]);
    expect(intervalMetrics(quiet.interval)).toMatchObject({
      intervalHits: 0,
      intervalMisses: 999,
      intervalHitRatio: 0,
    });
    expect(
      intervalMetrics(run(cache({ hits: 9_000_000, misses: 100_000, evicted: 0 }, 90_000), T1, first.kept).interval),
    ).not.toHaveProperty('intervalHitRatio');
  });

  it('a restart between runs (new run_id) counts from the restart', () => {
    const first = run(cache({ hits: 1000, misses: 10, evicted: 5000 }, 86_400), T0, null);
    const restarted = run(cache({ hits: 10, misses: 0, evicted: 40 }, 600, 'b'.repeat(40)), T1, first.kept);
    expect(restarted.interval).toMatchObject({ evicted: 40, text: 'since the counters were reset 10 min ago' });
    expect(restarted.interval.change.basis).toBe('reset');
  });

  it('CONFIG RESETSTAT between runs (counters went down, same run_id) counts from the previous run', () => {
    const first = run(cache({ hits: 900_000, misses: 100, evicted: 5000 }, 86_400), T0, null);
    const reset = run(cache({ hits: 2000, misses: 0, evicted: 0 }, 90_000), T1, first.kept);
    expect(reset.interval).toMatchObject({
      hits: 2000,
      evicted: 0,
      text: 'since the counters were reset, at most 60 min ago',
    });
    expect(checks(reset)).toEqual([]);
  });

  it('counts slow commands by slowlog id: only those logged since the previous run', () => {
    const entry = (id: number) => ({ id, at: T0, micros: 20_000, command: `HGETALL big:${id}` });
    const s0 = {
      ...cache({ hits: 0, misses: 0, evicted: 0 }, 100),
      slowlog: { length: 3, entries: [entry(41), entry(40)] },
    };
    const first = run(s0, T0, null);
    expect(first.findings.find((f) => f.check === 'redis.slowlog')!.message).toMatch(
      /^42 slow commands logged since Redis started/,
    );
    expect(run(s0, T1, first.kept).findings.map((f) => f.check)).not.toContain('redis.slowlog');
    const s1 = { ...s0, slowlog: { length: 4, entries: [entry(43), entry(42), entry(41)] } };
    expect(run(s1, T1, first.kept).findings.find((f) => f.check === 'redis.slowlog')!.message).toBe(
      '2 slow commands logged since the previous run 60 min ago; latest: HGETALL big:43 (20.0 ms), HGETALL big:42 (20.0 ms)',
    );
    // The previous log empty (SLOWLOG RESET, or refused), or ids gone backwards: the entries present, not the newest id.
    const empty = run({ ...s0, slowlog: { length: 0, entries: [] } }, T0, null);
    const later = { ...s0, slowlog: { length: 2, entries: [entry(5000), entry(4999)] } };
    expect(run(later, T1, empty.kept).interval).toMatchObject({ slow: 2, slowEntries: [entry(5000), entry(4999)] });
    expect(run(s1, T1, run(later, T0, null).kept).interval).toMatchObject({ slow: 3 });
  });

  it('reads back only a kept value of the right shape, and never judges negative or non-finite changes', () => {
    expect(asKept(null)).toBeNull();
    expect(asKept({ counters: { at: 'then' } })).toBeNull();
    const field = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.integer().map(String),
      fc.constant('1e400'),
      fc.constant('NaN'),
      fc.constant('99999999999999999'),
    );
    fc.assert(
      fc.property(
        fc.array(field, { minLength: 5, maxLength: 5 }),
        fc.array(field, { minLength: 5, maxLength: 5 }),
        (a, b) => {
          const snap = ([hits, misses, evicted, rejected, uptime]: string[]) => {
            const s = cache({ hits: 0, misses: 0, evicted: 0 }, 1);
            Object.assign(s.info, {
              keyspace_hits: hits,
              keyspace_misses: misses,
              evicted_keys: evicted,
              rejected_connections: rejected,
              uptime_in_seconds: uptime,
            });
            return s;
          };
          const first = run(snap(a), T0, null);
          const second = run(snap(b), T1, asKept(JSON.parse(JSON.stringify(first.kept))));
          for (const v of Object.values(intervalMetrics(second.interval))) {
            expect(Number.isFinite(v)).toBe(true);
            expect(v).toBeGreaterThanOrEqual(0);
          }
        },
      ),
    );
  });
});

describe("the doctors' words", () => {
  const with_ = (change: Partial<RedisSnapshot>, config: Record<string, string> = {}) => {
    const s = { ...cache({ hits: 0, misses: 0, evicted: 0 }, 100), ...change };
    Object.assign(s.config, config);
    return run(s, T0, null).findings;
  };
  const doctorChecks = (findings: ReturnType<typeof with_>) =>
    findings.filter((f) => /doctor|latency-monitor/.test(f.check)).map((f) => f.check);

  it('with latency monitoring on, "no latency spike was observed" is no finding', () => {
    expect(doctorChecks(with_({ latencyDoctor: DOCTOR.latencyQuiet }))).toEqual([]);
  });

  it('"instance is empty" and "can\'t find any memory issue" are no finding', () => {
    expect(doctorChecks(with_({ memoryDoctor: DOCTOR.memoryEmpty }))).toEqual([]);
    expect(doctorChecks(with_({ memoryDoctor: DOCTOR.memoryClear }))).toEqual([]);
  });

  it('a spike is reported, as info, with the interval it covers', () => {
    const [f] = with_({ latencyDoctor: DOCTOR.latencySpike }).filter((x) => x.check === 'redis.latency-doctor');
    expect(f).toMatchObject({ severity: 'info' });
    expect(f!.message).toMatch(
      /^LATENCY DOCTOR \(since Redis started or LATENCY RESET\): Dave, I have observed latency spikes .* 1\. command: 1 latency spikes/,
    );
  });

  it('a spike the previous run saw (LATENCY LATEST) is no finding; a later one is, over that interval', () => {
    const at = Math.floor(T0.getTime() / 1000);
    const s = (spikeAt: number) => {
      const x = { ...cache({ hits: 0, misses: 0, evicted: 0 }, 100), latencyDoctor: DOCTOR.latencySpike };
      x.latencyLatest = [{ event: 'command', at: spikeAt, latestMs: 300, maxMs: 300 }];
      return x;
    };
    const first = run(s(at - 60), T0, null);
    expect(first.findings.find((f) => f.check === 'redis.latency-doctor')!.message).toMatch(
      /^latency spikes since Redis started or LATENCY RESET: command 300 ms \(worst 300 ms\)\. LATENCY DOCTOR/,
    );
    expect(run(s(at - 60), T1, first.kept).findings.map((f) => f.check)).not.toContain('redis.latency-doctor');
    expect(run(s(at + 1800), T1, first.kept).findings.find((f) => f.check === 'redis.latency-doctor')!.message).toMatch(
      /^latency spikes since the previous run 60 min ago: command 300 ms/,
    );
  });

  it("with latency monitoring off (Redis' default) says so, and how to turn it on", () => {
    const findings = with_({ latencyDoctor: DOCTOR.latencyOff }, { 'latency-monitor-threshold': '0' });
    expect(doctorChecks(findings)).toEqual(['redis.latency-monitor-off']);
    expect(findings.find((f) => f.check === 'redis.latency-monitor-off')).toMatchObject({
      severity: 'info',
      remedy: expect.stringMatching(/^CONFIG SET latency-monitor-threshold 100 /),
    });
    // CONFIG GET refused: the doctor's own words say it is off.
    const unknown = { ...cache({ hits: 0, misses: 0, evicted: 0 }, 100), latencyDoctor: DOCTOR.latencyOff };
    delete unknown.config['latency-monitor-threshold'];
    expect(doctorChecks(run(unknown, T0, null).findings)).toEqual(['redis.latency-monitor-off']);
  });
});
