/**
 * The control plane over real HTTP, on BullMQ (real Redis) and PostgreSQL: tokens and
 * scopes, manual triggers three ways with their actors in the audit log, pause across
 * restarts, bad bodies, and a canary secret that must appear nowhere.
 */
import { Writable } from 'node:stream';
import { Queue } from 'bullmq';
import { startOpscron, type Opscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { registerSecrets } from '../../src/observability/redact.js';
import { redisConnection } from '../../src/queue/bullmq.js';
import { listAudit } from '../../src/store/audit.js';
import { listRuns } from '../../src/store/runs.js';
import { runOpscron, tempDir, writeConfig } from '../support/cli.js';
import { createDatabase } from '../support/services.mjs';
import { FakeClock } from '../support/fake-clock.js';
import { eventually, Target } from '../support/target.js';

const TOKENS = {
  reader: 'read-token-0123456789',
  operator: 'trigger-token-0123456789',
  boss: 'admin-token-0123456789',
};

describe('HTTP API', () => {
  let target: Target;
  let databaseUrl: string;
  let queueName: string;
  let app: Opscron | null = null;

  const raw = (jobs: unknown[]) => ({
    store: { databaseUrl },
    queue: { redisUrl: process.env.OPSCRON_TEST_REDIS_URL, name: queueName },
    http: {
      port: 0,
      host: '127.0.0.1',
      tokens: [
        { name: 'rita', token: TOKENS.reader, scope: 'read' },
        { name: 'otto', token: TOKENS.operator, scope: 'trigger' },
        { name: 'ada', token: TOKENS.boss, scope: 'admin' },
      ],
    },
    jobs,
  });
  const jobs = () => [
    { id: 'web', type: 'health-check', schedule: '0 0 1 1 *', params: { url: target.url('web') } },
    { id: 'purge', type: 'noop', destructive: true },
  ];
  const start = async (config = raw(jobs()), logger = silentLogger, clock?: FakeClock) =>
    (app = await startOpscron({ config: parseConfig(config), logger, metrics: new Metrics(), clock }));
  const call = async (
    path: string,
    options: { token?: string; method?: string; body?: unknown; rawBody?: string } = {},
  ) => {
    const response = await fetch(`${app!.address}${path}`, {
      method: options.method ?? (options.body !== undefined || options.rawBody !== undefined ? 'POST' : 'GET'),
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined || options.rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: options.rawBody ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined),
    });
    const text = await response.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON (metrics) */
    }
    return { status: response.status, json, text };
  };

  beforeEach(async () => {
    target = await new Target().start();
    databaseUrl = await createDatabase('api');
    queueName = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  });
  afterEach(async () => {
    await app?.stop();
    app = null;
    await target.stop();
  });

  it('enforces tokens and scopes: 401 without or with a wrong token, 403 below the scope needed', async () => {
    await start();
    expect((await call('/health')).status).toBe(200); // liveness needs no token
    expect((await call('/api/jobs')).status).toBe(401);
    expect((await call('/api/jobs', { token: 'not-a-token-at-all-xxxx' })).status).toBe(401);
    const jobsList = await call('/api/jobs', { token: TOKENS.reader });
    expect(jobsList.status).toBe(200);
    expect(jobsList.json.map((j: { id: string }) => j.id)).toEqual(['web', 'purge']);
    expect(jobsList.json[0]).toMatchObject({
      schedule: '0 0 1 1 *',
      timezone: 'UTC',
      nextRun: expect.stringMatching(/-01-01T00:00:00.000Z$/),
      paused: false,
    });

    expect((await call('/api/jobs/web/runs', { token: TOKENS.reader, body: {} })).status).toBe(403);
    expect((await call('/api/jobs/web/runs', { token: TOKENS.operator, body: {} })).status).toBe(202);
    expect((await call('/api/jobs/web/runs', { token: TOKENS.boss, body: {} })).status).toBe(202);
    expect((await call('/api/jobs/web/pause', { token: TOKENS.operator, body: {} })).status).toBe(403);
    expect((await call('/api/jobs/web/pause', { token: TOKENS.boss, body: { reason: 'maintenance' } })).status).toBe(
      200,
    );
    // A destructive job needs admin, and confirm: true.
    expect((await call('/api/jobs/purge/runs', { token: TOKENS.operator, body: {} })).status).toBe(403);
    const refused = await call('/api/jobs/purge/runs', { token: TOKENS.boss, body: {} });
    expect(refused).toMatchObject({
      status: 400,
      json: { message: 'purge is destructive: add confirm: true to the params to run it' },
    });
    expect(
      (
        await call('/api/jobs/purge/runs', {
          token: TOKENS.boss,
          body: { params: { confirm: true }, reason: 'quarterly purge' },
        })
      ).status,
    ).toBe(202);
    const audit = await listAudit(app!.store.sql);
    expect(audit.map((a) => [a.action, a.actor, a.jobId])).toEqual(
      expect.arrayContaining([
        ['trigger-destructive', 'ada', 'purge'],
        ['pause', 'ada', 'web'],
      ]),
    );
  });

  it('a trigger from the API, the CLI and a raw BullMQ producer each runs, with its actor in the audit log', async () => {
    const config = raw(jobs());
    await start(config);
    const viaApi = await call('/api/jobs/web/runs', {
      token: TOKENS.operator,
      body: { params: { maxResponseTime: '5s' }, reason: 'from the api' },
    });
    expect(viaApi.status).toBe(202);

    const dir = tempDir();
    const file = writeConfig(dir, { ...config, http: { ...config.http, port: 0 } });
    const cli = await runOpscron(['trigger', 'web', '--reason', 'from the cli', '--config', file], {
      cwd: dir,
      env: { OPSCRON_ACTOR: 'carla' },
    });
    expect(cli).toMatchObject({ code: 0 });

    const producer = new Queue(queueName, { connection: redisConnection(process.env.OPSCRON_TEST_REDIS_URL!, false) });
    await producer.add(
      'web',
      { params: {}, requestedBy: 'deploy-bot', reason: 'from a producer' },
      { jobId: 'web__deploy1' },
    );
    await producer.close();

    const runs = await eventually(async () => {
      const r = (await listRuns(app!.store.sql, { job: 'web' })).filter((x) => x.status === 'ok');
      return r.length === 3 ? r : null;
    }, 'three manual runs');
    expect(runs.map((r) => r.requestedBy).sort()).toEqual(['carla', 'deploy-bot', 'otto']);
    const audit = await listAudit(app!.store.sql);
    expect(audit.map((a) => [a.source, a.actor, a.reason]).sort()).toEqual([
      ['api', 'otto', 'from the api'],
      ['cli', 'carla', 'from the cli'],
      ['queue', 'deploy-bot', 'from a producer'],
    ]);
    const page = await call('/api/runs?job=web&limit=2', { token: TOKENS.reader });
    expect(page.json).toMatchObject({ limit: 2, offset: 0 });
    expect(page.json.runs).toHaveLength(2);
    expect(page.json.runs[0]).toMatchObject({
      jobId: 'web',
      jobType: 'health-check',
      trigger: 'manual',
      status: 'ok',
      attempt: 1,
      findingCount: 0,
    });
    expect(Date.parse(page.json.runs[0].createdAt)).toBeGreaterThanOrEqual(Date.parse(page.json.runs[1].createdAt)); // newest first
    expect((await call('/api/runs?status=critical', { token: TOKENS.reader })).json.runs).toEqual([]);
    const detail = await call(`/api/runs/${viaApi.json.runId}`, { token: TOKENS.reader });
    expect(detail.json).toMatchObject({
      id: viaApi.json.runId,
      status: 'ok',
      requestedBy: 'otto',
      attempts: [{ attempt: 1, status: 'ok' }],
    });
  });

  it('a destructive run from a raw producer is on the audit record before it starts; without confirm it never runs', async () => {
    await start();
    const producer = new Queue(queueName, { connection: redisConnection(process.env.OPSCRON_TEST_REDIS_URL!, false) });
    await producer.add(
      'purge',
      { params: { confirm: true }, requestedBy: 'cleanup-bot', reason: 'nightly purge' },
      { jobId: 'purge__p1' },
    );
    await producer.add(
      'purge',
      { params: {}, requestedBy: 'cleanup-bot', reason: 'forgot confirm' },
      { jobId: 'purge__p2' },
    );
    await producer.close();
    const runs = await eventually(async () => {
      const r = await listRuns(app!.store.sql, { job: 'purge' });
      return r.length === 2 && r.every((x) => x.status !== 'running') ? r : null;
    }, 'two purge runs');
    const confirmed = runs.find((r) => r.id === 'purge__p1')!;
    const refused = runs.find((r) => r.id === 'purge__p2')!;
    expect(confirmed.status).toBe('ok');
    expect(refused).toMatchObject({
      status: 'failed',
      startedAt: null,
      error: expect.stringContaining('confirm: true'),
    });
    const audit = (await listAudit(app!.store.sql)).filter((a) => a.jobId === 'purge');
    expect(audit.map((a) => [a.source, a.action, a.actor, a.reason])).toEqual([
      ['queue', 'trigger-destructive', 'cleanup-bot', 'nightly purge'],
    ]);
    expect(audit[0]!.at.getTime()).toBeLessThanOrEqual(confirmed.startedAt!.getTime());
  });

  it('a destructive run that cannot be put on the record is not queued (API) and not started (raw producer)', async () => {
    await start();
    await app!.store.sql.query('alter table audit_log rename to audit_log_away');
    try {
      const refused = await call('/api/jobs/purge/runs', {
        token: TOKENS.boss,
        body: { params: { confirm: true }, reason: 'purge' },
      });
      expect(refused.status).toBeGreaterThanOrEqual(500);
      const producer = new Queue(queueName, {
        connection: redisConnection(process.env.OPSCRON_TEST_REDIS_URL!, false),
      });
      await producer.add(
        'purge',
        { params: { confirm: true }, requestedBy: 'cleanup-bot' },
        { jobId: 'purge__unrecorded' },
      );
      await producer.close();
      const run = await eventually(
        async () => (await listRuns(app!.store.sql, { job: 'purge' }))[0] ?? null,
        'the producer-sent purge run',
      );
      expect(run).toMatchObject({
        id: 'purge__unrecorded',
        status: 'failed',
        startedAt: null,
        error: expect.stringContaining('not started: the audit entry of this destructive run could not be written'),
      });
      // The API's attempt never reached the queue: the producer's is the only run.
      expect(await listRuns(app!.store.sql, { job: 'purge' })).toHaveLength(1);
    } finally {
      await app!.store.sql.query('alter table audit_log_away rename to audit_log');
    }
  });

  it('a trigger from a CLI without the shared store is written to the audit log by the worker that takes it', async () => {
    const config = raw(jobs());
    await start(config);
    const dir = tempDir();
    const { store: _store, ...withoutStore } = config;
    const file = writeConfig(dir, { ...withoutStore, http: { ...config.http, port: 0 } });
    const cli = await runOpscron(['trigger', 'web', '--reason', 'no store here', '--config', file], {
      cwd: dir,
      env: { OPSCRON_ACTOR: 'carla', DATABASE_URL: '' },
    });
    expect(cli).toMatchObject({ code: 0 });
    const entry = await eventually(
      async () => (await listAudit(app!.store.sql)).find((a) => a.reason === 'no store here') ?? null,
      'the audit entry',
    );
    expect(entry).toMatchObject({ source: 'queue', actor: 'carla', action: 'trigger', jobId: 'web' });
  });

  it('opscron trigger --server goes through the API as its token; opscron audit prints the trail', async () => {
    const config = raw(jobs());
    await start(config);
    const dir = tempDir();
    const file = writeConfig(dir, config);
    const refused = await runOpscron(['trigger', 'web', '--server', app!.address!], {
      cwd: dir,
      env: { OPSCRON_API_TOKEN: TOKENS.reader },
    });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/answered 403: this needs the trigger scope; token "rita" has read/);
    const ok = await runOpscron(['trigger', 'web', '--server', app!.address!, '--reason', 'via the server'], {
      cwd: dir,
      env: { OPSCRON_API_TOKEN: TOKENS.operator },
    });
    expect(ok.code).toBe(0);
    const runId = /queued web as run (\S+)/.exec(ok.stdout)![1];
    await eventually(
      async () =>
        (await listRuns(app!.store.sql, { job: 'web', status: 'ok' })).find(
          (r) => r.id === runId && r.requestedBy === 'otto',
        ),
      'the run',
    );
    const audit = await runOpscron(['audit', '--since', '1h', '--config', file], { cwd: dir });
    expect(audit.code).toBe(0);
    expect(audit.stdout).toMatch(/^\S+\s+otto\s+api\s+trigger\s+web\s+via the server/m);
    const badSince = await runOpscron(['audit', '--since', 'yesterday-ish', '--config', file], { cwd: dir });
    expect(badSince).toMatchObject({ code: 3 });
    expect(badSince.stderr).toMatch(/--since "yesterday-ish": must be an RFC 3339 time or a duration/);
  });

  it('shows the progress of a long run while it runs', async () => {
    await start(raw([{ id: 'slow', type: 'noop', params: { sleep: '3s' } }]));
    const { json } = await call('/api/jobs/slow/runs', { token: TOKENS.operator, body: {} });
    const running = await eventually(
      async () => {
        const detail = await call(`/api/runs/${json.runId}`, { token: TOKENS.reader });
        return detail.status === 200 && detail.json.progress ? detail.json : null;
      },
      'a progress report',
      10_000,
    );
    expect(running).toMatchObject({
      status: 'running',
      progress: { fraction: expect.any(Number), note: expect.stringMatching(/^slept \d+ of 3000 ms$/) },
    });
    expect(running.progress.fraction).toBeGreaterThan(0);
  });

  it('keeps a pause across a restart', async () => {
    // The schedulers run on a clock the test moves: a paused second passes without waiting for it.
    const config = raw([
      { id: 'tick', type: 'health-check', schedule: '* * * * * *', params: { url: target.url('tick') } },
    ]);
    const clock = new FakeClock(Math.ceil(Date.now() / 1000) * 1000 + 500);
    const fired: string[] = [];
    const watch = () => app!.scheduler!.on('fired', (fires) => fired.push(...fires.map((f) => f.jobId)));
    const advance = (ms: number) => clock.advanceTo(clock.now() + ms, () => !app!.scheduler!.busy);
    await start(config, silentLogger, clock);
    watch();
    await advance(1000);
    expect(fired).toEqual(['tick']);
    expect((await call('/api/jobs/tick/pause', { token: TOKENS.boss, body: {} })).status).toBe(200);
    await app!.stop();
    await start(config, silentLogger, clock);
    watch();
    const [job] = (await call('/api/jobs', { token: TOKENS.reader })).json;
    expect(job).toMatchObject({ id: 'tick', paused: true });
    await advance(3000);
    expect(fired).toEqual(['tick']); // three paused seconds: nothing fired
    expect((await call('/api/jobs/tick/resume', { token: TOKENS.boss, body: {} })).status).toBe(200);
    await advance(1000);
    expect(fired).toEqual(['tick', 'tick']);
    await eventually(async () => target.count('tick') >= 2, 'the fire after resume to run');
  });

  it('rejects malformed, oversized and ill-typed input with 400/413/404 naming the problem', async () => {
    await start();
    const malformed = await call('/api/jobs/web/runs', { token: TOKENS.operator, rawBody: '{"params": ' });
    expect(malformed.status).toBe(400);
    const huge = await call('/api/jobs/web/runs', {
      token: TOKENS.operator,
      rawBody: JSON.stringify({ reason: 'x'.repeat(70_000) }),
    });
    expect(huge.status).toBe(413);
    const badParams = await call('/api/jobs/web/runs', {
      token: TOKENS.operator,
      body: { params: { expectStatus: 'two hundred' } },
    });
    expect(badParams).toMatchObject({
      status: 400,
      json: { message: expect.stringContaining('params.expectStatus: "two hundred"') },
    });
    const badKey = await call('/api/jobs/web/runs', { token: TOKENS.operator, body: { parms: {} } });
    expect(badKey).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/^body\.parms: unknown key/) },
    });
    const badQuery = await call('/api/runs?limit=lots', { token: TOKENS.reader });
    expect(badQuery).toMatchObject({ status: 400, json: { message: expect.stringMatching(/^query\.limit: "lots"/) } });
    const unknown = await call('/api/jobs/nope/runs', { token: TOKENS.operator, body: {} });
    expect(unknown).toMatchObject({
      status: 404,
      json: { message: 'unknown job "nope"; configured jobs: web, purge' },
    });
    expect(await listRuns(app!.store.sql, {})).toEqual([]); // nothing was queued by any of them
  });

  it('never shows a canary secret: not in logs, API responses, run rows, audit rows or errors', async () => {
    const canary = 'canary-7f3a9c1e5b';
    process.env.OPSCRON_TEST_CANARY = canary;
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    // The target answers 500 and echoes the request headers, so the secret comes back in the body.
    target.behaviour = { status: 500, echoHeaders: true };
    const dir = tempDir();
    const file = writeConfig(
      dir,
      `
store: { databaseUrl: "${databaseUrl}" }
queue: { redisUrl: "${process.env.OPSCRON_TEST_REDIS_URL}", name: ${queueName} }
http: { port: 0, host: 127.0.0.1, tokens: [{ name: ada, token: ${TOKENS.boss}, scope: admin }] }
jobs:
  - id: secret-check
    type: health-check
    params:
      url: ${target.url('canary')}
      headers: { Authorization: "Bearer \${OPSCRON_TEST_CANARY}" }
`,
    );
    const { loadConfig } = await import('../../src/configure.js');
    const config = await loadConfig({ path: file });
    app = await startOpscron({
      config,
      logger: createLogger({ level: 'debug', destination: sink, pretty: false }),
      metrics: new Metrics(),
    });
    const queued = await call('/api/jobs/secret-check/runs', {
      token: TOKENS.boss,
      body: { reason: `rotating ${canary}`, params: { headers: { Authorization: `Bearer ${canary}` } } },
    });
    expect(queued.status).toBe(202);
    await eventually(
      async () => (await listRuns(app!.store.sql, { job: 'secret-check', status: 'critical' })).length === 1,
      'the run',
    );
    expect(target.count('canary')).toBe(1);
    expect(target.lastHeaders.authorization).toBe(`Bearer ${canary}`); // the secret was really used

    const seen = [
      lines.join(''),
      (await call('/api/jobs', { token: TOKENS.boss })).text,
      (await call('/api/runs?job=secret-check', { token: TOKENS.boss })).text,
      (await call(`/api/runs/${queued.json.runId}`, { token: TOKENS.boss })).text,
      (await call('/api/audit', { token: TOKENS.boss })).text,
      (
        await call('/api/jobs/secret-check/runs', {
          token: TOKENS.boss,
          body: { params: { url: `http://u:${canary}@x/`, bogus: canary } },
        })
      ).text,
      JSON.stringify((await app.store.sql.query('select * from runs')).rows),
      JSON.stringify((await app.store.sql.query('select * from audit_log')).rows),
    ];
    expect(seen[0]).toContain('run critical'); // the log did record the run
    for (const text of seen) expect(text).not.toContain(canary);
    registerSecrets([]);
  });
});
