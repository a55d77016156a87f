/**
 * The cache jobs against a private redis-server (started on a free port for this file):
 * driven into evictions under a small maxmemory, cache-health and cache-optimize report
 * it; cache-clear removes exactly the pattern's keys and no others, and never uses KEYS.
 */
import { Redis } from 'ioredis';
import { createConnection } from 'node:net';
import { parseConfig } from '../../src/configure.js';
import { cacheHealth, cacheHealthParams } from '../../src/jobs/cache.js';
import { cacheClear, cacheClearParams } from '../../src/jobs/cache-clear.js';
import { cacheOptimize, cacheOptimizeParams } from '../../src/jobs/cache-optimize.js';
import { openStore, type Store } from '../../src/store/index.js';
import { resolveParams } from '../../src/worker.js';
import { startRedis, type RedisServer } from '../support/services.mjs';
import { jobContext } from '../support/job-context.js';

/** Connects and returns what Redis says before it closes the connection (at maxclients: an error). */
function refusedConnection(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let said = '';
    socket.on('data', (d) => (said += d.toString()));
    socket.on('close', () => resolve(said));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('Redis kept the connection open')));
  });
}

describe('cache jobs on a real Redis', () => {
  let server: RedisServer;
  let redis: Redis;
  const config = () => parseConfig({ caches: [{ name: 'sessions', url: server.url }] });
  /** A run's context: with a store, state is kept between runs; `at` is the run's clock. */
  const ctx = (store?: Store, at?: Date) =>
    jobContext(config(), undefined, store ? { store, jobId: 'cache', now: () => at ?? new Date() } : {});
  /** `count` keys of 1 KiB, prefix:0 .. prefix:count-1. */
  const fill = async (count: number, prefix = 'page') => {
    const value = 'x'.repeat(1024);
    for (let i = 0; i < count; i += 500) {
      const p = redis.pipeline();
      for (let j = i; j < Math.min(count, i + 500); j++) p.set(`${prefix}:${j}`, value);
      await p.exec();
    }
  };
  /** `count` GETs: of page:0, page:step, page:2·step … or, with `key`, that one key `count` times. */
  const lookups = async (count: number, step: number, key?: string) => {
    const p = redis.pipeline();
    for (let i = 0; i < count; i++) p.get(key ?? `page:${i * step}`);
    await p.exec();
  };

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('cache-health reports evictions and the hit ratio since Redis started, then only what changed since its previous run', async () => {
    await redis.flushall();
    await redis.config('RESETSTAT');
    await redis.config('SET', 'maxmemory', String(3 * 1024 * 1024));
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await fill(6000);
    await lookups(2000, 3); // mostly misses: most keys were evicted
    const store = await openStore({ path: 'memory://' });
    const t0 = new Date();
    const health = (at: Date) => cacheHealth.run(ctx(store, at), cacheHealthParams.parse({ cache: 'sessions' }));
    try {
      const first = await health(t0);
      expect(first.findings.map((f) => f.check)).toEqual(
        expect.arrayContaining(['redis.evictions', 'redis.hit-ratio']),
      );
      expect(first.status).toBe('warning');
      expect(first.metrics!.evictedKeys).toBeGreaterThan(1000);
      expect(first.metrics!.intervalEvictedKeys).toBe(first.metrics!.evictedKeys);
      expect(first.findings.find((f) => f.check === 'redis.evictions')!.message).toMatch(
        /^\d+ keys evicted since Redis started \d+ s ago under allkeys-lru \(maxmemory 3\.0 MiB\): evictions are costing hits \(hit ratio \d+\.\d %, below 80\.0 %\)$/,
      );
      expect(first.findings.find((f) => f.check === 'redis.evictions')!.severity).toBe('warning');
      expect(first.findings.filter((f) => f.severity !== 'info').every((f) => f.remedy)).toBe(true);

      // The cache now fits (maxmemory raised) and serves hits: evictions and misses before the
      // previous run are history.
      await redis.config('SET', 'maxmemory', String(64 * 1024 * 1024));
      await redis.call('MEMORY', 'PURGE'); // (jemalloc keeps the evicted keys' pages resident until purged)
      await redis.set('page:hot', 'x');
      await lookups(1500, 0, 'page:hot');
      const second = await health(new Date(t0.getTime() + 3600_000));
      expect(second.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      expect(second.status).toBe('ok');
      expect(second.metrics).toMatchObject({
        intervalEvictedKeys: 0,
        intervalHits: 1500,
        intervalMisses: 0,
        intervalHitRatio: 1,
      });
      expect(second.metrics!.evictedKeys).toBe(first.metrics!.evictedKeys); // the since-start total, as INFO says
      expect(second.summary).toMatch(/^sessions: hit ratio 100\.0 % and 0 evicted since the previous run 60 min ago;/);

      // It evicts steadily between runs while the keys read stay in: an LRU cache doing its job, info.
      await redis.config('SET', 'maxmemory', String(3 * 1024 * 1024));
      await fill(3000, 'more');
      await redis.set('more:hot', 'x'); // (1-byte replies: 1500 replies of 1 KiB would themselves push Redis over maxmemory)
      await lookups(1500, 0, 'more:hot');
      const third = await health(new Date(t0.getTime() + 7200_000));
      expect(third.findings.find((f) => f.check === 'redis.evictions')).toMatchObject({
        severity: 'info',
        message: expect.stringMatching(
          /^\d+ keys evicted since the previous run 60 min ago under allkeys-lru .*: the cache making room$/,
        ),
      });
      expect(third.findings.map((f) => f.check)).not.toContain('redis.hit-ratio');

      // It evicts the keys the apps then ask for: the evictions are costing hits, a warning.
      await fill(3000, 'again');
      await lookups(1500, 1);
      const fourth = await health(new Date(t0.getTime() + 10800_000));
      expect(fourth.findings.find((f) => f.check === 'redis.evictions')).toMatchObject({
        severity: 'warning',
        message: expect.stringMatching(
          /since the previous run 60 min ago under allkeys-lru .*: evictions are costing hits/,
        ),
        remedy: expect.any(String),
      });
    } finally {
      await store.close();
    }
  });

  it('cache-health: rejected connections and OOM refusals warn on the run after them, not on the next; RESETSTAT and a restart are handled', async () => {
    await redis.flushall();
    await redis.config('RESETSTAT');
    await redis.config('SET', 'maxmemory', '0');
    const store = await openStore({ path: 'memory://' });
    const t0 = new Date();
    const health = (n: number) =>
      cacheHealth.run(
        ctx(store, new Date(t0.getTime() + n * 3600_000)),
        cacheHealthParams.parse({ cache: 'sessions' }),
      );
    try {
      await health(0);
      // Provoke a rejected connection (maxclients at what is connected) and an OOM refusal.
      // (this test's own connection is open: with maxclients 1, the next one is rejected)
      await redis.config('SET', 'maxclients', '1');
      expect(await refusedConnection(server.port)).toMatch(/max number of clients reached/);
      await redis.config('SET', 'maxclients', '10000');
      await redis.config('SET', 'maxmemory-policy', 'noeviction');
      await redis.config('SET', 'maxmemory', '1');
      await expect(redis.set('refused', 'x')).rejects.toThrow(/OOM/);
      await redis.config('SET', 'maxmemory', '0');

      const after = await health(1);
      const counted = (o: typeof after) =>
        o.findings.filter((f) => ['redis.rejected-connections', 'redis.oom-errors'].includes(f.check));
      expect(counted(after).map((f) => [f.severity, f.message])).toEqual([
        ['warning', '1 connections rejected since the previous run 60 min ago (maxclients 10000)'],
        ['critical', '1 commands refused with OOM since the previous run 60 min ago'],
      ]);
      const next = await health(2);
      expect(counted(next)).toEqual([]);

      // CONFIG RESETSTAT between runs: counters go down; judged since then, no negative counts.
      await lookups(10, 0, 'nothing-here');
      await redis.config('RESETSTAT');
      await lookups(5, 0, 'nothing-here');
      const reset = await health(3);
      expect(reset.metrics).toMatchObject({ intervalMisses: 5, intervalRejectedConnections: 0, intervalOomErrors: 0 });
      expect(reset.summary).toMatch(/since the counters were reset/);

      // A restart (new run_id): everything since the restart.
      await server.restart();
      await lookups(7, 0, 'nothing-here');
      const restarted = await health(4);
      expect(restarted.metrics).toMatchObject({ intervalMisses: 7 });
      expect(restarted.summary).toMatch(/since the counters were reset \d+ s ago/);
    } finally {
      await store.close();
    }
  });

  it('cache-optimize explains a policy that does not fit the keys and a big key, and applies the fix only with confirm', async () => {
    await redis.flushall();
    await redis.config('SET', 'maxmemory', '0');
    await redis.config('SET', 'maxmemory-policy', 'volatile-lru');
    for (let i = 0; i < 300; i++) await redis.set(`user:${i}`, 'v'); // no TTL
    await redis.set('report:big', 'y'.repeat(200_000));
    const job = {
      id: 'tune',
      type: 'cache-optimize',
      params: { cache: 'sessions', apply: true },
      destructive: false,
    } as never;
    expect(() => resolveParams(job, {})).toThrow('tune is destructive: add confirm: true to the params to run it');

    const advice = await cacheOptimize.run(
      ctx(),
      cacheOptimizeParams.parse({ cache: 'sessions', bigKeyBytes: 100_000 }),
    );
    const by = Object.fromEntries(advice.findings.map((f) => [f.check, f]));
    // (activedefrag advice may come too: the previous test left the allocator fragmented)
    expect(Object.keys(by)).toEqual(
      expect.arrayContaining(['redis.big-keys', 'redis.maxmemory-unset', 'redis.policy-mismatch']),
    );
    expect(by['redis.policy-mismatch']!.message).toMatch(
      /volatile-lru evicts only keys with a TTL, but 100\.0 % of 301 sampled keys have none/,
    );
    expect(by['redis.big-keys']!.message).toMatch(/report:big \(0\.2 MiB\)/);
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'volatile-lru']); // advice changes nothing

    const applied = await cacheOptimize.run(
      ctx(),
      resolveParams(job, { confirm: true, bigKeyBytes: 100_000 }) as never,
    );
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'allkeys-lru']);
    expect(
      applied.findings.find((f) => f.check === 'redis.config-applied' && f.message.includes('maxmemory-policy')),
    ).toMatchObject({ message: 'CONFIG SET maxmemory-policy allkeys-lru (was volatile-lru, now allkeys-lru)' });
    expect(applied.summary).toMatch(/applied maxmemory-policy volatile-lru → allkeys-lru/);
  });

  it("cache-clear counts first, then deletes exactly the pattern's keys, with SCAN and UNLINK", async () => {
    await redis.flushall();
    await redis.config('RESETSTAT');
    const p = redis.pipeline();
    for (let i = 0; i < 1200; i++) p.set(`session:${i}`, '1');
    for (let i = 0; i < 200; i++) p.set(`user:${i}`, '1');
    p.set('sessionx', '1');
    await p.exec();
    const dry = await cacheClear.run(ctx(), cacheClearParams.parse({ cache: 'sessions', pattern: 'session:*' }));
    expect(dry.summary).toBe('sessions: 1200 keys match session:* (dry run; dryRun: false and confirm to delete)');
    expect(await redis.dbsize()).toBe(1401);

    const job = {
      id: 'clear',
      type: 'cache-clear',
      params: { cache: 'sessions', pattern: 'session:*', dryRun: false },
      destructive: false,
    } as never;
    expect(() => resolveParams(job, {})).toThrow('clear is destructive');
    const real = await cacheClear.run(ctx(), resolveParams(job, { confirm: true }) as never);
    expect(real).toMatchObject({
      summary: 'sessions: deleted 1200 keys matching session:*',
      metrics: { matched: 1200, deleted: 1200 },
    });
    expect(await redis.dbsize()).toBe(201);
    expect(await redis.exists('sessionx', 'user:0', 'user:199')).toBe(3);
    const stats = await redis.info('commandstats');
    expect(stats).not.toMatch(/cmdstat_keys:/);
    expect(stats).not.toMatch(/cmdstat_flush/);
    expect(stats).toMatch(/cmdstat_unlink:calls=\d+/);

    expect(cacheClearParams.safeParse({ cache: 'sessions', pattern: '*' }).error?.issues.map((i) => i.message)).toEqual(
      ['pattern "*" is everything: say all: true if that is what you mean'],
    );
    expect(cacheClearParams.safeParse({ cache: 'sessions' }).error?.issues.map((i) => i.message)).toEqual([
      'give a pattern, or all: true to empty the whole database',
    ]);
  });
});
