/**
 * Distributed mode with real processes: several schedulers on one Redis, a worker killed
 * with SIGKILL mid-run, and Redis restarted under a running opscron.
 */
import { startOpscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { BullQueue } from '../../src/queue/bullmq.js';
import { openStore, type Store } from '../../src/store/index.js';
import { listRuns } from '../../src/store/runs.js';
import { runOpscron, spawnOpscron, tempDir, writeConfig, type Running } from '../support/cli.js';
import { listAudit } from '../../src/store/audit.js';
import { createDatabase, startRedis, type RedisServer } from '../support/services.mjs';
import { eventually, Target } from '../support/target.js';

const isolated = () => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

describe('distributed opscron', () => {
  let target: Target;
  let store: Store;
  let databaseUrl: string;
  const children: Running[] = [];
  beforeEach(async () => {
    target = await new Target().start();
    databaseUrl = await createDatabase('dist');
    store = await openStore({ databaseUrl, path: '' });
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.stop()));
    await store.close();
    await target.stop();
  });

  const env = (extra: Record<string, string> = {}) => ({
    REDIS_URL: process.env.OPSCRON_TEST_REDIS_URL!,
    DATABASE_URL: databaseUrl,
    PORT: '0',
    ...extra,
  });

  it('three scheduler processes on one Redis fire each slot exactly once', async () => {
    const dir = tempDir();
    const jobs = ['a', 'b', 'c', 'd'].map((id) => ({
      id,
      type: 'health-check',
      schedule: '* * * * * *',
      concurrency: 'allow',
      params: { url: target.url(id) },
    }));
    const file = writeConfig(dir, { queue: { name: isolated(), concurrency: 20 }, jobs });
    const worker = spawnOpscron(['start', '--role', 'worker', '--config', file], { cwd: dir, env: env() });
    children.push(worker);
    const schedulers = [1, 2, 3].map(() =>
      spawnOpscron(['start', '--role', 'scheduler', '--config', file], { cwd: dir, env: env() }),
    );
    children.push(...schedulers);
    await eventually(
      async () => schedulers.every((s) => s.output().includes('opscron started')),
      'three schedulers',
      20_000,
    );
    // Real processes keep real time: the test waits for the slots themselves, not for a number of seconds.
    await eventually(
      async () => {
        const runs = await listRuns(store.sql, { status: 'ok', limit: 1000 });
        return ['a', 'b', 'c', 'd'].every((id) => runs.filter((r) => r.jobId === id).length >= 8);
      },
      'eight runs of each job',
      30_000,
    );
    await Promise.all(schedulers.map((s) => s.stop()));
    await eventually(async () => (await listRuns(store.sql, { status: 'running' })).length === 0, 'runs to finish');
    await worker.stop();

    for (const id of ['a', 'b', 'c', 'd']) {
      const runs = await listRuns(store.sql, { job: id, limit: 1000 });
      const ran = runs.filter((r) => r.status !== 'missed');
      const slots = ran.map((r) => r.scheduledFor!.getTime()).sort((x, y) => x - y);
      expect(ran.length).toBeGreaterThanOrEqual(8);
      expect(new Set(slots).size).toBe(slots.length);
      expect(target.count(id)).toBe(ran.length); // each slot executed once, not once per scheduler
      expect(ran.every((r) => r.status === 'ok')).toBe(true);
      // No gaps: every second from the first slot to the last was fired or recorded as missed.
      const all = runs.map((r) => r.scheduledFor!.getTime());
      expect(new Set(all).size).toBe((slots[slots.length - 1]! - slots[0]!) / 1000 + 1);
    }
  }, 60_000);

  it('a worker killed with SIGKILL mid-run: the run is taken up again and history shows both attempts', async () => {
    const dir = tempDir();
    const name = isolated();
    const file = writeConfig(dir, {
      queue: { name, lockDuration: '2s' },
      jobs: [{ id: 'slow', type: 'health-check', params: { url: target.url('slow'), requestTimeout: '30s' } }],
    });
    const first = spawnOpscron(['start', '--role', 'worker', '--config', file], { cwd: dir, env: env() });
    children.push(first);
    await eventually(async () => first.output().includes('opscron started'), 'first worker');
    target.behaviour = { delayMs: 5000 };
    target.onRequest = () => {
      target.onRequest = null;
      target.behaviour = {};
      first.child.kill('SIGKILL');
    };
    // Any BullMQ producer can trigger a run: here the test is that producer.
    const producer = new BullQueue({
      redis: { kind: 'standalone', url: process.env.OPSCRON_TEST_REDIS_URL! },
      name,
      prefix: 'bull',
      lockDurationMs: 2000,
      keepCompletedMs: 60_000,
    });
    await producer.enqueue([
      { id: 'slow__killed', name: 'slow', data: { trigger: 'manual', requestedBy: 'test', reason: 'sigkill test' } },
    ]);
    await producer.close();
    await first.exited;
    const second = spawnOpscron(['start', '--role', 'worker', '--config', file], { cwd: dir, env: env() });
    children.push(second);
    const runs = await eventually(
      async () => {
        const r = await listRuns(store.sql, { job: 'slow' });
        return r.length === 2 && r.every((x) => x.status !== 'running')
          ? r.sort((a, b) => a.attempt - b.attempt)
          : null;
      },
      'both attempts recorded',
      30_000,
    );
    expect(runs.map((r) => [r.attempt, r.status, r.queueId])).toEqual([
      [1, 'failed', 'slow__killed'],
      [2, 'ok', 'slow__killed'],
    ]);
    expect(runs[0]!.error).toMatch(/stopped mid-run .*taken up again by/);
    expect(runs[1]).toMatchObject({ reason: 'sigkill test', requestedBy: 'test' });
    expect(target.count('slow')).toBe(2);
  }, 60_000);

  it('opscron trigger puts a one-off run on the queue, audited; bad params are refused before anything is queued', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, {
      queue: { name: isolated() },
      jobs: [{ id: 'web', type: 'health-check', params: { url: target.url('trigger') } }],
    });
    const worker = spawnOpscron(['start', '--role', 'worker', '--config', file], { cwd: dir, env: env() });
    children.push(worker);
    const bad = await runOpscron(['trigger', 'web', '--set', 'expectStatus=lots', '--config', file], {
      cwd: dir,
      env: env(),
    });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/bad params: params\.expectStatus: "lots"/);
    const ok = await runOpscron(
      ['trigger', 'web', '--set', 'maxResponseTime=5s', '--reason', 'checking after deploy', '--config', file],
      { cwd: dir, env: env({ OPSCRON_ACTOR: 'alice' }) },
    );
    expect(ok.code).toBe(0);
    const queued = /queued web as run (\S+)/.exec(ok.stdout)![1];
    const run = await eventually(
      async () => (await listRuns(store.sql, { job: 'web' })).find((r) => r.id === queued && r.status !== 'running'),
      'the triggered run',
    );
    expect(run).toMatchObject({
      status: 'ok',
      trigger: 'manual',
      requestedBy: 'alice',
      reason: 'checking after deploy',
      params: { maxResponseTime: '5s' },
    }); // the overrides as asked
    expect(target.count('trigger')).toBe(1);
    const [audit] = await listAudit(store.sql);
    expect(audit).toMatchObject({
      actor: 'alice',
      source: 'cli',
      action: 'trigger',
      jobId: 'web',
      reason: 'checking after deploy',
    });
  }, 60_000);

  describe('Redis restarted mid-stream', () => {
    let redis: RedisServer;
    beforeEach(async () => {
      redis = await startRedis();
    });
    afterEach(async () => {
      await redis.stop();
    });

    it('firing and processing resume by themselves', async () => {
      const config = parseConfig({
        store: { databaseUrl },
        queue: { redisUrl: redis.url, name: isolated() },
        jobs: [{ id: 'beat', type: 'health-check', schedule: '* * * * * *', params: { url: target.url('beat') } }],
      });
      const app = await startOpscron({ config, logger: silentLogger, http: false, metrics: new Metrics() });
      try {
        await eventually(async () => target.count('beat') >= 2, 'runs before the restart');
        await redis.restart(1500);
        const back = Date.now();
        await eventually(
          async () => {
            const ok = await listRuns(store.sql, { job: 'beat', status: 'ok', from: new Date(back) });
            return ok.length >= 3;
          },
          'three runs after Redis came back',
          30_000,
        );
        const after = await listRuns(store.sql, { job: 'beat', from: new Date(back - 1500) });
        expect(after.some((r) => r.status === 'ok')).toBe(true);
      } finally {
        await app.stop();
      }
    }, 60_000);
  });
});
