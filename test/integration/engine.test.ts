/**
 * The whole path — scheduler → queue → worker → history — in both modes: embedded
 * (in-process queue, SQLite) and distributed (BullMQ on a real Redis, real PostgreSQL).
 */
import { startOpscron, type Opscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { listRuns, type RunRow } from '../../src/store/runs.js';
import { manualRunId } from '../../src/worker.js';
import { openStore } from '../../src/store/index.js';
import { join } from 'node:path';
import { tempDir } from '../support/cli.js';
import { createDatabase } from '../support/services.mjs';
import { eventually, Target } from '../support/target.js';

type Mode = 'embedded' | 'distributed';

async function start(mode: Mode, jobs: unknown[], over: Record<string, unknown> = {}): Promise<Opscron> {
  const isolated = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const config = parseConfig({
    store: mode === 'distributed' ? { databaseUrl: await createDatabase('engine') } : { path: 'memory://' },
    queue:
      mode === 'distributed'
        ? { redisUrl: process.env.OPSCRON_TEST_REDIS_URL, name: isolated, concurrency: 5 }
        : { concurrency: 5 },
    scheduler: { shutdownGrace: '2s' },
    jobs,
    ...over,
  });
  return startOpscron({ config, logger: silentLogger, http: false, metrics: new Metrics() });
}

const check = (
  id: string,
  target: Target,
  extra: Record<string, unknown> = {},
  params: Record<string, unknown> = {},
) => ({ id, type: 'health-check', params: { url: target.url(id), ...params }, ...extra });

async function trigger(app: Opscron, job: string, data: Record<string, unknown> = {}): Promise<string> {
  const id = manualRunId(job);
  await app.queue.enqueue([{ id, name: job, data: { trigger: 'manual', requestedBy: 'test', ...data } }]);
  return id;
}

const finished = (app: Opscron, job: string, n: number) =>
  eventually(async () => {
    const runs = (await listRuns(app.store.sql, { job, limit: 100 })).filter((r) => r.status !== 'running');
    return runs.length >= n ? runs : null;
  }, `${n} finished runs of ${job}`);

describe.each<Mode>(['embedded', 'distributed'])('engine, %s', (mode) => {
  let target: Target;
  let app: Opscron | null = null;
  beforeEach(async () => {
    target = await new Target().start();
  });
  afterEach(async () => {
    await app?.stop();
    app = null;
    await target.stop();
  });

  it('fires a schedule, runs the job and records each run', async () => {
    app = await start(mode, [check('every-second', target, { schedule: '* * * * * *' })]);
    const runs = await finished(app, 'every-second', 2);
    const run = runs[0]!;
    expect(run).toMatchObject({ status: 'ok', trigger: 'schedule', jobType: 'health-check', attempt: 1 });
    expect(run.summary).toMatch(/healthy: 200 in \d+ ms/);
    expect(run.queueId).toBe(`every-second__${run.scheduledFor!.getTime()}`);
    expect(run.startedAt!.getTime()).toBeGreaterThanOrEqual(run.scheduledFor!.getTime());
    expect(run.metrics).toMatchObject({ statusCode: 200 });
    expect(target.count('every-second')).toBeGreaterThanOrEqual(2);
    const counted = (await app.metrics.jobRuns.get()).values.filter(
      (v) => v.labels.job === 'every-second' && v.labels.status === 'ok',
    );
    expect(counted.map((v) => v.labels.trigger)).toEqual(['schedule']); // a slot just after start is on time, not a catch-up
    expect(counted[0]!.value).toBeGreaterThanOrEqual(2);
  });

  it('records a critical outcome with its findings, and does not retry it (it is an answer, not a failure)', async () => {
    target.behaviour = { status: 503, body: { status: 'degraded' } };
    app = await start(mode, [
      check(
        'down',
        target,
        { retries: { attempts: 3, backoff: '100ms' } },
        { json: [{ path: 'status', equals: 'ok' }] },
      ),
    ]);
    await trigger(app, 'down');
    const [run] = await finished(app, 'down', 1);
    expect(run!.status).toBe('critical');
    expect(run!.findings.map((f) => f.check).sort()).toEqual(['http.body-field', 'http.status']);
    await new Promise((r) => setTimeout(r, 500));
    expect(target.count('down')).toBe(1);
  });

  it("keeps a fan-out's per-service results in the run's history", async () => {
    target.behaviour = {};
    const services = ['a', 'b'].map((name) => ({ name, url: target.url(`fan-${name}`) }));
    app = await start(mode, [{ id: 'fleet', type: 'health-check', params: { services: ['*'] } }], { services });
    await trigger(app, 'fleet');
    const [run] = await finished(app, 'fleet', 1);
    expect(run!.targets).toEqual([
      { service: 'a', status: 'ok', ms: expect.any(Number) },
      { service: 'b', status: 'ok', ms: expect.any(Number) },
    ]);
  });

  it('concurrency forbid: a run that finds the previous one still running is skipped', async () => {
    target.behaviour = { delayMs: 1500 };
    app = await start(mode, [check('slow', target, { concurrency: 'forbid' })]);
    await trigger(app, 'slow');
    await eventually(async () => target.count('slow') === 1, 'first run to start');
    await trigger(app, 'slow');
    const runs = await finished(app, 'slow', 2);
    expect(runs.map((r) => r.status).sort()).toEqual(['ok', 'skipped']);
    expect(runs.find((r) => r.status === 'skipped')!.summary).toMatch(/already running \(concurrency: forbid\)/);
  });

  it('concurrency replace: the running one is cancelled through its signal and the new one runs', async () => {
    target.behaviour = { hang: true };
    app = await start(mode, [check('replaced', target, { concurrency: 'replace' }, { requestTimeout: '30s' })]);
    const first = await trigger(app, 'replaced');
    await eventually(async () => target.count('replaced') === 1, 'first run to start');
    target.behaviour = {};
    const second = await trigger(app, 'replaced');
    const runs = await finished(app, 'replaced', 2);
    expect(runs.find((r) => r.id === first)).toMatchObject({
      status: 'cancelled',
      error: 'run cancelled: replaced by a newer run (concurrency: replace)',
    });
    expect(runs.find((r) => r.id === second)).toMatchObject({ status: 'ok' });
    expect(target.abandoned).toBe(1); // the first run's request was really dropped
  });

  it('times a run out through its AbortSignal, releases what it held, and retries with backoff', async () => {
    target.behaviour = { hang: true };
    app = await start(mode, [
      check(
        'hangs',
        target,
        { timeout: '400ms', retries: { attempts: 2, backoff: '200ms' } },
        { requestTimeout: '60s' },
      ),
    ]);
    await trigger(app, 'hangs');
    const runs = (await finished(app, 'hangs', 2)).sort((a, b) => a.attempt - b.attempt);
    expect(runs.map((r: RunRow) => [r.attempt, r.trigger, r.status])).toEqual([
      [1, 'manual', 'timeout'],
      [2, 'retry', 'timeout'],
    ]);
    expect(runs[0]!.error).toBe('run exceeded its timeout of 400 ms');
    const took = runs[0]!.finishedAt!.getTime() - runs[0]!.startedAt!.getTime();
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(2000);
    // Released: the job's HTTP requests were aborted, not left hanging on the server.
    await eventually(async () => target.abandoned === 2, 'both requests to be closed by the client', 5000);
    expect(runs[1]!.startedAt!.getTime() - runs[0]!.finishedAt!.getTime()).toBeGreaterThanOrEqual(90); // backoff 200 ms with jitter in [½, 1]
  });

  it('treats queue data as untrusted: unknown job, bad data and bad params fail clearly and the worker goes on', async () => {
    app = await start(mode, [check('good', target)]);
    await app.queue.enqueue([{ id: 'nope__x1', name: 'nope', data: {} }]);
    await trigger(app, 'good', { trigger: 'sometimes' });
    await trigger(app, 'good', { params: { expectStatus: 'two hundred' } });
    await trigger(app, 'good', { params: { confirm: true, extra: 1 } });
    const bad = await finished(app, 'good', 3);
    const errors = bad.map((r) => r.error).sort();
    expect(errors).toEqual([
      'bad params: params.expectStatus: "two hundred" — expected array, received string',
      'bad params: params.extra: unknown key — check the spelling; allowed here: service, services, concurrency, reuseConnections, url, send, expectResponse, dns, expectDns, method, headers, expectStatus, maxResponseTime, criticalResponseTime, requestTimeout, json, expectHeaders, failureThreshold, successThreshold, scrapeMetrics, tls, caFile, insecureSkipVerify, checkDependencies',
      'bad queue data: data.trigger: "sometimes" — allowed: schedule, manual, catch-up, retry',
    ]);
    expect(bad.every((r) => r.status === 'failed')).toBe(true);
    const [unknown] = await listRuns(app.store.sql, { job: 'nope' });
    expect(unknown).toMatchObject({ status: 'failed', error: 'unknown job "nope"; configured jobs: good' });
    expect(target.count('good')).toBe(0); // nothing half-ran
    await trigger(app, 'good');
    await eventually(
      async () => (await listRuns(app!.store.sql, { job: 'good', status: 'ok' })).length === 1,
      'a good run after the bad ones',
    );
  });
});

describe('shutdown', () => {
  it('lets running jobs finish within the grace period, then cancels the rest through their signal', async () => {
    const path = join(tempDir(), 'db');
    const config = parseConfig({
      store: { path },
      scheduler: { shutdownGrace: '800ms' },
      jobs: [
        { id: 'long', type: 'noop', params: { sleep: '10s' } },
        { id: 'short', type: 'noop', params: { sleep: '300ms' } },
      ],
    });
    const app = await startOpscron({ config, logger: silentLogger, http: false, metrics: new Metrics() });
    await app.queue.enqueue([
      { id: 'long__1', name: 'long', data: {} },
      { id: 'short__1', name: 'short', data: {} },
    ]);
    await eventually(async () => app.worker!.progress().size === 2, 'both runs to start');
    const stopping = Date.now();
    await app.stop();
    expect(Date.now() - stopping).toBeLessThan(3000);
    const store = await openStore({ path });
    try {
      const runs = await listRuns(store.sql, {});
      expect(runs.find((r) => r.jobId === 'short')).toMatchObject({ status: 'ok' });
      expect(runs.find((r) => r.jobId === 'long')).toMatchObject({
        status: 'cancelled',
        error: 'run cancelled: opscron is shutting down',
      });
    } finally {
      await store.close();
    }
  });
});

describe('embedded restart', () => {
  it('closes runs a previous stop left marked running, since no one else will', async () => {
    const path = join(tempDir(), 'db');
    const store = await openStore({ path });
    await store.runLog.write({
      id: 'cut-off',
      queueId: 'cut-off',
      jobId: 'web',
      jobType: 'health-check',
      trigger: 'manual',
      scheduledFor: null,
      createdAt: new Date(),
      startedAt: new Date(),
      finishedAt: null,
      attempt: 1,
      status: 'running',
      summary: null,
      findings: [],
      metrics: null,
      error: null,
      params: {},
      requestedBy: 'test',
      reason: null,
      worker: 'gone',
    });
    await store.close();
    const app = await startOpscron({
      config: parseConfig({ store: { path } }),
      logger: silentLogger,
      http: false,
      metrics: new Metrics(),
    });
    try {
      const [run] = await listRuns(app.store.sql, { job: 'web' });
      expect(run).toMatchObject({
        id: 'cut-off',
        status: 'failed',
        error: 'opscron stopped while this run was in progress',
      });
    } finally {
      await app.stop();
    }
  });
});
