/**
 * The standing hostile-input suite: property-based fuzzing (fast-check) of everything a
 * request can hand opscron — API bodies and paths, trigger params of every job type, raw
 * BullMQ payloads, CLI --set and configuration YAML — against one real `opscron start`
 * (a child process: HTTP, BullMQ on Redis, PostgreSQL). The invariants an operator relies on:
 *   - no 5xx, no crash, no exception other than opscron's own, clearly worded ones;
 *   - the history writer never stops: every accepted run ends in exactly one final row,
 *     and a run after the storm is still recorded;
 *   - opscron's event loop never stalls for 500 ms (its own nodejs_eventloop_lag_max_seconds,
 *     read from /metrics after each phase);
 *   - the canary secrets (the API token, a database password, the encryption key, a
 *     service's Authorization header) appear in no response, log line, run or audit row.
 * Seeds are fixed (see SEED below) and printed on failure by fast-check; the number of
 * cases keeps the file within seconds.
 */
import { Queue } from 'bullmq';
import fc from 'fast-check';
import YAML from 'yaml';
import { parseSets } from '../../src/cli/params.js';
import { loadConfig, parseConfig } from '../../src/configure.js';
import type { OpscronConfig } from '../../src/config/schema.js';
import { OpscronError } from '../../src/errors.js';
import { jobTypes } from '../../src/jobs/index.js';
import { redisConnection } from '../../src/queue/bullmq.js';
import { openStore, type Store } from '../../src/store/index.js';
import { spawnOpscron, tempDir, writeConfig, type Running } from '../support/cli.js';
import { createDatabase, freePort } from '../support/services.mjs';
import { eventually, Target } from '../support/target.js';

const CANARY = {
  apiToken: 'canary-admin-token-7f3e9a1c55',
  dbPassword: 'canary-db-password-0b8d2e',
  encryptionKey: 'canary-encryption-key-4c1a9f7e3d2b',
  header: 'canary-service-header-93ab17',
};
/**
 * Fixed seeds in CI (the same cases every run); OPSCRON_FUZZ_SEED=<n> or =random and
 * OPSCRON_FUZZ_SCALE=<factor> hunt further (`npm run fuzz`). A failure prints its seed.
 */
const SEED =
  process.env.OPSCRON_FUZZ_SEED === 'random' ? Date.now() % 1_000_000 : Number(process.env.OPSCRON_FUZZ_SEED ?? 0);
const SCALE = Number(process.env.OPSCRON_FUZZ_SCALE ?? 1);
const runs = (numRuns: number, seed: number) => ({ numRuns: Math.round(numRuns * SCALE), seed: SEED + seed });

const TRIGGER_TOKEN = 'fuzz-trigger-token-0123456789';
const READ_TOKEN = 'fuzz-read-token-0123456789';

/** Strings as an attacker writes them: lone surrogates, NUL, COPY's special characters, any code point. */
const nasty = fc.string({
  maxLength: 40,
  unit: fc.oneof(
    fc.constantFrom(
      '\ud800',
      '\udfff',
      '\u0000',
      '\\',
      '\t',
      '\n',
      '\r',
      '\\N',
      '"',
      "'",
      '${X}',
      '*',
      '%',
      '/',
      '..',
      '\u{1F600}',
    ),
    fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
});
/** JSON values of every shape, with those strings in them. */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nasty,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(
      8e15,
      -1,
      0,
      1e308,
      2 ** 53 + 1,
      '5s',
      '0ms',
      '99999d',
      'http://169.254.169.254/',
      'postgres://x@evil/y',
      '/etc/passwd',
      '/dev/zero',
      '(a+)+$',
      '^(a|aa)+$',
    ),
    fc.array(tie('any'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(nasty, fc.constantFrom('__proto__', 'constructor', 'confirm', 'params', 'url')),
      tie('any'),
      { maxKeys: 4 },
    ),
  ),
})).any;

describe('fuzzing what a request can hand opscron', () => {
  let target: Target;
  let child: Running;
  let address: string;
  let config: OpscronConfig;
  let store: Store;
  let producer: Queue;
  const responses: string[] = [];
  const accepted = new Set<string>();
  const queued = new Set<string>();
  /** The longest event-loop stall opscron reported since it started (max over the /metrics reads). */
  let stallMs = 0;

  beforeAll(async () => {
    target = await new Target().start();
    const databaseUrl = await createDatabase('fuzz');
    const dir = tempDir();
    // One job per type that runs quickly here; targets from config, two-second timeouts.
    const jobs = [
      {
        id: 'web',
        type: 'health-check',
        params: { url: target.url('web'), headers: { authorization: `Bearer ${CANARY.header}` } },
      },
      { id: 'slow', type: 'latency-check', params: { service: 'shop', source: 'probe', probes: 5 } },
      { id: 'errors', type: 'error-rate', params: { service: 'shop', source: 'scrape', window: '100ms' } },
      { id: 'db', type: 'db-health', params: { database: 'app' } },
      { id: 'queries', type: 'query-analysis', params: { database: 'app' } },
      { id: 'cache', type: 'cache-health', params: { cache: 'queue' } },
      { id: 'breakers', type: 'reset-breakers', params: {} },
      { id: 'pods', type: 'resource-usage', params: { namespace: 'shop' } },
      { id: 'logs', type: 'log-analysis', params: { namespace: 'shop', labelSelector: 'app=shop' } },
      { id: 'audit', type: 'audit-review', params: { sections: ['operations'] } },
      { id: 'backup', type: 'db-backup', params: { database: 'unreachable' } },
      { id: 'verify', type: 'backup-verify', params: { database: 'unreachable' } },
      { id: 'tick', type: 'noop', params: {} },
      { id: 'flush', type: 'cache-clear', params: { cache: 'queue', pattern: 'nothing-matches-this:*' } },
    ].map((j) => ({ ...j, timeout: '2s' }));
    const raw = {
      store: { databaseUrl: '${FUZZ_DATABASE_URL}' },
      queue: { redisUrl: process.env.OPSCRON_TEST_REDIS_URL, name: `fuzz${Date.now().toString(36)}`, concurrency: 20 },
      http: {
        host: '127.0.0.1',
        tokens: [
          { name: 'rita', token: READ_TOKEN, scope: 'read' },
          { name: 'otto', token: TRIGGER_TOKEN, scope: 'trigger' },
        ],
      },
      services: [
        { name: 'shop', url: target.url('shop').replace(/\/health.*$/, ''), breakerResetPath: '/admin/reset-breakers' },
      ],
      databases: [
        { name: 'app', url: databaseUrl },
        { name: 'unreachable', url: `postgres://fuzz:${CANARY.dbPassword}@127.0.0.1:1/nothing` },
      ],
      caches: [{ name: 'queue', url: process.env.OPSCRON_TEST_REDIS_URL }],
      backups: { path: `${dir}/backups` },
      reports: { path: `${dir}/reports` },
      jobs,
    };
    const file = writeConfig(dir, raw);
    const env = {
      FUZZ_DATABASE_URL: databaseUrl,
      OPSCRON_API_TOKEN: CANARY.apiToken,
      OPSCRON_ENCRYPTION_KEY: CANARY.encryptionKey,
    };
    config = await loadConfig({ path: file, env });
    const port = await freePort();
    child = spawnOpscron(['start', '--config', file], {
      cwd: dir,
      env: { ...env, PORT: String(port), LOG_LEVEL: 'debug' },
    });
    address = `http://127.0.0.1:${port}`;
    await eventually(
      async () => child.output().includes('opscron started') || child.child.exitCode !== null,
      'opscron to start',
      30_000,
    );
    expect(child.child.exitCode).toBeNull();
    store = await openStore({ databaseUrl, path: '' });
    // The lag counts from the start, and starting (modules compiled, routes' schemas built)
    // blocks the loop for itself: ~130 ms on Node 24 here, more under load. That is not the
    // storm's doing; this read resets it, so the phases below measure only their own stalls.
    await metric('nodejs_eventloop_lag_max_seconds');
    producer = new Queue(config.queue.name, {
      connection: redisConnection(process.env.OPSCRON_TEST_REDIS_URL!, false),
    });
  });

  afterAll(async () => {
    await producer?.close();
    await store?.close();
    if (child) expect(await child.stop()).toBe(0); // and SIGTERM after the storm is a clean exit
    await target?.stop();
  });

  /** opscron's own metrics: the event-loop lag since the last read (prom-client resets it per scrape), history health. */
  const metric = async (name: string, labels = ''): Promise<number> => {
    const text = await (await fetch(`${address}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
    return line ? Number(line.split(' ')[1]) : Number.NaN;
  };
  afterEach(async () => {
    stallMs = Math.max(stallMs, (await metric('nodejs_eventloop_lag_max_seconds')) * 1000);
  });

  const call = async (method: string, path: string, token: string | null, body?: string) => {
    const response = await fetch(`${address}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body,
    });
    const text = await response.text();
    responses.push(text);
    return { status: response.status, text };
  };
  const tokens = fc.constantFrom<string | null>(
    null,
    READ_TOKEN,
    TRIGGER_TOKEN,
    CANARY.apiToken,
    'not-a-token-at-all-000',
  );
  const jobIds = () => fc.oneof(fc.constantFrom(...config.jobs.map((j) => j.id)), nasty);
  const inPath = (s: string) => encodeURIComponent(s.toWellFormed());

  it('API: any body, path, query and token gets an answer below 500, and every accepted trigger is recorded', async () => {
    const request = fc.record({
      token: tokens,
      job: jobIds(),
      route: fc.constantFrom('runs', 'pause', 'resume'),
      body: fc.oneof(
        value.map((v) => JSON.stringify(v) ?? 'null'),
        fc.record({ params: value, reason: fc.option(nasty, { nil: undefined }) }).map((v) => JSON.stringify(v)),
        nasty,
      ),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ token, job, route, body }) => {
        const { status, text } = await call('POST', `/api/jobs/${inPath(job)}/${route}`, token, body);
        expect(status).toBeLessThan(500);
        if (status === 202) accepted.add(JSON.parse(text).runId as string);
      }),
      runs(400, 14),
    );
    const reads = fc.record({
      token: tokens,
      path: fc.constantFrom(
        '/api/runs',
        '/api/audit',
        '/api/backups',
        '/api/reports',
        '/api/incidents',
        '/api/jobs',
        '/api/runs/',
        '/api/reports/',
        '/api/incidents/',
      ),
      query: nasty,
    });
    await fc.assert(
      fc.asyncProperty(reads, async ({ token, path, query }) => {
        const suffix = path.endsWith('/')
          ? inPath(query)
          : `?${inPath(query).replace(/%3D/g, '=').replace(/%26/g, '&')}`;
        expect((await call('GET', `${path}${suffix}`, token)).status).toBeLessThan(500);
      }),
      runs(200, 15),
    );
    const reports = fc.record({
      token: tokens,
      body: fc.record({
        kind: fc.constantFrom('health', 'performance', 'incident', 'nope'),
        period: fc.option(fc.oneof(fc.integer(), fc.double(), fc.constant(8e15)), { nil: undefined }),
        from: fc.option(fc.oneof(nasty, fc.constant('0001-01-01T00:00:00Z')), { nil: undefined }),
        email: fc.boolean(),
      }),
    });
    await fc.assert(
      fc.asyncProperty(reports, async ({ token, body }) => {
        expect((await call('POST', '/api/reports', token, JSON.stringify(body))).status).toBeLessThan(500);
      }),
      runs(25, 16),
    );
  });

  it('trigger params of every job type: tuned runs run and are recorded; anything else is refused with a 4xx naming the field', async () => {
    const byJob = config.jobs.map((job) => {
      const definition = jobTypes.get(job.type)!;
      const keys = [...definition.overridable, 'confirm', 'url', 'database'];
      return fc.record({
        job: fc.constant(job.id),
        params: fc.dictionary(fc.constantFrom(...keys), value, { maxKeys: 3 }),
        token: fc.constantFrom(TRIGGER_TOKEN, CANARY.apiToken),
      });
    });
    await fc.assert(
      fc.asyncProperty(fc.oneof(...byJob), async ({ job, params, token }) => {
        const { status, text } = await call(
          'POST',
          `/api/jobs/${job}/runs`,
          token,
          JSON.stringify({ params, reason: 'fuzz' }),
        );
        expect([202, 400, 403]).toContain(status);
        if (status === 202) accepted.add(JSON.parse(text).runId as string);
        else expect(JSON.parse(text).message).toMatch(/params|destructive|confirm|body/i);
      }),
      runs(400, 17),
    );
  });

  it('raw BullMQ payloads: every job a producer adds ends as exactly one run, whatever its name and data', async () => {
    const payload = fc.record({
      name: jobIds(),
      data: fc.oneof(
        value,
        fc.record(
          {
            params: value,
            trigger: fc.oneof(fc.constantFrom('schedule', 'manual', 'catch-up', 'retry'), nasty),
            requestedBy: fc.oneof(nasty, fc.constant('')),
            attempt: fc.oneof(fc.integer(), fc.double()),
            scheduledFor: fc.oneof(
              nasty,
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            ),
            source: fc.constantFrom('api', 'cli', 'incident', 'queue', 'x'),
            grant: fc.oneof(nasty, fc.stringMatching(/^[A-Za-z0-9_-]{43}$/)),
          },
          { requiredKeys: [] },
        ),
      ),
    });
    let n = 0;
    await fc.assert(
      fc.asyncProperty(payload, async ({ name, data }) => {
        const id = `fuzz__q${n++}`;
        await producer.add(name.replace(/:/g, '_') || 'x', data as object, { jobId: id });
        queued.add(id);
      }),
      runs(300, 18),
    );
  });

  /** The test's own synchronous loops are no stall of opscron's: the monitor pauses for them. */

  it('CLI --set: any argument is parsed or refused with an OpscronError naming it', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            nasty,
            fc.tuple(nasty, nasty).map(([k, v]) => `${k}=${v}`),
            fc.constantFrom('a.b.c=[[[[[[', '__proto__.x=1', 'x=&a [*a, *a]', 'x=!!js/function f'),
          ),
          { maxLength: 4 },
        ),
        (sets) => {
          try {
            const params = parseSets(sets);
            expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
            expect(({} as Record<string, unknown>).x).toBeUndefined(); // nothing polluted
          } catch (error) {
            expect(error).toBeInstanceOf(OpscronError);
            expect((error as Error).message).toMatch(/^--set /);
          }
        },
      ),
      runs(500, 19),
    );
  });

  it('configuration: any document is a configuration or a ConfigError naming paths — never a crash, never a token repeated', async () => {
    const base = {
      http: { tokens: [{ name: 'ci', token: 'x' }] },
      jobs: [{ id: 'web', type: 'health-check', params: { url: 'http://127.0.0.1:9/' } }],
    };
    const mutated = fc.record({
      path: fc.constantFrom(
        'http',
        'jobs',
        'timezone',
        'store',
        'queue',
        'services',
        'incidents',
        'reports',
        'databases',
      ),
      at: value,
    });
    fc.assert(
      fc.property(
        fc.oneof(
          value,
          mutated.map(({ path, at }) => ({ ...base, [path]: at })),
        ),
        (doc) => {
          try {
            parseConfig(doc);
          } catch (error) {
            expect((error as Error).name).toBe('ConfigError');
          }
        },
      ),
      runs(300, 20),
    );
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          nasty,
          value.map((v) => YAML.stringify(v)),
        ),
        async (text) => {
          const file = writeConfig(
            dir,
            `${text}\nhttp: { tokens: [{ name: a, token: ${JSON.stringify(CANARY.apiToken.slice(0, 10))}, scope: admin }] }\n`,
          );
          try {
            await loadConfig({ path: file, env: {} });
          } catch (error) {
            expect((error as Error).name).toBe('ConfigError');
            expect((error as Error).message).not.toContain(CANARY.apiToken.slice(0, 10));
          }
        },
      ),
      runs(150, 21),
    );
  });

  it('afterwards: every accepted run and every queued payload has exactly one final row, the writer still writes, nothing stalled, no canary anywhere', async () => {
    const expected = new Set([...accepted, ...queued]);
    // The storm reached the runs: some were accepted and ran to each kind of end.
    expect(accepted.size).toBeGreaterThan(40);
    const rows = await eventually(
      async () => {
        const { rows } = await store.sql.query<{ id: string; queue_id: string | null; status: string }>(
          'select id, queue_id, status from runs',
        );
        const finals = rows.filter((r) => r.status !== 'running');
        const covered = new Set(finals.map((r) => r.queue_id ?? r.id));
        return [...expected].every((id) => covered.has(id)) ? finals : null;
      },
      'a final row for every accepted run and queued payload',
      60_000,
    );
    for (const id of expected) expect(`${id}: ${rows.filter((r) => r.id === id).length}`).toBe(`${id}: 1`);
    // The storm reached the runs: many were accepted, and they ran to each kind of end.
    expect(accepted.size).toBeGreaterThan(40);
    const statuses = new Set(rows.map((r) => r.status));
    for (const status of ['ok', 'critical', 'failed']) expect(statuses).toContain(status);
    await eventually(async () => (await metric('opscron_history_backlog_rows')) === 0, 'no run rows waiting');
    expect(await metric('opscron_history_write_errors_total', '{log="runs",outcome="dropped"}')).toBe(0);

    // The writer is alive: one more run, recorded.
    const after = await call('POST', '/api/jobs/tick/runs', TRIGGER_TOKEN, '{}');
    expect(after.status).toBe(202);
    const runId = JSON.parse(after.text).runId as string;
    await eventually(
      async () =>
        (await store.sql.query('select 1 from runs where id = $1 and status = $2', [runId, 'ok'])).rows.length === 1,
      'the run after the storm',
    );

    // opscron's event loop never stalled 500 ms (its own measure, read after every phase). Alone
    // the worst is 13-68 ms; on two cores shared with other suites the scheduler alone has held
    // it 230-300 ms. What this guards against — a statement, a regex or a sort that blocks the
    // loop on hostile input — takes seconds at these sizes, so 500 ms still catches it.
    stallMs = Math.max(stallMs, (await metric('nodejs_eventloop_lag_max_seconds')) * 1000);
    expect(stallMs).toBeLessThan(500);

    const dump = async (table: string) =>
      (await store.sql.query<{ t: string | null }>(`select string_agg(x::text, E'\\n') as t from ${table} x`)).rows[0]!
        .t ?? '';
    const everything = [await dump('runs'), await dump('audit_log'), child.output(), ...responses].join('\n');
    for (const [name, secret] of Object.entries(CANARY))
      expect(`${name}: ${everything.includes(secret)}`).toBe(`${name}: false`);
    // The canaries are live, not absent by accident: the service's header reached it, and the token works.
    let seen: unknown;
    target.onRequest = (job) => {
      if (job === 'web') seen = target.lastHeaders.authorization;
    };
    expect((await call('POST', '/api/jobs/web/runs', CANARY.apiToken, '{}')).status).toBe(202);
    await eventually(async () => seen === `Bearer ${CANARY.header}`, 'the service header at the service');
  });
});
