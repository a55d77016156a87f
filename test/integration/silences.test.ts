/**
 * Silences and maintenance windows on both stores, through the HTTP API, on a clock the
 * test moves: a silenced signal still opens and records its incident (the timeline says
 * which silence and why), but nobody is notified and no remediation runs; when the silence
 * ends with the incident still open it is told once and its remediation starts; a window on a cron schedule mutes only
 * inside its windows; the scopes, the bounds and the audit log.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { parseConfig } from '../../src/configure.js';
import type { OpscronConfig } from '../../src/config/schema.js';
import { buildServer } from '../../src/http/server.js';
import { IncidentManager } from '../../src/incidents/manager.js';
import { jobFeeds } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { InlineQueue } from '../../src/queue/inline.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { RunRow } from '../../src/store/runs.js';
import { runOpscron, tempDir, writeConfig } from '../support/cli.js';
import { createDatabase } from '../support/services.mjs';

const tokens = [
  { name: 'dashboard', token: 'read-token-0123456789abcdef', scope: 'read' as const },
  { name: 'alice', token: 'trigger-token-0123456789abcd', scope: 'trigger' as const },
];

describe.each([
  ['PostgreSQL', async () => ({ databaseUrl: await createDatabase('silences') })],
  ['SQLite', async () => ({ path: join(tempDir('silences-db-'), 'db') })],
] as const)('silences on %s', (_name, storeOptions) => {
  let store: Store;
  let config: OpscronConfig;
  let manager: IncidentManager;
  let server: FastifyInstance;
  let base: string;
  // Tuesday 1 December 2026, 10:00 UTC.
  let clock = Date.parse('2026-12-01T10:00:00Z');
  let n = 0;

  beforeAll(async () => {
    const where = await storeOptions();
    config = parseConfig({
      store: where,
      reports: { path: tempDir('silences-reports-'), recipients: { incident: ['oncall@example.com'] } },
      http: { port: 0, tokens },
      services: [{ name: 'cart', url: 'http://cart.internal' }],
      jobs: [
        { id: 'cart-errors', type: 'error-rate', params: { service: 'cart' } },
        { id: 'cart-reset', type: 'reset-breakers', params: { services: ['cart'] } },
      ],
      incidents: {
        openAfter: 2,
        resolveAfter: 2,
        verify: false,
        renotify: '1m',
        remediation: { cart: [{ job: 'cart-reset', timeout: '1s' }] },
      },
      silences: { maxDuration: '2d' },
    });
    store = await openStore({ path: 'unused', ...where });
    const queue = new InlineQueue();
    manager = new IncidentManager({
      config,
      store,
      queue,
      logger: silentLogger,
      feeds: jobFeeds,
      // Waits (remediation polling its run) pass on the test's clock, at once.
      clock: {
        now: () => clock,
        setTimeout: (fn: () => void, ms: number) => {
          clock += ms;
          return setTimeout(fn, 0);
        },
        clearTimeout: (handle: unknown) => clearTimeout(handle as NodeJS.Timeout),
      },
    });
    server = buildServer({
      config,
      store,
      queue,
      metrics: new Metrics(),
      scheduler: null,
      worker: null,
      logger: silentLogger,
      feeds: jobFeeds,
      now: () => clock,
    });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server.close();
    await manager.stop();
    await store.close();
  });

  /** Runs of cart-errors, one a minute: x critical, . ok. */
  const feed = async (outcomes: string) => {
    const job = config.jobs[0]!;
    for (const o of outcomes) {
      clock += 60_000;
      const row = {
        id: `run${++n}`,
        jobId: job.id,
        jobType: job.type,
        status: o === 'x' ? 'critical' : 'ok',
        summary: o === 'x' ? 'cart: 5.00 % 5xx' : 'fine',
        findings: [],
        params: null,
        finishedAt: new Date(clock),
      } as unknown as RunRow;
      manager.observe(row, job);
      await manager.idle();
    }
  };
  const openIncident = async () => (await store.incidents.list({ status: 'open', limit: 5 }))[0]?.id as string;
  const call = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const kinds = async (id: string) => (await store.incidents.events(id)).map((e) => e.kind as string);

  it('refuses a read token and bad silences, naming the field', async () => {
    const body = { matchers: ['service=cart'], duration: '1h', reason: 'db upgrade' };
    expect((await call('POST', '/api/silences', tokens[0]!.token, body)).status).toBe(403);
    const cases: Array<[unknown, RegExp]> = [
      [{ ...body, matchers: ['team=core'] }, /matcher "team=core": name "team" is not one of service, signal/],
      [{ ...body, matchers: ['service=~c.*('] }, /must be a regular expression in RE2 syntax/],
      [{ ...body, matchers: ['service=~.*'] }, /service=~".\*" matches any service .*too wide/],
      [{ ...body, duration: '3d' }, /endsAt: the silence would last 3d; at most 2d/],
      [{ matchers: ['service=cart'], reason: 'x' }, /endsAt: give endsAt or a duration/],
      [{ ...body, reason: undefined }, /body.reason/],
      [{ ...body, schedule: '0 2 * * *', duration: '2h', timeZone: 'Nowhere/Else' }, /timeZone: "Nowhere\/Else"/],
      [{ ...body, extra: 1 }, /extra/],
    ];
    for (const [bad, message] of cases) {
      const answer = await call('POST', '/api/silences', tokens[1]!.token, bad);
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { message: string }).message).toMatch(message);
    }
    expect(await store.silences.list({ now: new Date(clock), all: true })).toEqual([]);
  });

  it('keeps the incident and its runs but tells nobody and remediates nothing; tells once when the silence ends', async () => {
    const made = await call('POST', '/api/silences', tokens[1]!.token, {
      matchers: ['service=cart', 'signal=error-rate'],
      duration: '1h',
      reason: 'db upgrade',
    });
    expect(made.status).toBe(201);
    const silence = (await made.json()) as { id: string; state: string; createdBy: string };
    expect(silence).toMatchObject({ state: 'active', createdBy: 'alice' });
    const listed = (await (await call('GET', '/api/silences', tokens[0]!.token)).json()) as { silences: unknown[] };
    expect(listed.silences).toHaveLength(1);

    await feed('xx');
    const id = await openIncident();
    expect(id).toBeDefined();
    const events = await store.incidents.events(id);
    expect(events.find((e) => e.kind === 'silenced')?.message).toMatch(
      new RegExp(`^silenced by ${silence.id}: db upgrade \\(until `),
    );
    expect(await kinds(id)).not.toContain('remediation-started');
    expect(await store.deliveries.ofIncident(id)).toEqual([]);
    expect(await store.incidents.get(id)).toMatchObject({ silencedBy: silence.id, notifiedAt: null });

    // Still failing while silenced: more runs recorded on the timeline, still nobody told.
    await feed('xxx');
    expect(await manager.followUps.runOnce()).toBe(0);
    expect(await store.deliveries.ofIncident(id)).toEqual([]);
    expect((await kinds(id)).filter((k) => k === 'check').length).toBe(3);

    // The silence ends, the incident is still open: told now, once.
    clock += 60 * 60_000;
    const toldAt = clock;
    expect(await manager.followUps.runOnce()).toBe(1);
    expect(await manager.followUps.runOnce()).toBe(0);
    const told = await store.deliveries.ofIncident(id);
    expect(told.map((d) => d.key)).toEqual([`${id}/opened/reports.recipients.incident`]);
    expect(await kinds(id)).toEqual(expect.arrayContaining(['unsilenced', 'notified']));
    // And the remediation the silence held back starts now, once.
    await manager.idle();
    const after = await kinds(id);
    expect(after.filter((k) => k === 'remediation-started')).toHaveLength(1);
    expect(after.indexOf('remediation-started')).toBeGreaterThan(after.indexOf('unsilenced'));

    // Acknowledged 5 minutes after people were told: that is its time to acknowledge (MTTA), not since it opened.
    clock = toldAt + 5 * 60_000; // the remediation's waits moved the clock on a little
    expect((await call('POST', `/api/incidents/${id}/ack`, tokens[1]!.token, {})).status).toBe(200);
    expect(await store.incidents.summary(id)).toMatchObject({ silencedBy: silence.id, timeToAcknowledgeMs: 300_000 });

    await feed('..');
    expect((await store.incidents.get(id))?.status).toBe('resolved');
  });

  it('a silenced incident that resolves while silenced is never told, its resolution neither', async () => {
    const made = await call('POST', '/api/silences', tokens[1]!.token, {
      matchers: ['service=cart'],
      duration: '30m',
      reason: 'deploy',
    });
    const { id: silenceId } = (await made.json()) as { id: string };
    await feed('xx');
    const id = await openIncident();
    await feed('..');
    expect((await store.incidents.get(id))?.status).toBe('resolved');
    expect(await store.deliveries.ofIncident(id)).toEqual([]);

    // Expired by hand: audited, and a second expire changes nothing.
    const expired = await call('DELETE', `/api/silences/${silenceId}`, tokens[1]!.token, { reason: 'done early' });
    expect(expired.status).toBe(200);
    expect(await expired.json()).toMatchObject({ state: 'expired', expiredBy: 'alice' });
    expect((await call('DELETE', `/api/silences/${silenceId}`, tokens[1]!.token)).status).toBe(409);
    expect((await call('DELETE', '/api/silences/sil-nope', tokens[1]!.token)).status).toBe(404);
    expect((await call('DELETE', `/api/silences/${silenceId}`, tokens[0]!.token)).status).toBe(403);
    const audit = await store.audit.list(new Date(0), 100);
    expect(audit.filter((a) => a.action.startsWith('silence-')).map((a) => [a.actor, a.action, a.reason])).toEqual(
      expect.arrayContaining([
        ['alice', 'silence-add', 'deploy'],
        ['alice', 'silence-expire', 'done early'],
      ]),
    );

    // Without a silence, the next incident notifies and remediates as always.
    await feed('xx');
    const loud = await openIncident();
    expect(await kinds(loud)).toContain('remediation-started');
    expect((await store.deliveries.ofIncident(loud)).map((d) => d.key)).toEqual([
      `${loud}/opened/reports.recipients.incident`,
    ]);
    await feed('..');
  });

  it('a maintenance window on a cron schedule mutes only inside its windows', async () => {
    // Every day at 02:00 UTC for 2 hours, for a week from now.
    const made = await call('POST', '/api/silences', tokens[1]!.token, {
      matchers: ['service=cart'],
      schedule: '0 2 * * *',
      timeZone: 'UTC',
      duration: '2h',
      endsAt: new Date(clock + 7 * 86_400_000).toISOString(),
      reason: 'nightly maintenance',
    });
    expect(made.status).toBe(201);
    const window = (await made.json()) as { id: string; state: string };
    expect(window.state).toBe('between-windows');

    // The next day at 02:30: inside a window.
    const day = new Date(clock);
    clock = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1, 2, 30);
    await feed('xx');
    const quiet = await openIncident();
    expect((await store.incidents.events(quiet)).find((e) => e.kind === 'silenced')?.message).toMatch(
      new RegExp(`^silenced by ${window.id}: nightly maintenance \\(until \\d{4}-\\d\\d-\\d\\dT04:00:00.000Z\\)`),
    );
    expect(await kinds(quiet)).not.toContain('remediation-started');
    await feed('..');

    // The same day at 05:00: between windows, so it pages.
    clock = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1, 5, 0);
    await feed('xx');
    const loud = await openIncident();
    expect(await kinds(loud)).not.toContain('silenced');
    expect(await kinds(loud)).toContain('remediation-started');
    await feed('..');
  });

  it('a silence made while an incident is open stops its re-notification until it ends', async () => {
    await feed('xx');
    const id = await openIncident();
    expect(await store.deliveries.ofIncident(id)).toHaveLength(1); // the opening, told
    const made = await call('POST', '/api/silences', tokens[1]!.token, {
      matchers: ['signal=error-rate'],
      duration: '10m',
      reason: 'failover drill',
    });
    const { id: silenceId } = (await made.json()) as { id: string };
    clock += 3 * 60_000;
    expect(await manager.followUps.runOnce()).toBe(0);
    expect(await store.deliveries.ofIncident(id)).toHaveLength(1);
    await call('DELETE', `/api/silences/${silenceId}`, tokens[1]!.token);
    expect(await manager.followUps.runOnce()).toBe(1);
    expect((await store.deliveries.ofIncident(id)).map((d) => d.key)).toEqual([
      `${id}/opened/reports.recipients.incident`,
      expect.stringMatching(new RegExp(`^${id}/renotify-\\d+/reports.recipients.incident$`)),
    ]);
    await feed('..');
  });

  it('the CLI adds, lists and expires silences with its actor, and names what it refuses', async () => {
    const dir = tempDir('silences-cli-');
    const file = writeConfig(dir, {
      store: config.store.databaseUrl ? { databaseUrl: config.store.databaseUrl } : { path: config.store.path },
      reports: { path: config.reports.path },
      services: [{ name: 'cart', url: 'http://cart.internal' }],
    });
    // The embedded store belongs to one process: this test lets go of it while the CLI acts.
    if (config.store.databaseUrl === undefined) await store.close();
    const env = { OPSCRON_ACTOR: 'bob@laptop' };
    const cli = (...args: string[]) => runOpscron(['-c', file, 'silence', ...args], { cwd: dir, env });
    const added = await cli('add', '-m', 'service=cart', '--reason', 'disk swap', '--duration', '2h');
    expect(added.code).toBe(0);
    const id = /^(sil-\S+): service="cart" active\n$/.exec(added.stdout)?.[1];
    expect(id).toBeDefined();
    const window = await cli(
      'add',
      '-m',
      'service=cart',
      '--reason',
      'weekly',
      '--schedule',
      '0 3 * * sun',
      '--duration',
      '1h',
      '--timezone',
      'Europe/Paris',
    );
    expect(window.code).toBe(0);
    const listed = await cli('list');
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+service="cart"\\s+active`));
    expect(listed.stdout).toMatch(/0 3 \* \* sun \(Europe\/Paris\) for 60m\s+bob@laptop\s+weekly/);
    expect((await cli('expire', id!, '--reason', 'swapped')).stdout).toBe(`${id}: expired\n`);
    const bad = await cli('add', '-m', 'team=core', '--reason', 'x', '--duration', '1h');
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/matcher "team=core": name "team" is not one of service, signal/);
    if (config.store.databaseUrl === undefined) store = await openStore({ path: config.store.path });
    expect(
      (await store.audit.list(new Date(0), 100))
        .filter((a) => a.source === 'cli')
        .map((a) => [a.actor, a.action, a.reason]),
    ).toEqual(
      expect.arrayContaining([
        ['bob@laptop', 'silence-add', 'disk swap'],
        ['bob@laptop', 'silence-add', 'weekly'],
        ['bob@laptop', 'silence-expire', 'swapped'],
      ]),
    );
  });
});
