/**
 * cache-health and cache-optimize on private redis-servers (issue 17): the doctors in each
 * state (latency monitoring off, on and quiet, on after a DEBUG SLEEP spike; an empty
 * instance), persistence (off, on, a failed BGSAVE), replication (a replica's link up, then
 * down when its primary is killed; the primary's view), and memory by key pattern from a
 * SCAN sample that stops at its bounds and when the run is cancelled.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { parseConfig } from '../../src/configure.js';
import { sampleKeys } from '../../src/integrations/redis-info.js';
import { cacheHealth, cacheHealthParams } from '../../src/jobs/cache.js';
import { cacheOptimize, cacheOptimizeParams } from '../../src/jobs/cache-optimize.js';
import { openStore, type Store } from '../../src/store/index.js';
import { startRedis, type RedisServer } from '../support/services.mjs';
import { jobContext } from '../support/job-context.js';

const caches = (...servers: Array<[string, RedisServer]>) =>
  parseConfig({ caches: servers.map(([name, s]) => ({ name, url: s.url })) });

/** Polls `check` every 50 ms for up to 20 s (replication links come up in their own time). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('cache-health: the doctors and persistence on a real Redis', () => {
  let server: RedisServer;
  let redis: Redis;
  let store: Store;
  const health = async () =>
    cacheHealth.run(
      jobContext(caches(['sessions', server]), undefined, { store, jobId: 'health' }),
      cacheHealthParams.parse({ cache: 'sessions' }),
    );
  const checks = async () => (await health()).findings.map((f) => f.check);

  beforeAll(async () => {
    server = await startRedis(undefined, ['--enable-debug-command', 'yes', '--enable-protected-configs', 'yes']);
    redis = new Redis(server.url);
    store = await openStore({ path: 'memory://' });
  });
  afterAll(async () => {
    redis.disconnect();
    await store.close();
    await server.stop();
  });

  it('slow commands are shown by name and key pattern: never a token in the key or the value written', async () => {
    await health(); // the baseline: what the slow log held before
    await redis.config('SET', 'slowlog-log-slower-than', '0');
    await redis.set('session:Qm9iQWxpY2VTZWNyZXRUb2tlbjEyMw', 'card=4111111111111111');
    await redis.config('SET', 'slowlog-log-slower-than', '10000');
    const outcome = await health();
    const slow = outcome.findings.find((f) => f.check === 'redis.slowlog');
    expect(slow?.message).toMatch(/set session:\* \(\+1 argument\)/i);
    const shown = JSON.stringify(outcome);
    expect(shown).not.toContain('Qm9iQWxpY2VTZWNyZXRUb2tlbjEyMw');
    expect(shown).not.toContain('4111111111111111');
    await redis.slowlog('RESET');
    await redis.save(); // the next test counts changes since the last save
  });

  it("latency monitoring off (Redis' default) is said, with how to turn it on; the empty instance's MEMORY DOCTOR is no finding", async () => {
    expect(String(await redis.call('MEMORY', 'DOCTOR'))).toMatch(/instance is empty or is using very little memory/);
    const outcome = await health();
    expect(outcome.findings.map((f) => f.check)).not.toContain('redis.memory-doctor');
    expect(outcome.findings.find((f) => f.check === 'redis.latency-monitor-off')).toMatchObject({
      severity: 'info',
      remedy: expect.stringMatching(/^CONFIG SET latency-monitor-threshold 100 /),
    });
    expect(outcome.findings.map((f) => f.check)).not.toContain('redis.latency-doctor');
  });

  it('latency monitoring on and no spike: no latency finding at all', async () => {
    await redis.config('SET', 'latency-monitor-threshold', '100');
    expect(String(await redis.call('LATENCY', 'DOCTOR'))).toMatch(/no latency spike was observed/);
    const found = await checks();
    expect(found).not.toContain('redis.latency-doctor');
    expect(found).not.toContain('redis.latency-monitor-off');
  });

  it('a spike (DEBUG SLEEP 0.2 s) is reported as LATENCY DOCTOR saw it', async () => {
    await redis.call('DEBUG', 'SLEEP', '0.2');
    const outcome = await health();
    expect(outcome.findings.find((f) => f.check === 'redis.latency-doctor')!.message).toMatch(
      /LATENCY DOCTOR \(since Redis started or LATENCY RESET\): Dave, I have observed latency spikes .*command: 1 latency spikes/,
    );
    expect(outcome.findings.find((f) => f.check === 'redis.latency-doctor')!.message).toMatch(
      /^latency spikes since the previous run \d+ s ago: command 2\d\d ms \(worst 2\d\d ms\)\. LATENCY DOCTOR/,
    );
    // No spike since: the doctor still tells of it (since Redis started), but it is no finding now.
    expect(String(await redis.call('LATENCY', 'DOCTOR'))).toMatch(/I have observed latency spikes/);
    expect(await checks()).not.toContain('redis.latency-doctor');
  });

  it('persistence off is info; on, the changes since the last save; a failed BGSAVE that stops writes is critical', async () => {
    expect((await health()).findings.find((f) => f.check === 'redis.persistence')!.message).toBe(
      'persistence off (no RDB save points, no AOF): a restart starts the cache empty',
    );
    await redis.config('SET', 'save', '3600 1');
    await redis.set('a', '1');
    await redis.set('b', '2');
    expect((await health()).findings.find((f) => f.check === 'redis.persistence')!.message).toMatch(
      /^RDB save points "3600 1": 2 changes since the last save \d+ s ago$/,
    );
    // A BGSAVE into a directory that has gone fails, and Redis then refuses writes.
    const gone = join(server.dir, 'gone');
    mkdirSync(gone);
    await redis.config('SET', 'dir', gone);
    rmSync(gone, { recursive: true });
    await redis.bgsave();
    await until(async () => /rdb_last_bgsave_status:err/.test(await redis.info('persistence')), 'the BGSAVE to fail');
    await expect(redis.set('c', '3')).rejects.toThrow(/MISCONF/);
    const failing = await health();
    expect(failing.status).toBe('critical');
    expect(failing.findings.find((f) => f.check === 'redis.persistence-failing')).toMatchObject({
      severity: 'critical',
      message: 'the last RDB snapshot (BGSAVE) failed: Redis refuses writes (MISCONF) until one succeeds',
    });
    await redis.config('SET', 'dir', server.dir);
    await redis.config('SET', 'save', '');
    await redis.bgsave();
    await until(async () => /rdb_last_bgsave_status:ok/.test(await redis.info('persistence')), 'a good BGSAVE');
    expect(await checks()).not.toContain('redis.persistence-failing');
  });
});

describe('cache-health: replication on real servers', () => {
  let primary: RedisServer;
  let replica: RedisServer;
  let store: Store;
  const health = (name: string) =>
    cacheHealth.run(
      jobContext(caches(['primary', primary], ['replica', replica]), undefined, { store, jobId: 'health' }),
      cacheHealthParams.parse({ cache: name }),
    );

  beforeAll(async () => {
    primary = await startRedis();
    replica = await startRedis(undefined, ['--replicaof', '127.0.0.1', String(primary.port)]);
    store = await openStore({ path: 'memory://' });
  });
  afterAll(async () => {
    await store.close();
    await replica.stop();
    await primary.stop();
  });

  it('a replica with its link up and its primary listing it are info; the link down when the primary dies is critical', async () => {
    const r = new Redis(replica.url);
    try {
      await until(async () => /master_link_status:up/.test(await r.info('replication')), 'the replica to sync');
      // The primary calls the replica online only at its first REPLCONF ACK (up to a second after the replica's link is up).
      const p = new Redis(primary.url);
      await until(
        async () => /slave0:.*state=online/.test(await p.info('replication')),
        'the primary to list it online',
      );
      p.disconnect();
      const onReplica = await health('replica');
      expect(onReplica.findings.find((f) => f.check === 'redis.replication')!.message).toMatch(
        new RegExp(`^replica of 127\\.0\\.0\\.1:${primary.port}, link up`),
      );
      const onPrimary = await health('primary');
      expect(onPrimary.findings.find((f) => f.check === 'redis.replication')).toMatchObject({
        severity: 'info',
        message: expect.stringMatching(
          new RegExp(`^1 replicas connected: 127\\.0\\.0\\.1:${replica.port} online, lag \\d+ s`),
        ),
      });

      await primary.stop();
      await until(async () => /master_link_status:down/.test(await r.info('replication')), 'the link to drop');
      const down = await health('replica');
      expect(down.status).toBe('critical');
      expect(down.findings.find((f) => f.check === 'redis.replication-link')!.message).toMatch(
        new RegExp(
          `^replica's link to its primary 127\\.0\\.0\\.1:${primary.port} is down (for \\d+ s|\\(it has not synced since it started\\))`,
        ),
      );
    } finally {
      r.disconnect();
    }
  });
});

describe('cache-optimize: memory by key pattern from a bounded SCAN sample', () => {
  let server: RedisServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    const p = redis.pipeline();
    for (let i = 0; i < 3000; i++) p.set(`session:${(i * 2654435761).toString(16)}`, 'x'.repeat(400), 'EX', 3600);
    for (let i = 0; i < 1000; i++) p.hset(`user:${i}:profile`, 'name', `user ${i}`, 'email', `u${i}@example.com`);
    await p.exec();
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it('says where the memory goes and which keys never expire, by pattern, with the sample size', async () => {
    const outcome = await cacheOptimize.run(
      jobContext(caches(['sessions', server])),
      cacheOptimizeParams.parse({ cache: 'sessions', sample: 1000 }),
    );
    const by = Object.fromEntries(outcome.findings.map((f) => [f.check, f]));
    expect(by['redis.memory-by-pattern']!.message).toMatch(
      /^memory by key pattern in a SCAN sample of 1000 of 4000 keys \(25\.0 %\): session:\* \d+\.\d % \(\d+ keys, string, ~\d+\.\d MiB estimated in all\); user:\*:profile /,
    );
    expect(by['redis.no-ttl-by-pattern']!.message).toMatch(
      /^\d+ keys without a TTL in a SCAN sample of 1000 of 4000 keys \(25\.0 %\): user:\*:profile \d+ of \d+$/,
    );
    expect(outcome.metrics).toMatchObject({ sampled: 1000, dbsize: 4000 });
  });

  it('stops at its key, time and key-name byte bounds, and when the run is cancelled', async () => {
    const open = new AbortController().signal;
    const bounds = { keys: 10_000, ms: 60_000, keyBytes: 8 * 2 ** 20, signal: open };
    expect(await sampleKeys(redis, { ...bounds, keys: 100 })).toMatchObject({ stoppedBy: 'keys', dbsize: 4000 });
    expect((await sampleKeys(redis, { ...bounds, keys: 100 })).keys).toHaveLength(100);
    // A clock that moves a second per look: the 2 s bound is reached after two SCAN calls.
    let t = 0;
    const timed = await sampleKeys(redis, { ...bounds, ms: 2000, now: () => (t += 1000) });
    expect(timed.stoppedBy).toBe('time');
    expect(timed.keys.length).toBeLessThan(4000);
    const bytes = await sampleKeys(redis, { ...bounds, keyBytes: 2000 });
    expect(bytes.stoppedBy).toBe('bytes');
    expect(bytes.keys.reduce((s, k) => s + k.key.length, 0)).toBeLessThanOrEqual(2000);
    expect((await sampleKeys(redis, bounds)).stoppedBy).toBe('done');
    const cancel = new AbortController();
    cancel.abort(new Error('run cancelled'));
    await expect(sampleKeys(redis, { ...bounds, signal: cancel.signal })).rejects.toThrow('run cancelled');
  });
});

describe('cache-health on a Redis that refuses CONFIG and LATENCY (as managed services rename them)', () => {
  let server: RedisServer;
  let store: Store;
  beforeAll(async () => {
    server = await startRedis(undefined, ['--rename-command', 'CONFIG', '', '--rename-command', 'LATENCY', '']);
    store = await openStore({ path: 'memory://' });
  });
  afterAll(async () => {
    await store.close();
    await server.stop();
  });

  it('judges what INFO says and leaves out what it cannot know, instead of failing the run', async () => {
    const outcome = await cacheHealth.run(
      jobContext(caches(['managed', server]), undefined, { store, jobId: 'health' }),
      cacheHealthParams.parse({ cache: 'managed' }),
    );
    expect(outcome.summary).toMatch(/^managed: no lookups and 0 evicted since Redis started \d+ s ago;/);
    const checks = outcome.findings.map((f) => f.check);
    expect(checks).toContain('redis.no-maxmemory'); // INFO's maxmemory:0
    expect(checks).not.toContain('redis.persistence'); // save/appendonly unknown
    expect(checks).not.toContain('redis.latency-monitor-off'); // neither CONFIG nor the doctor said
    expect(checks).not.toContain('redis.latency-doctor');
  });
});
