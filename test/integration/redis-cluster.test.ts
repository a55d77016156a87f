/**
 * opscron on a real Redis Cluster of three primaries: the queue (a trigger runs and is
 * recorded, a per-second schedule fires) with every key opscron writes in the `{opscron}`
 * slot; cache-health reads every primary and cache-clear clears every primary.
 */
import { Cluster } from 'ioredis';
import { triggerRun } from '../../src/actions.js';
import { startOpscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { cacheClear, cacheClearParams } from '../../src/jobs/cache-clear.js';
import { cacheHealth, cacheHealthParams } from '../../src/jobs/cache.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { openStore, type Store } from '../../src/store/index.js';
import { listRuns } from '../../src/store/runs.js';
import { jobContext } from '../support/job-context.js';
import { command, startRedisCluster, type RedisClusterSet } from '../support/redis-topology.js';
import { createDatabase } from '../support/services.mjs';
import { eventually, Target } from '../support/target.js';

describe('Redis Cluster', () => {
  let cluster: RedisClusterSet;
  let target: Target;
  let store: Store;
  let databaseUrl: string;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  beforeEach(async () => {
    target = await new Target().start();
    databaseUrl = await createDatabase('cluster');
    store = await openStore({ databaseUrl, path: '' });
  });
  afterEach(async () => {
    await store.close();
    await target.stop();
    for (const node of cluster.nodes) await command(node.port, 'FLUSHALL');
  });

  /** Every key on every node, with the node's port. */
  const allKeys = async () => {
    const out: { port: number; key: string }[] = [];
    for (const node of cluster.nodes)
      for (const key of (await command(node.port, 'KEYS', '*')) as string[]) out.push({ port: node.port, key });
    return out;
  };
  const clusterNodes = () => cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));

  it('the queue: a trigger runs and is recorded, schedules fire, and every key is in the {opscron} slot', async () => {
    const config = parseConfig({
      store: { databaseUrl },
      // One seed node as a URL is enough: the client learns the others from the cluster.
      queue: { cluster: [`redis://127.0.0.1:${cluster.nodes[1]!.port}`] },
      jobs: [
        { id: 'beat', type: 'health-check', schedule: '* * * * * *', params: { url: target.url('beat') } },
        { id: 'once', type: 'health-check', params: { url: target.url('once') } },
      ],
    });
    expect(config.queue.prefix).toBe('{opscron}');
    const app = await startOpscron({ config, logger: silentLogger, http: false, metrics: new Metrics() });
    try {
      const runId = await triggerRun(app, { jobId: 'once', actor: 'ada', source: 'cli', reason: 'cluster check' });
      const run = await eventually(
        async () => (await listRuns(store.sql, { job: 'once' })).find((r) => r.id === runId && r.status !== 'running'),
        'the triggered run',
      );
      expect(run).toMatchObject({ status: 'ok', trigger: 'manual', reason: 'cluster check' });
      expect(target.count('once')).toBe(1);
      await eventually(async () => target.count('beat') >= 3, 'three scheduled runs', 20_000);
    } finally {
      await app.stop();
    }
    const ran = (await listRuns(store.sql, { job: 'beat', limit: 100 })).filter((r) => r.status !== 'missed');
    expect(ran.every((r) => r.status === 'ok')).toBe(true);
    expect(new Set(ran.map((r) => r.scheduledFor!.getTime())).size).toBe(ran.length);
    const keys = await allKeys();
    expect(keys.length).toBeGreaterThan(3);
    const slot = (await command(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', '{opscron}')) as number;
    for (const { key } of keys) {
      expect(key.startsWith('{opscron}:opscron:')).toBe(true);
      expect(await command(cluster.nodes[0]!.port, 'CLUSTER', 'KEYSLOT', key)).toBe(slot);
    }
    expect(new Set(keys.map((k) => k.port)).size).toBe(1); // one slot lives on one node
  }, 60_000);

  it('refuses a queue prefix without a hash tag on a Cluster, saying why', () => {
    expect(() => parseConfig({ queue: { cluster: clusterNodes(), prefix: 'bull' } })).toThrow(
      /queue\.prefix: "bull" — has no \{hash tag\}, which a Cluster needs: BullMQ's scripts touch several keys/,
    );
    expect(parseConfig({ queue: { cluster: clusterNodes(), prefix: '{jobs}' } }).queue.prefix).toBe('{jobs}');
  });

  it('cache-health reads every primary; cache-clear clears every primary, and only the pattern', async () => {
    const seed = new Cluster(clusterNodes());
    try {
      for (let i = 0; i < 300; i++) await seed.set(`sess:${i}`, 'x');
      for (let i = 0; i < 30; i++) await seed.set(`keep:${i}`, 'x');
    } finally {
      seed.disconnect();
    }
    const perNode = async (pattern: string) =>
      Promise.all(cluster.nodes.map(async (n) => ((await command(n.port, 'KEYS', pattern)) as string[]).length));
    expect((await perNode('sess:*')).every((n) => n > 0)).toBe(true); // spread over all three
    const config = parseConfig({ caches: [{ name: 'sessions', cluster: clusterNodes() }] });
    const ctx = jobContext(config, undefined, { store, jobId: 'cache' });

    const health = await cacheHealth.run(ctx, cacheHealthParams.parse({ cache: 'sessions' }));
    expect(health.summary).toMatch(/^sessions \(cluster, 3 primaries\): sessions\/127\.0\.0\.1:\d+: /);
    const ports = cluster.nodes.map((n) => n.port).sort((a, b) => a - b);
    for (const port of ports) expect(health.summary).toContain(`sessions/127.0.0.1:${port}:`);
    expect(health.metrics).toMatchObject({ keys: 330, nodes: 3 });
    const resources = new Set(health.findings.map((f) => f.resource));
    for (const port of ports) expect(resources).toContain(`cache/sessions/127.0.0.1:${port}`);

    const dry = await cacheClear.run(ctx, cacheClearParams.parse({ cache: 'sessions', pattern: 'sess:*' }));
    expect(dry.metrics).toEqual({ matched: 300, deleted: 0 });
    const cleared = await cacheClear.run(
      ctx,
      cacheClearParams.parse({ cache: 'sessions', pattern: 'sess:*', dryRun: false }),
    );
    expect(cleared.metrics).toEqual({ matched: 300, deleted: 300 });
    expect(cleared.findings.map((f) => f.resource).sort()).toEqual(
      ports.map((p) => `cache/sessions/127.0.0.1:${p}`).sort(),
    );
    expect(await perNode('sess:*')).toEqual([0, 0, 0]);
    expect((await perNode('keep:*')).reduce((a, b) => a + b)).toBe(30);

    const all = await cacheClear.run(ctx, cacheClearParams.parse({ cache: 'sessions', all: true, dryRun: false }));
    expect(all.summary).toBe(
      'sessions (cluster, 3 primaries): emptied the database on 3 primaries (30 keys, FLUSHDB ASYNC)',
    );
    await eventually(async () => (await perNode('*')).every((n) => n === 0), 'every primary empty');
  }, 60_000);
});
