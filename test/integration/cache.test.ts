/**
 * The cache jobs against a private redis-server (started on a free port for this file):
 * driven into evictions under a small maxmemory, cache-health and cache-optimize report
 * it; cache-clear removes exactly the pattern's keys and no others, and never uses KEYS.
 */
import { Redis } from 'ioredis';
import { parseConfig } from '../../src/configure.js';
import {
  cacheClear,
  cacheClearParams,
  cacheHealth,
  cacheHealthParams,
  cacheOptimize,
  cacheOptimizeParams,
} from '../../src/jobs/cache.js';
import { resolveParams } from '../../src/worker.js';
import { startRedis, type RedisServer } from '../support/services.mjs';
import { jobContext } from '../support/job-context.js';

describe('cache jobs on a real Redis', () => {
  let server: RedisServer;
  let redis: Redis;
  const ctx = () => jobContext(parseConfig({ caches: [{ name: 'sessions', url: server.url }] }));

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('cache-health reports evictions, memory near its limit and the hit ratio', async () => {
    await redis.flushall();
    await redis.config('SET', 'maxmemory', String(3 * 1024 * 1024));
    await redis.config('SET', 'maxmemory-policy', 'allkeys-lru');
    const value = 'x'.repeat(1024);
    for (let i = 0; i < 6000; i += 500) {
      const p = redis.pipeline();
      for (let j = i; j < i + 500; j++) p.set(`page:${j}`, value);
      await p.exec();
    }
    const p = redis.pipeline();
    for (let i = 0; i < 2000; i++) p.get(`page:${i * 3}`);
    await p.exec();
    const outcome = await cacheHealth.run(ctx(), cacheHealthParams.parse({ cache: 'sessions' }));
    const checks = outcome.findings.map((f) => f.check);
    // (whether used memory sits above 90 % of maxmemory right after evicting varies with the allocator)
    expect(checks).toEqual(expect.arrayContaining(['redis.evictions', 'redis.hit-ratio']));
    expect(outcome.metrics!.memoryRatio).toBeGreaterThan(0.5);
    expect(outcome.status).toBe('warning');
    expect(outcome.metrics!.evictedKeys).toBeGreaterThan(1000);
    expect(outcome.metrics!.hitRatio).toBeLessThan(0.8);
    expect(outcome.findings.find((f) => f.check === 'redis.evictions')!.message).toMatch(
      /^\d+ keys evicted under allkeys-lru \(maxmemory 3\.0 MiB\)$/,
    );
    expect(outcome.findings.filter((f) => f.severity !== 'info').every((f) => f.remedy)).toBe(true);
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
