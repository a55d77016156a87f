/**
 * What a person does to an incident — acknowledge, note, resolve by hand — through the HTTP
 * API and the CLI, on both stores: who and when on the incident and its timeline, in the
 * audit log, the scopes that may, the refusals that change nothing, and what a resolve by
 * hand leaves behind (signals healthy, the incident report built, a new incident when the
 * service is still failing).
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
import { clockAt } from '../support/fake-clock.js';
import { createDatabase } from '../support/services.mjs';

const tokens = [
  { name: 'dashboard', token: 'read-token-0123456789abcdef', scope: 'read' as const },
  { name: 'alice', token: 'trigger-token-0123456789abcd', scope: 'trigger' as const },
];

describe.each([
  ['PostgreSQL', async () => ({ databaseUrl: await createDatabase('lifecycle') })],
  ['SQLite', async () => ({ path: join(tempDir('lifecycle-db-'), 'db') })],
] as const)('incident lifecycle on %s', (_name, storeOptions) => {
  let store: Store;
  let config: OpscronConfig;
  let manager: IncidentManager;
  let server: FastifyInstance;
  let base: string;
  let clock = Date.parse('2026-12-01T10:00:00Z');
  let n = 0;

  beforeAll(async () => {
    const where = await storeOptions();
    config = parseConfig({
      store: where,
      reports: { path: tempDir('lifecycle-reports-') },
      http: { port: 0, tokens },
      services: [{ name: 'cart', url: 'http://cart.internal' }],
      jobs: [{ id: 'cart-errors', type: 'error-rate', params: { service: 'cart' } }],
      incidents: { openAfter: 2, resolveAfter: 2 },
    });
    store = await openStore({ path: 'unused', ...where });
    manager = new IncidentManager({
      config,
      store,
      queue: new InlineQueue(),
      logger: silentLogger,
      feeds: jobFeeds,
      clock: clockAt(() => clock),
    });
    server = buildServer({
      config,
      store,
      queue: new InlineQueue(),
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
  const openIncident = async () => (await store.incidents.list({ status: 'open', limit: 5 }))[0]!.id as string;
  const post = (path: string, token: string, body: unknown = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('acknowledges once, with who and when; a read token may not; notes join the timeline', async () => {
    await feed('xx');
    const id = await openIncident();
    expect((await post(`/api/incidents/${id}/ack`, tokens[0]!.token)).status).toBe(403);

    const acked = await post(`/api/incidents/${id}/ack`, tokens[1]!.token, { note: 'on it, checking the DB' });
    expect(acked.status).toBe(200);
    expect(await acked.json()).toMatchObject({
      id,
      status: 'open',
      acknowledgedBy: 'alice',
      acknowledgedAt: new Date(clock).toISOString(),
    });

    const again = await post(`/api/incidents/${id}/ack`, tokens[1]!.token);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({
      code: 'OPSCRON_INCIDENT_STATE',
      message: expect.stringMatching(/already acknowledged/),
    });

    const empty = await post(`/api/incidents/${id}/note`, tokens[1]!.token, { note: '   ' });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { message: string }).message).toMatch(/note/);
    const extra = await post(`/api/incidents/${id}/note`, tokens[1]!.token, { note: 'x', severity: 'low' });
    expect(extra.status).toBe(400);
    expect((await post(`/api/incidents/${id}/note`, tokens[1]!.token, { note: 'failover started' })).status).toBe(200);
    expect((await post('/api/incidents/inc-nope/ack', tokens[1]!.token)).status).toBe(404);

    const events = await store.incidents.events(id);
    expect(events.map((e) => [e.kind, e.message])).toEqual(
      expect.arrayContaining([
        ['acknowledged', 'acknowledged by alice: on it, checking the DB'],
        ['note', 'alice: failover started'],
      ]),
    );
    expect(events.find((e) => e.kind === 'acknowledged')?.data).toEqual({ actor: 'alice', source: 'api' });
    const audit = await store.audit.list(new Date(0), 100);
    expect(audit.map((a) => [a.actor, a.source, a.action, a.params])).toEqual(
      expect.arrayContaining([
        ['alice', 'api', 'incident-ack', { incident: id }],
        ['alice', 'api', 'incident-note', { incident: id }],
      ]),
    );
  });

  it('resolves by hand: report built, signals healthy again, and a service still failing opens a new incident', async () => {
    const id = await openIncident();
    const resolved = await post(`/api/incidents/${id}/resolve`, tokens[1]!.token, { note: 'rolled back 3.2.1' });
    expect(resolved.status).toBe(200);
    expect(await resolved.json()).toMatchObject({
      status: 'resolved',
      resolvedAt: new Date(clock).toISOString(),
      reportId: expect.stringMatching(/^incident-/),
    });
    expect((await post(`/api/incidents/${id}/resolve`, tokens[1]!.token)).status).toBe(409);
    expect((await post(`/api/incidents/${id}/ack`, tokens[1]!.token)).status).toBe(409);
    const { rows } = await store.sql.query<{ state: string; bad_streak: number }>(
      'select state, bad_streak from signal_states where service = $1',
      ['cart'],
    );
    expect(rows).toEqual([{ state: 'healthy', bad_streak: 0 }]);

    // Still broken: one more critical run is a blip again; the second opens a new incident.
    await feed('x');
    expect(await store.incidents.list({ status: 'open', limit: 5 })).toEqual([]);
    await feed('x');
    const next = await openIncident();
    expect(next).not.toBe(id);
  });

  it('the CLI does the same with its actor, lists and shows the timeline, and says why it changed nothing', async () => {
    const id = await openIncident();
    const dir = tempDir('lifecycle-cli-');
    const file = writeConfig(dir, configFile(config));
    // The embedded store belongs to one process: this test lets go of it while the CLI acts.
    if (config.store.databaseUrl === undefined) await store.close();
    const env = { OPSCRON_ACTOR: 'bob@laptop' };
    const ack = await runOpscron(['-c', file, 'incident', 'ack', id, '--note', 'looking'], { cwd: dir, env });
    expect(ack).toMatchObject({ code: 0 });
    expect(ack.stdout).toBe(`${id}: acknowledged\n`);
    const note = await runOpscron(['-c', file, 'incident', 'note', id, 'cause', 'found:', 'disk', 'full'], {
      cwd: dir,
      env,
    });
    expect(note.code).toBe(0);
    const list = await runOpscron(['-c', file, 'incidents', '--status', 'open'], { cwd: dir, env });
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+cart\\s+open\\s+\\S+\\s+\\S+ bob@laptop`));
    const shown = await runOpscron(['-c', file, 'incident', 'show', id], { cwd: dir, env });
    expect(shown.stdout).toContain('bob@laptop: cause found: disk full');
    expect(shown.stdout).toContain('acknowledged by bob@laptop: looking');
    const twice = await runOpscron(['-c', file, 'incident', 'ack', id], { cwd: dir, env });
    expect(twice.code).toBe(3);
    expect(twice.stderr).toMatch(/already acknowledged; nothing was changed/);
    const bad = await runOpscron(['-c', file, 'incidents', '--status', 'closed'], { cwd: dir, env });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/--status "closed": must be open or resolved/);
    if (config.store.databaseUrl === undefined) store = await openStore({ path: config.store.path });
    expect((await store.audit.list(new Date(0), 100)).map((a) => [a.actor, a.source, a.action])).toEqual(
      expect.arrayContaining([
        ['bob@laptop', 'cli', 'incident-ack'],
        ['bob@laptop', 'cli', 'incident-note'],
      ]),
    );
  });
});

/** The test's configuration as a file the CLI reads (the embedded store's path as given). */
function configFile(config: OpscronConfig) {
  return {
    store: config.store.databaseUrl ? { databaseUrl: config.store.databaseUrl } : { path: config.store.path },
    reports: { path: config.reports.path },
    services: [{ name: 'cart', url: 'http://cart.internal' }],
    jobs: [{ id: 'cart-errors', type: 'error-rate', params: { service: 'cart' } }],
  };
}
