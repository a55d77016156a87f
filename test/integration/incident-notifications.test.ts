/**
 * Incidents that reach a person, on real parts and both stores, time controlled: a service
 * fails → the incident opens → a signed webhook, a Slack message and a PagerDuty trigger
 * reach real local receivers (one dedup key) → nobody acknowledges: escalation after its
 * delay, re-notification → an acknowledgement stops both → recovery resolves everywhere.
 * A receiver down for a while gets each message once when it is back; one that refuses
 * (4xx) is not asked again; the channels' secrets appear in no log, API answer or outbox row.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/configure.js';
import type { OpscronConfig } from '../../src/config/schema.js';
import { buildServer } from '../../src/http/server.js';
import { FollowUps } from '../../src/incidents/follow-ups.js';
import { actOnIncident } from '../../src/incidents/lifecycle.js';
import { IncidentManager } from '../../src/incidents/manager.js';
import { Notifier } from '../../src/incidents/notify.js';
import { jobFeeds } from '../../src/jobs/index.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { InlineQueue } from '../../src/queue/inline.js';
import { DeliveryWorker } from '../../src/reports/deliver/outbox.js';
import { verifyWebhook } from '../../src/reports/deliver/payloads.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { RunRow } from '../../src/store/runs.js';
import { tempDir, writeConfig } from '../support/cli.js';
import { clockAt, FakeClock } from '../support/fake-clock.js';
import { Receiver } from '../support/receiver.js';
import { createDatabase } from '../support/services.mjs';

const SLACK_TOKEN = 'T0CANARY/B0CANARY/slackcanarytoken0001';
const WEBHOOK_SECRET = 'whsec-canary-0123456789abcdef';
const ROUTING_KEY = 'pdkeycanary0123456789';
const CANARIES = [SLACK_TOKEN, WEBHOOK_SECRET, ROUTING_KEY];
const MIN = 60_000;

describe.each([
  ['PostgreSQL', async () => ({ databaseUrl: await createDatabase('notify') })],
  ['SQLite', async () => ({ path: join(tempDir('notify-db-'), 'db') })],
] as const)('incident notifications on %s', (_name, storeOptions) => {
  const receiver = new Receiver();
  let store: Store;
  let config: OpscronConfig;
  let manager: IncidentManager;
  let outbox: DeliveryWorker;
  let metrics: Metrics;
  let logger: Logger;
  let server: FastifyInstance;
  let logs = '';
  let base = '';
  let mailDir = '';
  let clock = Date.parse('2026-12-01T03:00:00Z');
  let n = 0;

  beforeAll(async () => {
    await receiver.start();
    const where = await storeOptions();
    const dir = tempDir('notify-');
    mailDir = join(dir, 'outbox');
    const file = writeConfig(dir, {
      store: where,
      reports: { path: join(dir, 'reports') },
      email: { outbox: join(dir, 'outbox') },
      http: {
        port: 0,
        publicUrl: 'https://opscron.example.com',
        tokens: [{ name: 'reader', token: 'read-token-0123456789ab', scope: 'read' }],
      },
      services: [{ name: 'shop', url: 'http://shop.internal' }],
      jobs: [{ id: 'shop-errors', type: 'error-rate', params: { service: 'shop' } }],
      incidents: {
        openAfter: 2,
        resolveAfter: 2,
        renotify: '15m',
        escalation: { shop: [{ after: '10m', channels: ['lead', 'ops-mail'] }] },
      },
      notifications: {
        channels: {
          hook: { type: 'webhook', url: '${RECEIVER}/hook', secret: '${WEBHOOK_SECRET}', timeout: '500ms' },
          'ops-mail': { type: 'email', to: ['ops@example.com'] },
          lead: { type: 'webhook', url: '${RECEIVER}/lead', secret: '${WEBHOOK_SECRET}' },
          'oncall-slack': { type: 'slack', url: '${SLACK_URL}' },
          pd: { type: 'pagerduty', routingKey: '${PD_KEY}', url: '${RECEIVER}/pd/v2/enqueue' },
        },
        routes: [{ services: ['shop'], severity: 'critical', channels: ['hook', 'oncall-slack', 'pd'] }],
        retry: { attempts: 10, backoff: '10s', maxBackoff: '1m' },
      },
    });
    config = await loadConfig({
      path: file,
      env: {
        RECEIVER: receiver.url,
        WEBHOOK_SECRET,
        SLACK_URL: `${receiver.url}/slack/services/${SLACK_TOKEN}`,
        PD_KEY: ROUTING_KEY,
      },
    });
    store = await openStore({ path: 'unused', ...where });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    logger = createLogger({ level: 'debug', destination: sink, pretty: false });
    server = buildServer({
      config,
      store,
      queue: new InlineQueue(),
      metrics: new Metrics(),
      scheduler: null,
      worker: null,
      logger,
      feeds: jobFeeds,
      now: () => clock,
    });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server.close();
    await manager?.stop();
    await outbox?.stop();
    await store.close();
    await receiver.stop();
  });
  beforeEach(async () => {
    for (const table of ['incident_events', 'signal_states', 'deliveries', 'incidents', 'reports'])
      await store.sql.query(`delete from ${table}`);
    receiver.received.length = 0;
    receiver.answer = () => 200;
    await manager?.stop();
    await outbox?.stop();
    metrics = new Metrics();
    manager = new IncidentManager({
      config,
      store,
      queue: new InlineQueue(),
      logger,
      feeds: jobFeeds,
      clock: clockAt(() => clock),
    });
    outbox = new DeliveryWorker({ config, store, logger, metrics, clock: clockAt(() => clock) });
  });

  /** Runs of shop-errors, one a minute: x critical, . ok. */
  const feed = async (outcomes: string) => {
    const job = config.jobs[0]!;
    for (const o of outcomes) {
      clock += MIN;
      const row = {
        id: `run${++n}`,
        jobId: job.id,
        jobType: job.type,
        status: o === 'x' ? 'critical' : 'ok',
        summary: o === 'x' ? 'shop: 7.50 % 5xx' : 'fine',
        findings:
          o === 'x'
            ? [
                {
                  severity: 'critical',
                  check: 'error-rate',
                  resource: 'service/shop',
                  message: '7.50 % of requests failed',
                },
              ]
            : [],
        params: null,
        finishedAt: new Date(clock),
      } as unknown as RunRow;
      manager.observe(row, job);
      await manager.idle();
    }
  };
  const openIncident = async () => (await store.incidents.list({ status: 'open', limit: 5 }))[0]!.id as string;
  const act = (action: 'ack' | 'resolve', id: string, actor = 'alice') =>
    actOnIncident(
      { config, store, feeds: jobFeeds, logger, clock: clockAt(() => clock) },
      { action, id, actor, source: 'api' },
    );
  const kinds = (prefix: string) => receiver.json(prefix).map((b) => b.kind as string);
  const eventsOf = async (id: string) =>
    (await store.incidents.events(id)).map((e) => [e.kind, e.message] as [string, string]);

  it('opens → webhook, Slack, PagerDuty → escalation and re-notify while unacknowledged → ack stops them → recovery resolves everywhere', async () => {
    await feed('xx');
    const id = await openIncident();
    const opened = clock;
    expect(await outbox.runOnce()).toBe(3);

    const [hook] = receiver.accepted('/hook');
    expect(hook!.headers['x-opscron-event-id']).toBe(`${id}/opened/hook`);
    const signed = {
      timestamp: hook!.headers['x-opscron-timestamp'] as string,
      signature: hook!.headers['x-opscron-signature'] as string,
    };
    expect(verifyWebhook(WEBHOOK_SECRET, signed, hook!.body, Math.floor(clock / 1000))).toBe(true);
    expect(verifyWebhook(WEBHOOK_SECRET, signed, hook!.body.replace('shop', 'sh0p'), Math.floor(clock / 1000))).toBe(
      false,
    );
    expect(JSON.parse(hook!.body)).toMatchObject({
      kind: 'opened',
      incident: { id, service: 'shop', severity: 'critical', status: 'open', signals: ['error-rate'] },
      evidence: expect.arrayContaining([expect.stringContaining('error-rate: 7.50 % of requests failed')]),
      link: `https://opscron.example.com/incidents/${id}`,
    });
    const slack = JSON.stringify(receiver.json('/slack')[0]);
    expect(slack).toContain('*Service*\\nshop');
    expect(slack).toContain(`<https://opscron.example.com/incidents/${id}|${id}>`);
    expect(receiver.json('/pd')[0]).toMatchObject({ event_action: 'trigger', dedup_key: id, routing_key: ROUTING_KEY });

    // Not yet: nothing is due at 9 minutes.
    clock = opened + 9 * MIN;
    expect(await manager.followUps.runOnce()).toBe(0);
    clock = opened + 10 * MIN;
    expect(await manager.followUps.runOnce()).toBe(1);
    // Two replicas deciding the re-notification at the same moment queue it once.
    clock = opened + 15 * MIN;
    const replica = new IncidentManager({
      config,
      store,
      queue: new InlineQueue(),
      logger,
      feeds: jobFeeds,
      clock: clockAt(() => clock),
    });
    const decided = await Promise.all([manager.followUps.runOnce(), replica.followUps.runOnce()]);
    await replica.stop();
    expect(decided[0] + decided[1]).toBeGreaterThanOrEqual(1);
    expect(await manager.followUps.runOnce()).toBe(0);
    expect(await outbox.runOnce()).toBe(4); // escalation to lead and the mail; re-notify to hook and Slack (not PagerDuty)
    expect(kinds('/lead')).toEqual(['escalated']);
    expect(kinds('/hook')).toEqual(['opened', 'renotify']);
    expect(receiver.json('/pd').map((b) => b.event_action)).toEqual(['trigger']);

    clock += MIN;
    await act('ack', id);
    expect(await outbox.runOnce()).toBe(5); // hook, Slack, PagerDuty, and lead and the mail, who heard of it
    expect(kinds('/lead')).toEqual(['escalated', 'acknowledged']);
    clock = opened + 120 * MIN;
    expect(await manager.followUps.runOnce()).toBe(0);
    expect(await outbox.runOnce()).toBe(0);

    await feed('..');
    expect(await outbox.runOnce()).toBe(5); // the four channels and the mail (the incident report has no recipients here)
    expect(kinds('/hook')).toEqual(['opened', 'renotify', 'acknowledged', 'resolved']);
    expect(kinds('/lead')).toEqual(['escalated', 'acknowledged', 'resolved']);
    const pd = receiver.json('/pd');
    expect(pd.map((b) => b.event_action)).toEqual(['trigger', 'acknowledge', 'resolve']);
    expect(new Set(pd.map((b) => b.dedup_key))).toEqual(new Set([id]));
    // Each message once.
    const ids = receiver.accepted('/hook').map((r) => r.headers['x-opscron-event-id']);
    expect(new Set(ids).size).toBe(ids.length);

    const timeline = await eventsOf(id);
    expect(timeline).toEqual(
      expect.arrayContaining([
        ['notified', 'notified hook, oncall-slack, pd (opened)'],
        [
          'escalated',
          expect.stringMatching(
            /^escalated to lead, ops-mail: error-rate critical on shop: open for 10m, not acknowledged/,
          ),
        ],
        ['renotified', expect.stringMatching(/^re-notified hook, oncall-slack: .*open for 15m/)],
        ['notified', 'notified hook, oncall-slack, pd, lead, ops-mail (acknowledged)'],
        ['notified', 'notified hook, oncall-slack, pd, lead, ops-mail (resolved)'],
      ]),
    );
    expect(timeline.filter(([k]) => k === 'escalated')).toHaveLength(1);
    const mails = readdirSync(mailDir).map((f) => readFileSync(join(mailDir, f), 'utf8'));
    expect(mails.map((m) => /^Subject: \[opscron\] (\w+)/m.exec(m)?.[1]).sort()).toEqual([
      'ACKNOWLEDGED',
      'ESCALATED',
      'RESOLVED',
    ]);
    for (const m of mails) expect(m).toMatch(/^To: ops@example.com/m);
    expect(timeline.filter(([k]) => k === 'renotified')).toHaveLength(1);
  });

  it('escalates only when nobody acknowledged in time; a resolve by hand reaches PagerDuty with the same key', async () => {
    await feed('xx');
    const id = await openIncident();
    const opened = clock;
    clock = opened + 5 * MIN;
    await act('ack', id);
    clock = opened + 31 * MIN;
    expect(await manager.followUps.runOnce()).toBe(0);
    await act('resolve', id, 'bob');
    await outbox.runOnce();
    expect(receiver.accepted('/lead')).toEqual([]);
    expect(receiver.json('/pd').map((b) => [b.event_action, b.dedup_key])).toEqual([
      ['trigger', id],
      ['acknowledge', id],
      ['resolve', id],
    ]);
    expect(receiver.json('/hook').at(-1)).toMatchObject({ kind: 'resolved', actor: 'bob' });
  });

  it('a receiver down for a while gets each message once when it is back; a 4xx is refused, not retried', async () => {
    let down = true;
    receiver.answer = (path) => (path.startsWith('/pd') ? 400 : down ? (path.startsWith('/slack') ? 429 : 503) : 200);
    await feed('xx');
    const id = await openIncident();
    for (let i = 0; i < 4; i++) {
      expect(await outbox.runOnce()).toBe(0);
      clock += 2 * MIN; // past the backoff (10 s doubling, at most 1 m)
    }
    down = false;
    expect(await outbox.runOnce()).toBe(2);
    for (let i = 0; i < 3; i++) {
      clock += 5 * MIN;
      expect(await outbox.runOnce()).toBe(0);
    }
    expect(receiver.accepted('/hook')).toHaveLength(1);
    expect(receiver.accepted('/slack')).toHaveLength(1);
    expect(receiver.received.filter((r) => r.path.startsWith('/pd'))).toHaveLength(1); // asked once, refused
    const rows = await store.deliveries.ofIncident(id);
    expect(rows.map((r) => [r.target, r.status, r.attempts])).toEqual([
      ['hook', 'sent', 5],
      ['oncall-slack', 'sent', 5],
      ['pd', 'failed', 1],
    ]);
    expect(rows.find((r) => r.target === 'pd')!.lastError).toMatch(/^pagerduty channel pd: HTTP 400: refused/);
    const counted = await metrics.registry.getSingleMetricAsString('opscron_report_deliveries_total');
    expect(counted).toContain('opscron_report_deliveries_total{channel="pagerduty",status="refused"} 1');
    expect(counted).toContain('opscron_report_deliveries_total{channel="webhook",status="retry"} 4');
    expect(counted).toContain('opscron_report_deliveries_total{channel="slack",status="sent"} 1');
    expect(logs).toContain('the receiver refused the notification; not retried');
  });

  it('a redirect is refused (not followed: the signed body would go elsewhere); 408 is retried', async () => {
    let first = true;
    receiver.answer = (path) => {
      if (path.startsWith('/hook')) return 301;
      if (path.startsWith('/slack') && first) {
        first = false;
        return 408;
      }
      return 200;
    };
    await feed('xx');
    const id = await openIncident();
    expect(await outbox.runOnce()).toBe(1); // PagerDuty
    clock += MIN;
    expect(await outbox.runOnce()).toBe(1); // Slack, after its 408
    const rows = await store.deliveries.ofIncident(id);
    expect(rows.map((r) => [r.target, r.status, r.attempts])).toEqual([
      ['hook', 'failed', 1],
      ['oncall-slack', 'sent', 2],
      ['pd', 'sent', 1],
    ]);
    expect(rows[0]!.lastError).toMatch(/^webhook channel hook: HTTP 301 \(redirects are not followed/);
  });

  it('a receiver that does not answer is cut off at the channel timeout and asked again later', async () => {
    receiver.answer = (path) => (path.startsWith('/hook') ? 0 : 200);
    await feed('xx');
    const id = await openIncident();
    const started = Date.now();
    expect(await outbox.runOnce()).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000); // hook's timeout is 500 ms
    const hook = (await store.deliveries.ofIncident(id)).find((r) => r.target === 'hook')!;
    expect(hook).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'webhook channel hook: no answer within 500 ms',
    });
    receiver.answer = () => 200;
    clock += MIN;
    expect(await outbox.runOnce()).toBe(1);
  });

  it('the follow-up loop runs on the injected clock', async () => {
    await feed('xx');
    const id = await openIncident();
    const fake = new FakeClock(clock);
    const notifier = new Notifier({ config, store, logger, feeds: jobFeeds, clock: fake });
    const loop = new FollowUps({ config, store, logger, clock: fake, notifier });
    loop.start();
    await fake.advanceTo(clock + 11 * MIN, () => false);
    await loop.stop();
    expect((await store.deliveries.ofIncident(id)).map((r) => r.key)).toContain(`${id}/escalate-1/lead`);
  });

  it('the channels’ secrets are in no log line, API answer or outbox row', async () => {
    receiver.answer = (path) => (path.startsWith('/slack') ? 500 : 200); // its answer echoes the token path
    await feed('xx');
    const id = await openIncident();
    await outbox.runOnce();
    await act('ack', id);
    await outbox.runOnce();
    const answer = await fetch(`${base}/api/incidents/${id}`, {
      headers: { authorization: 'Bearer read-token-0123456789ab' },
    });
    expect(answer.status).toBe(200);
    const shown = (await answer.clone().json()) as { notifications: Array<Record<string, unknown>> };
    expect(shown.notifications).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          key: `${id}/opened/oncall-slack`,
          status: 'pending',
          lastError: expect.stringContaining('***'),
        }),
        expect.objectContaining({ key: `${id}/opened/pd`, status: 'sent', attempts: 1 }),
      ]),
    );
    const outboxRows = JSON.stringify((await store.sql.query('select * from deliveries')).rows);
    expect(outboxRows).toContain('***'); // the echoed token, redacted in last_error
    await new Promise((r) => setImmediate(r));
    for (const text of [logs, await answer.text(), outboxRows])
      for (const canary of CANARIES) expect(text).not.toContain(canary);
  });
});
