/**
 * opscron on a real Redis Sentinel set (a primary, a replica, three sentinels): a per-second
 * schedule keeps firing through a failover, and every slot is accounted for once — run once,
 * or recorded as missed — with none run twice; the cache jobs read whichever server is primary.
 */
import { startOpscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { cacheClear, cacheClearParams } from '../../src/jobs/cache-clear.js';
import { cacheHealth, cacheHealthParams } from '../../src/jobs/cache.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { openStore, type Store } from '../../src/store/index.js';
import { listRuns } from '../../src/store/runs.js';
import { jobContext } from '../support/job-context.js';
import { command, startSentinelSet, type SentinelSet } from '../support/redis-topology.js';
import { createDatabase } from '../support/services.mjs';
import { eventually, Target } from '../support/target.js';

const isolated = () => `s${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

describe('Redis Sentinel', () => {
  let set: SentinelSet;
  let target: Target;
  let store: Store;
  let databaseUrl: string;
  beforeAll(async () => {
    set = await startSentinelSet();
  }, 60_000);
  afterAll(async () => {
    await set?.stop();
  });
  beforeEach(async () => {
    target = await new Target().start();
    databaseUrl = await createDatabase('sentinel');
    store = await openStore({ databaseUrl, path: '' });
  });
  afterEach(async () => {
    await store.close();
    await target.stop();
  });

  const sentinelFields = () => ({ sentinels: set.sentinels, master: set.master });

  it('a failover, then the new primary killed, during a per-second schedule: no slot lost or run twice', async () => {
    const config = parseConfig({
      store: { databaseUrl },
      queue: { ...sentinelFields(), name: isolated() },
      jobs: [{ id: 'beat', type: 'health-check', schedule: '* * * * * *', params: { url: target.url('beat') } }],
    });
    expect(config.queue.redis).toMatchObject({ kind: 'sentinel', master: set.master });
    const app = await startOpscron({ config, logger: silentLogger, http: false, metrics: new Metrics() });
    const windows: [from: number, to: number][] = [];
    const took: number[] = [];
    const ports = [await set.primaryPort()];
    const switchOver = async (how: () => Promise<number>) => {
      const from = Date.now();
      took.push(await how());
      windows.push([from, Date.now()]);
      ports.push(await set.primaryPort());
      const after = target.count('beat');
      await eventually(async () => target.count('beat') >= after + 3, 'three runs after the switch', 30_000);
    };
    try {
      await eventually(async () => target.count('beat') >= 3, 'runs before the failover', 20_000);
      await switchOver(() => set.failover()); // SENTINEL FAILOVER: what an operator does for maintenance
      await switchOver(() => set.killPrimary()); // SIGKILL: what a crash does
    } finally {
      await app.stop();
    }
    expect(new Set(ports).size).toBe(2);
    expect(ports[0]).toBe(ports[2]); // the primary moved, and moved back
    const runs = await listRuns(store.sql, { job: 'beat', limit: 1000 });
    const ran = runs.filter((r) => r.status !== 'missed');
    const slots = ran.map((r) => r.scheduledFor!.getTime()).sort((x, y) => x - y);
    // Run once each: no slot (and no redelivery of one) ran twice, and every run was ok.
    expect(new Set(slots).size).toBe(slots.length);
    expect(new Set(runs.map((r) => r.scheduledFor!.getTime())).size).toBe(runs.length);
    expect(target.count('beat')).toBe(ran.length);
    expect(ran.every((r) => r.status === 'ok' && r.attempt === 1)).toBe(true);
    // No gaps: every second from the first slot to the last is in history, run or missed.
    const all = runs.map((r) => r.scheduledFor!.getTime()).sort((x, y) => x - y);
    expect(all.length).toBe((all[all.length - 1]! - all[0]!) / 1000 + 1);
    // A slot is missed only while Redis was switching over (the fire of a slot due then fails,
    // and the scheduler's catch-up fires the newest slot and records older ones as missed).
    const missed = runs.filter((r) => r.status === 'missed').map((r) => r.scheduledFor!.getTime());
    const inWindow = (t: number) => windows.some(([from, to]) => t >= from - 1000 && t <= to + 1000);
    expect(missed.filter((t) => !inWindow(t))).toEqual([]);
    console.log(
      `sentinel: new primary named by every sentinel after ${took.join(' and ')} ms; ${ran.length} slots run, ${missed.length} recorded missed`,
    );
  }, 90_000);

  it('cache-health and cache-clear talk to the current primary', async () => {
    const primary = await set.primaryPort();
    await command(primary, 'FLUSHALL'); // the queue's keys from the test before
    for (let i = 0; i < 20; i++) await command(primary, 'SET', `sess:${i}`, 'x');
    await command(primary, 'SET', 'keep:1', 'x');
    const config = parseConfig({ caches: [{ name: 'sessions', ...sentinelFields() }] });
    const ctx = jobContext(config, undefined, { store, jobId: 'cache' });
    const health = await cacheHealth.run(ctx, cacheHealthParams.parse({ cache: 'sessions' }));
    expect(health.summary).toContain(`(primary 127.0.0.1:${primary})`);
    expect(health.metrics).toMatchObject({ keys: 21 });
    // The primary's INFO names its replica: the replication check is of this set.
    expect(health.findings.map((f) => f.check)).not.toContain('redis.replica-lag');
    const cleared = await cacheClear.run(
      ctx,
      cacheClearParams.parse({ cache: 'sessions', pattern: 'sess:*', dryRun: false }),
    );
    expect(cleared.metrics).toEqual({ matched: 20, deleted: 20 });
    expect(await command(primary, 'DBSIZE')).toBe(1);
  }, 30_000);
});
