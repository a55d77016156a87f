/**
 * Regressions of what a hostile request or a bad day did to opscron (issue 14), each
 * reproduced as found and shown fixed, against real PostgreSQL, Redis and HTTP:
 * history that one string could stop, overrides across the privilege line, work without
 * bound, runs left running forever, and the small leaks around them.
 */
import { Queue } from 'bullmq';
import { createServer } from 'node:net';
import { startOpscron, type Opscron } from '../../src/app.js';
import { loadConfig, parseConfig } from '../../src/configure.js';
import { silentLogger, type Logger } from '../../src/observability/logger.js';
import { redact } from '../../src/observability/redact.js';
import { Metrics } from '../../src/observability/metrics.js';
import { redisConnection } from '../../src/queue/bullmq.js';
import { listAudit } from '../../src/store/audit.js';
import { openStore } from '../../src/store/index.js';
import { listRuns, type RunRow } from '../../src/store/runs.js';
import { beat } from '../../src/store/workers.js';
import { runOpscron, tempDir, writeConfig } from '../support/cli.js';
import { FakeClock } from '../support/fake-clock.js';
import { createDatabase } from '../support/services.mjs';
import { eventually, Target } from '../support/target.js';

const TOKENS = {
  reader: 'read-token-0123456789',
  operator: 'trigger-token-0123456789',
  boss: 'admin-token-0123456789',
};
const tokens = [
  { name: 'rita', token: TOKENS.reader, scope: 'read' },
  { name: 'otto', token: TOKENS.operator, scope: 'trigger' },
  { name: 'ada', token: TOKENS.boss, scope: 'admin' },
];

describe('hostile input and bad days', () => {
  let target: Target;
  let databaseUrl: string;
  let app: Opscron | null = null;

  const start = async (
    extra: Record<string, unknown>,
    options: { redis?: boolean; logger?: Logger; clock?: FakeClock } = {},
  ) => {
    const config = parseConfig({
      store: { databaseUrl },
      ...(options.redis
        ? {
            queue: {
              redisUrl: process.env.OPSCRON_TEST_REDIS_URL,
              name: `h${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
            },
          }
        : {}),
      http: { port: 0, host: '127.0.0.1', tokens },
      ...extra,
    });
    app = await startOpscron({
      config,
      logger: options.logger ?? silentLogger,
      metrics: new Metrics(),
      clock: options.clock,
    });
    return app;
  };
  const call = async (
    path: string,
    options: { token?: string; body?: unknown; rawBody?: string; method?: string } = {},
  ) => {
    const hasBody = options.body !== undefined || options.rawBody !== undefined;
    const response = await fetch(`${app!.address}${path}`, {
      method: options.method ?? (hasBody ? 'POST' : 'GET'),
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(hasBody ? { 'content-type': 'application/json' } : {}),
      },
      body: options.rawBody ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined),
    });
    const text = await response.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: response.status, json, text };
  };
  const runsOf = async (job: string, n: number) =>
    eventually(async () => {
      const runs = (await listRuns(app!.store.sql, { job })).filter((r) => r.status !== 'running');
      return runs.length >= n ? runs : null;
    }, `${n} recorded runs of ${job}`);

  beforeEach(async () => {
    target = await new Target().start();
    databaseUrl = await createDatabase('hostile');
  });
  afterEach(async () => {
    await app?.stop();
    app = null;
    await target.stop();
  });

  describe('history that cannot be poisoned', () => {
    it('a lone surrogate in trigger params is recorded (run, audit entry) and everything after it too', async () => {
      await start({ jobs: [{ id: 'web', type: 'health-check', params: { url: target.url('web') } }] });
      // The JSON text \ud800 is a lone surrogate once parsed: jsonb refuses it as it is.
      const poisoned = await call('/api/jobs/web/runs', {
        token: TOKENS.operator,
        rawBody: '{"params":{"json":[{"path":"\\ud800"}]},"reason":"half \\ud83d"}',
      });
      expect(poisoned.status).toBe(202);
      const [first] = await runsOf('web', 1);
      expect(first!.params).toEqual({ json: [{ path: '\ufffd' }] });
      expect(first!.reason).toBe('half \ufffd');
      for (let i = 0; i < 3; i++)
        expect((await call('/api/jobs/web/runs', { token: TOKENS.operator, body: {} })).status).toBe(202);
      expect(await runsOf('web', 4)).toHaveLength(4);
      const audit = await listAudit(app!.store.sql);
      expect(audit.filter((a) => a.action === 'trigger')).toHaveLength(4);
      expect(audit[audit.length - 1]!.params).toEqual({ json: [{ path: '\ufffd' }] });
      expect(app!.store.runLog.backlog).toBe(0);
    });

    it('a health body cut in the middle of an emoji is kept as evidence', async () => {
      target.behaviour = { status: 500, body: `${'a'.repeat(498)}\u{1F600}tail` }; // served as JSON (a quote first): the cut at 500 halves the emoji
      await start({ jobs: [{ id: 'web', type: 'health-check', params: { url: target.url('web') } }] });
      await call('/api/jobs/web/runs', { token: TOKENS.operator, body: {} });
      const [run] = await runsOf('web', 1);
      expect(run).toMatchObject({ status: 'critical' });
      const evidence = (run!.findings[0]!.evidence as { body: string }).body;
      expect(evidence).toMatch(/\ufffd$/);
    });

    it.each(['postgres', 'sqlite'] as const)(
      'a row the store refuses is written with the refused field replaced and a note; the rest go in (%s)',
      async (kind) => {
        const store = await openStore(kind === 'postgres' ? { databaseUrl, path: '' } : { path: 'memory://' });
        try {
          const row = (id: string, extra: Partial<RunRow> = {}): RunRow => ({
            id,
            queueId: id,
            jobId: 'w',
            jobType: 'noop',
            trigger: 'manual',
            scheduledFor: null,
            createdAt: new Date(),
            startedAt: new Date(),
            finishedAt: new Date(),
            attempt: 1,
            status: 'ok',
            summary: 'fine',
            findings: [],
            metrics: { n: 1 },
            error: null,
            params: { a: 1 },
            requestedBy: 'me',
            reason: null,
            worker: 'w1',
            ...extra,
          });
          const told: string[] = [];
          store.runLog.onError = (_e, context) => told.push(`${context.action} ${context.id ?? ''}`);
          // Year 0 is a valid JavaScript date and no PostgreSQL one: the batch is refused for its data.
          const writes = ['r1', 'r2', 'bad', 'r4', 'r5'].map((id) =>
            store.runLog.write(row(id, id === 'bad' ? { scheduledFor: new Date('0000-06-01T00:00:00Z') } : {})),
          );
          await Promise.all(writes);
          const runs = await listRuns(store.sql, { job: 'w' });
          expect(runs.map((r) => r.id).sort()).toEqual(['bad', 'r1', 'r2', 'r4', 'r5']);
          const bad = runs.find((r) => r.id === 'bad')!;
          expect(bad.scheduledFor).toBeNull();
          expect(bad.summary).toMatch(/^history: the store refused (the scheduled_for of )?this run \((22008|23000)/);
          expect(bad.status).toBe('ok');
          expect(runs.find((r) => r.id === 'r4')).toMatchObject({ summary: 'fine', params: { a: 1 } });
          expect(store.runLog.stats).toMatchObject({ repaired: 1, dropped: 0 });
          expect(told).toContain('repaired bad');
          // And the log goes on writing.
          await store.runLog.write(row('after'));
          expect((await listRuns(store.sql, { job: 'w' })).map((r) => r.id)).toContain('after');
        } finally {
          await store.close();
        }
      },
    );
  });

  describe('the trigger boundary', () => {
    const jobs = () => [
      {
        id: 'web',
        type: 'health-check',
        params: { url: target.url('web'), headers: { authorization: 'Bearer service-secret-4711' } },
      },
      { id: 'verify', type: 'backup-verify', params: { database: 'orders' } },
      { id: 'debug', type: 'debug-logging', params: { configMap: 'app', namespace: 'shop' } },
    ];
    const extra = () => ({ databases: [{ name: 'orders', url: databaseUrl }], jobs: jobs() });

    it('a trigger token may tune a run but not retarget it: url, headers, caFile, scratchUrl need admin, audited as an override', async () => {
      await start(extra());
      const listed = await call('/api/jobs', { token: TOKENS.reader });
      const web = listed.json.find((j: { id: string }) => j.id === 'web');
      expect(web.overridable).toEqual(expect.arrayContaining(['expectStatus', 'maxResponseTime', 'json']));
      expect(web.overridable).not.toContain('url');
      expect(listed.json.find((j: { id: string }) => j.id === 'verify').overridable).toEqual(['maxAge']);

      const tuned = await call('/api/jobs/web/runs', {
        token: TOKENS.operator,
        body: { params: { maxResponseTime: '5s', expectStatus: [200, 204] } },
      });
      expect(tuned.status).toBe(202);
      for (const params of [
        { url: 'http://127.0.0.1:9/steal' },
        { headers: { x: 'y' } },
        { caFile: '/etc/shadow' },
        { insecureSkipVerify: true },
      ]) {
        const refused = await call('/api/jobs/web/runs', { token: TOKENS.operator, body: { params } });
        expect(refused.status).toBe(403);
        expect(refused.json).toMatchObject({
          code: 'OPSCRON_FORBIDDEN',
          message: expect.stringMatching(
            new RegExp(`^params\\.${Object.keys(params)[0]}: a trigger token may not override this param`),
          ),
        });
      }
      const exfiltrate = await call('/api/jobs/verify/runs', {
        token: TOKENS.operator,
        body: { params: { scratchUrl: 'postgres://evil.example.com/x' } },
      });
      expect(exfiltrate).toMatchObject({
        status: 403,
        json: { message: expect.stringMatching(/^params\.scratchUrl: .*backup-verify lets a trigger tune: maxAge/) },
      });
      // debug-logging writes to the cluster: destructive, admin only.
      expect(
        (await call('/api/jobs/debug/runs', { token: TOKENS.operator, body: { params: { confirm: true } } })).status,
      ).toBe(403);

      const admin = await call('/api/jobs/web/runs', {
        token: TOKENS.boss,
        body: { params: { url: target.url('admin') }, reason: 'probe the canary' },
      });
      expect(admin.status).toBe(202);
      await eventually(async () => target.count('admin') > 0, 'the admin override to reach its target');
      const audit = await listAudit(app!.store.sql);
      expect(audit.find((a) => a.action === 'trigger-override')).toMatchObject({
        actor: 'ada',
        jobId: 'web',
        reason: 'probe the canary',
      });
      expect(target.count('web')).toBe(1); // only the tuned run; no refused one ran
    });

    it('a raw BullMQ producer may tune but not retarget, cannot claim a source to skip the audit, and a scheduled fire carries no params', async () => {
      await start(extra(), { redis: true });
      const producer = new Queue(app!.config.queue.name, {
        connection: redisConnection(process.env.OPSCRON_TEST_REDIS_URL!, false),
      });
      try {
        await producer.add(
          'web',
          { params: { url: 'http://127.0.0.1:9/steal' }, requestedBy: 'mallory' },
          { jobId: 'web__p1' },
        );
        await producer.add(
          'web',
          { params: { maxResponseTime: 5000 }, requestedBy: 'mallory', source: 'api' },
          { jobId: 'web__p2' },
        );
        await producer.add(
          'web',
          { params: { expectStatus: [500] }, trigger: 'schedule', requestedBy: 'scheduler' },
          { jobId: 'web__p3' },
        );
        const runs = await runsOf('web', 3);
        const byId = new Map(runs.map((r) => [r.id, r]));
        expect(byId.get('web__p1')).toMatchObject({
          status: 'failed',
          error: expect.stringMatching(/^params\.url: a queue producer may not override this param/),
        });
        expect(byId.get('web__p2')).toMatchObject({ status: 'ok' });
        expect(byId.get('web__p3')).toMatchObject({
          status: 'failed',
          error: expect.stringMatching(/a schedule fire runs the job as configured and carries no params/),
        });
        const audit = await eventually(async () => {
          const entries = await listAudit(app!.store.sql);
          return entries.length ? entries : null;
        }, 'the audit entry of the tuned run');
        expect(audit).toEqual([
          expect.objectContaining({ actor: 'mallory', source: 'queue', action: 'trigger', jobId: 'web' }),
        ]);
        expect(target.count('web')).toBe(1);
      } finally {
        await producer.close();
      }
    });
  });

  describe('bounded work', () => {
    it('a catastrophic regular expression runs in linear time; one a linear engine cannot run is refused', async () => {
      target.behaviour = { headers: { 'x-version': `${'a'.repeat(40)}!` } };
      await start({ jobs: [{ id: 'web', type: 'health-check', params: { url: target.url('web') } }] });
      const started = performance.now();
      const ok = await call('/api/jobs/web/runs', {
        token: TOKENS.operator,
        body: { params: { expectHeaders: [{ name: 'x-version', matches: '^(a+)+$' }] } },
      });
      expect(ok.status).toBe(202);
      const [run] = await runsOf('web', 1);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(run).toMatchObject({ status: 'critical', findings: [expect.objectContaining({ check: 'http.header' })] });
      const refused = await call('/api/jobs/web/runs', {
        token: TOKENS.operator,
        body: { params: { expectHeaders: [{ name: 'x-version', matches: '(a)\\1' }] } },
      });
      expect(refused).toMatchObject({
        status: 400,
        json: {
          message: expect.stringMatching(
            /params\.expectHeaders\[0\]\.matches: .*RE2 syntax, which runs in linear time/,
          ),
        },
      });
    });

    it('refuses params nested without bound, oversized strings and report periods beyond a year, naming the field', async () => {
      await start({ jobs: [{ id: 'web', type: 'health-check', params: { url: target.url('web') } }] });
      let deep = '1';
      for (let i = 0; i < 10_000; i++) deep = `{"a":${deep}}`;
      const nested = await call('/api/jobs/web/runs', {
        token: TOKENS.operator,
        rawBody: `{"params":{"json":${deep}}}`,
      });
      expect(nested).toMatchObject({
        status: 400,
        json: {
          message: expect.stringMatching(/^body\.params\.json\.a\.a\.a\.a\.a\.a\.a: .*nested deeper than 8 levels/),
        },
      });
      const long = await call('/api/jobs/web/runs', {
        token: TOKENS.operator,
        body: { params: { json: [{ path: 'x'.repeat(10_000) }] } },
      });
      expect(long).toMatchObject({
        status: 400,
        json: {
          message: expect.stringMatching(/body\.params\.json\[0\]\.path: .*10000 characters long; at most 8192/),
        },
      });
      const forever = await call('/api/reports', { token: TOKENS.operator, body: { kind: 'health', period: 8e15 } });
      expect(forever).toMatchObject({
        status: 400,
        json: { message: expect.stringMatching(/body\.period: .*at most/) },
      });
      const started = performance.now();
      const centuries = await call('/api/reports', {
        token: TOKENS.operator,
        body: { kind: 'health', from: '1826-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' },
      });
      expect(centuries).toMatchObject({
        status: 400,
        json: { code: 'OPSCRON_BAD_PERIOD', message: expect.stringMatching(/a report covers at most 366 days/) },
      });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(target.count('web')).toBe(0);
    });

    it('reports asked for through the API never push scheduled ones out of retention', async () => {
      await start({
        reports: { maxCount: 2, maxAdhoc: 1 },
        jobs: [{ id: 'daily', type: 'health-report', params: { email: false } }],
      });
      for (let i = 1; i <= 2; i++) {
        await call('/api/jobs/daily/runs', { token: TOKENS.operator, body: {} });
        await runsOf('daily', i);
      }
      for (let i = 0; i < 3; i++)
        expect((await call('/api/reports', { token: TOKENS.operator, body: { kind: 'health' } })).status).toBe(201);
      const { json } = await call('/api/reports?kind=health', { token: TOKENS.reader });
      expect(json.reports.filter((r: { runId: string | null }) => r.runId !== null)).toHaveLength(2);
      expect(json.reports.filter((r: { runId: string | null }) => r.runId === null)).toHaveLength(1);
    });
  });

  describe('runs left running', () => {
    it('with PostgreSQL and the in-process queue, a run whose worker stopped beating is closed as failed by the next worker', async () => {
      const store = await openStore({ databaseUrl, path: '' });
      const lost = new Date(Date.now() - 3_600_000);
      await beat(store.sql, 'gone-host:1:abcd', lost, lost);
      await store.runLog.write({
        id: 'cut-off',
        queueId: 'cut-off',
        jobId: 'web',
        jobType: 'health-check',
        trigger: 'manual',
        scheduledFor: null,
        createdAt: lost,
        startedAt: lost,
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
        worker: 'gone-host:1:abcd',
      });
      await store.close();
      const clock = new FakeClock(Date.now());
      await start({ jobs: [{ id: 'web', type: 'health-check', params: { url: target.url('web') } }] }, { clock });
      const [run] = await listRuns(app!.store.sql, { job: 'web' });
      expect(run).toMatchObject({
        id: 'cut-off',
        status: 'failed',
        error: expect.stringMatching(
          /^worker gone-host:1:abcd stopped while this run was in progress \(no heartbeat for 60 s\)/,
        ),
      });
      // A live worker's running run is left alone, until its heartbeat is older than the lease.
      await beat(app!.store.sql, 'busy-host:2:beef', new Date(clock.now()), new Date(clock.now()));
      await app!.store.runLog.write({
        ...run!,
        id: 'busy',
        queueId: 'busy',
        status: 'running',
        error: null,
        finishedAt: null,
        worker: 'busy-host:2:beef',
      });
      // Each heartbeat step runs to its end (it sets its next timer) before the clock moves on.
      const busy = async () => (await listRuns(app!.store.sql, { job: 'web' })).find((r) => r.id === 'busy');
      await clock.advanceTo(clock.now() + app!.worker!.leaseMs / 2, () => false);
      expect(await busy()).toMatchObject({ status: 'running' });
      await clock.advanceTo(clock.now() + app!.worker!.leaseMs, () => false);
      expect(await busy()).toMatchObject({
        status: 'failed',
        error: expect.stringMatching(/^worker busy-host:2:beef stopped/),
      });
    });
  });

  describe('the API and start', () => {
    it('checks the matched route, not the raw URL, and the scope before the job: nothing leaks to a caller without one', async () => {
      await start({ jobs: [{ id: 'secret-job-name', type: 'health-check', params: { url: target.url('web') } }] });
      const encoded = await call('/%61pi/jobs/secret-job-name/runs', { body: {} });
      expect(encoded.status).toBe(401);
      expect(target.count('web')).toBe(0);
      const unknown = await call('/api/jobs/nope/runs', { body: {} });
      expect(unknown.status).toBe(401);
      const reader = await call('/api/jobs/nope/runs', { token: TOKENS.reader, body: {} });
      expect(reader.status).toBe(403);
      expect(reader.text).not.toContain('secret-job-name');
      expect((await call('/nothing-here')).status).toBe(404);
    });

    it('redacts secrets, not ports: a port interpolated into a URL stays readable, the URL password does not', async () => {
      const dir = tempDir();
      const file = writeConfig(
        dir,
        'http:\n  port: ${PORT}\nservices:\n  - name: self\n    url: http://127.0.0.1:${PORT}\n    dependencies: ["postgres://app:${DB_PASSWORD}@127.0.0.1:5432/app"]\n',
      );
      const config = await loadConfig({ path: file, env: { PORT: '18555', DB_PASSWORD: 'pw-hostile-4711' } });
      expect(redact(`listening on http://127.0.0.1:18555 for ${config.services[0]!.url}`)).toBe(
        'listening on http://127.0.0.1:18555 for http://127.0.0.1:18555',
      );
      expect(redact('connect to app with pw-hostile-4711 failed')).toBe('connect to app with *** failed');
    });

    it('does not repeat a literal token from the configuration in its error', async () => {
      const dir = tempDir();
      const file = writeConfig(dir, { http: { tokens: [{ name: 'ci', token: 'tiny-tok', scope: 'admin' }] } });
      const result = await runOpscron(['validate', '--config', file], { cwd: dir });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/http\.tokens\[0\]\.token: \(hidden\) — must be at least 16 characters/);
      expect(result.stderr).not.toContain('tiny-tok');
    });

    it('start on a port that is taken exits 3 at once instead of running on as a headless worker', async () => {
      const dir = tempDir();
      const busy = createServer().listen(0, '127.0.0.1');
      await new Promise((r) => busy.once('listening', r));
      const port = (busy.address() as { port: number }).port;
      try {
        const file = writeConfig(dir, { jobs: [{ id: 'tick', type: 'noop', schedule: '* * * * * *' }] });
        const result = await runOpscron(['start', '--config', file], { cwd: dir, env: { PORT: String(port) } });
        expect(result.code).toBe(3);
        expect(result.stderr).toMatch(/EADDRINUSE/);
      } finally {
        busy.close();
      }
    });
  });
});
