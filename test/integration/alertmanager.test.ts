/**
 * Alertmanager in. End to end on PostgreSQL and BullMQ on Redis: a firing payload POSTed to
 * the running opscron opens the service's incident and runs its remediation through the
 * queue; Alertmanager's repeats change nothing; the resolved payload resolves it. Severity
 * follows the alerts. Then the boundary, on the embedded store: tokens, bounds, and hostile
 * payloads (fast-check) refused with 400 naming the field, never a 5xx.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { startOpscron, type Opscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { buildServer } from '../../src/http/server.js';
import { jobFeeds } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { InlineQueue } from '../../src/queue/inline.js';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../support/cli.js';
import { createDatabase } from '../support/services.mjs';
import { eventually } from '../support/target.js';

const tokens = [
  { name: 'dashboard', token: 'read-token-0123456789abcdef', scope: 'read' as const },
  { name: 'alertmanager', token: 'am-token-0123456789abcdefgh', scope: 'trigger' as const },
];
const [READ, AM] = [tokens[0]!.token, tokens[1]!.token];

/** An Alertmanager v4 payload, as its webhook notifier sends one. */
function payload(
  status: 'firing' | 'resolved',
  alerts: Array<{ name: string; fingerprint: string; service?: string; severity?: string }>,
) {
  return {
    version: '4',
    groupKey: '{}:{alertname="ShopErrors"}',
    truncatedAlerts: 0,
    status,
    receiver: 'opscron',
    groupLabels: { alertname: alerts[0]?.name },
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager.monitoring:9093',
    alerts: alerts.map((a) => ({
      status,
      labels: { alertname: a.name, service: a.service ?? 'shop', severity: a.severity ?? 'critical', instance: 'x:1' },
      annotations: { summary: `${a.name} on shop`, description: 'too many 5xx' },
      startsAt: '2026-12-01T09:59:30.123456789Z',
      endsAt: status === 'resolved' ? '2026-12-01T10:30:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
      fingerprint: a.fingerprint,
    })),
  };
}

const post = (base: string, body: unknown, token?: string, raw = false) =>
  fetch(`${base}/api/alerts/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: raw ? (body as string) : JSON.stringify(body),
  });

describe('Alertmanager in, end to end', () => {
  let app: Opscron | null = null;
  let shop: Server;
  const state = { resets: 0 };

  beforeAll(async () => {
    shop = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/admin/reset-breakers') state.resets++;
      res.end('{"reset":true}');
    });
    await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await app?.stop();
    await new Promise((r) => shop.close(r));
  });

  it('a firing alert opens the incident and remediates; repeats change nothing; resolved resolves', async () => {
    const url = `http://127.0.0.1:${(shop.address() as { port: number }).port}`;
    const config = parseConfig({
      store: { databaseUrl: await createDatabase('alertmanager_e2e') },
      queue: { redisUrl: process.env.OPSCRON_TEST_REDIS_URL, name: `alertmanager-${Date.now()}` },
      http: { port: 0, host: '127.0.0.1', tokens },
      reports: { path: tempDir('am-reports-') },
      services: [{ name: 'shop', url, breakerResetPath: '/admin/reset-breakers' }],
      jobs: [{ id: 'shop-reset', type: 'reset-breakers', params: { services: ['shop'] } }],
      incidents: { remediation: { shop: [{ job: 'shop-reset', timeout: '20s' }] } },
    });
    app = await startOpscron({ config, logger: silentLogger, metrics: new Metrics() });
    const base = app.address!;
    const api = async (path: string): Promise<any> =>
      (await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${READ}` } })).json();

    expect((await post(base, payload('firing', [{ name: 'ShopErrors', fingerprint: 'a1' }]))).status).toBe(401);
    expect((await post(base, payload('firing', [{ name: 'ShopErrors', fingerprint: 'a1' }]), READ)).status).toBe(403);
    expect((await api('/api/incidents')).incidents).toEqual([]);

    const fired = await post(base, payload('firing', [{ name: 'ShopErrors', fingerprint: 'a1' }]), AM);
    expect(fired.status).toBe(200);
    expect(await fired.json()).toMatchObject({ applied: 1, repeats: 0, refused: 0 });
    const [incident] = (await api('/api/incidents?status=open')).incidents;
    expect(incident).toMatchObject({ service: 'shop', severity: 'critical', signals: ['am/ShopErrors'] });

    // The remediation job ran through the queue and reset the breakers.
    await eventually(async () => state.resets === 1, 'the breaker reset', 20_000);
    const finished = await eventually(
      async () =>
        (await api(`/api/incidents/${incident.id}`)).events.find((e: any) => e.kind === 'remediation-finished'),
      'the remediation recorded',
      20_000,
    );
    expect(finished.message).toMatch(/^shop-reset ok/);

    // Alertmanager re-sends every repeat_interval: nothing new.
    for (let i = 0; i < 3; i++) {
      const again = await post(base, payload('firing', [{ name: 'ShopErrors', fingerprint: 'a1' }]), AM);
      expect(await again.json()).toMatchObject({ applied: 0, repeats: 1 });
    }
    expect((await api('/api/incidents')).incidents).toHaveLength(1);
    expect(state.resets).toBe(1);

    // A warning of another alert joins; the incident stays critical (the highest of its signals).
    const warn = await post(
      base,
      payload('firing', [{ name: 'ShopSlow', fingerprint: 'b2', severity: 'warning' }]),
      AM,
    );
    expect(await warn.json()).toMatchObject({ applied: 1 });
    expect(await api(`/api/incidents/${incident.id}`)).toMatchObject({
      severity: 'critical',
      signals: ['am/ShopErrors', 'am/ShopSlow'],
    });
    // The critical one resolves: the incident is now a warning, still open.
    await post(base, payload('resolved', [{ name: 'ShopErrors', fingerprint: 'a1' }]), AM);
    expect(await api(`/api/incidents/${incident.id}`)).toMatchObject({ status: 'open', severity: 'warning' });
    // The last one resolves: resolved; a repeat of the resolution changes nothing.
    await post(base, payload('resolved', [{ name: 'ShopSlow', fingerprint: 'b2', severity: 'warning' }]), AM);
    const again = await post(base, payload('resolved', [{ name: 'ShopSlow', fingerprint: 'b2' }]), AM);
    expect(await again.json()).toMatchObject({ applied: 0, repeats: 1 });
    const resolved = await api(`/api/incidents/${incident.id}`);
    expect(resolved.status).toBe('resolved');
    expect(resolved.events.map((e: any) => e.kind)).toEqual(
      expect.arrayContaining([
        'opened',
        'remediation-started',
        'remediation-finished',
        'signal',
        'recovered',
        'resolved',
      ]),
    );
    expect((await api('/api/incidents')).incidents).toHaveLength(1);
  }, 90_000);
});

describe('Alertmanager in, at the boundary', () => {
  let store: Store;
  let server: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    const path = join(tempDir('am-db-'), 'db');
    const config = parseConfig({
      store: { path },
      reports: { path: tempDir('am-bound-reports-'), recipients: { incident: ['oncall@example.com'] } },
      http: { port: 0, tokens },
      services: [{ name: 'shop', url: 'http://shop.internal' }],
      alertmanager: { maxAlerts: 5 },
    });
    store = await openStore({ path });
    server = buildServer({
      config,
      store,
      queue: new InlineQueue(),
      metrics: new Metrics(),
      scheduler: null,
      worker: null,
      logger: silentLogger,
      feeds: jobFeeds,
    });
    base = await server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server.close();
    await store.close();
  });

  const refusal = async (body: unknown, raw = false) => {
    const answer = await post(base, body, AM, raw);
    return { status: answer.status, body: (await answer.json()) as { message: string } };
  };

  it('refuses bad payloads with 400 naming the field', async () => {
    const good = payload('firing', [{ name: 'ShopErrors', fingerprint: 'c3' }]);
    const cases: Array<[unknown, RegExp]> = [
      [{ ...good, version: '3' }, /body\.version: "3" — allowed: 4/],
      [{ ...good, alerts: [] }, /body\.alerts/],
      [{ ...good, alerts: [{ ...good.alerts[0], fingerprint: 'not hex!' }] }, /body\.alerts\[0\]\.fingerprint/],
      [{ ...good, alerts: [{ ...good.alerts[0], startsAt: 'yesterday' }] }, /body\.alerts\[0\]\.startsAt/],
      [{ ...good, alerts: [{ ...good.alerts[0], labels: { 'bad-name': 'x' } }] }, /body\.alerts\[0\]\.labels/],
      [
        { ...good, alerts: [{ ...good.alerts[0], labels: { alertname: 'x'.repeat(1025) } }] },
        /body\.alerts\[0\]\.labels\.alertname/,
      ],
      [
        {
          ...good,
          alerts: [{ ...good.alerts[0], labels: Object.fromEntries([...Array(65).keys()].map((i) => [`l${i}`, 'v'])) }],
        },
        /body\.alerts\[0\]\.labels.*at most 64 labels/,
      ],
      [{ ...good, alerts: Array(6).fill(good.alerts[0]) }, /body\.alerts: 6 alerts; at most 5/],
    ];
    for (const [body, message] of cases) {
      const { status, body: answer } = await refusal(body);
      expect([status, answer.message]).toEqual([400, expect.stringMatching(message)]);
    }
    expect((await refusal('{"version": "4", ', true)).status).toBe(400);
    expect((await refusal(JSON.stringify({ ...good, pad: 'x'.repeat(1_100_000) }), true)).status).toBe(413);
  });

  it('refuses alerts naming an unknown service or no signal, applying nothing', async () => {
    const unknown = await post(base, payload('firing', [{ name: 'X', fingerprint: 'd4', service: 'billing' }]), AM);
    expect(unknown.status).toBe(422);
    expect(await unknown.json()).toMatchObject({
      refused: 1,
      alerts: [
        {
          result: 'refused',
          reason: 'alerts[0].labels.service: "billing" is not a configured service; configured: shop',
        },
      ],
    });
    expect(await store.incidents.list({ limit: 5 })).toEqual([]);
  });

  it('a silence mutes an alert signal too: the incident opens and says so, nobody is told', async () => {
    const silence = await fetch(`${base}/api/silences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${AM}`, 'content-type': 'application/json' },
      body: JSON.stringify({ matchers: ['signal=am/ShopQuiet'], duration: '1h', reason: 'known noisy' }),
    });
    expect(silence.status).toBe(201);
    const { id: silenceId } = (await silence.json()) as { id: string };
    const fired = await post(base, payload('firing', [{ name: 'ShopQuiet', fingerprint: 'f6' }]), AM);
    expect(await fired.json()).toMatchObject({ applied: 1 });
    const [incident] = await store.incidents.list({ status: 'open', limit: 5 });
    expect(incident).toMatchObject({ service: 'shop', signals: ['am/ShopQuiet'], silencedBy: silenceId });
    const events = await store.incidents.events(incident!.id as string);
    expect(events.find((e) => e.kind === 'silenced')?.message).toMatch(`silenced by ${silenceId}: known noisy`);
    expect(await store.deliveries.ofIncident(incident!.id as string)).toEqual([]);
    await post(base, payload('resolved', [{ name: 'ShopQuiet', fingerprint: 'f6' }]), AM);
    expect((await store.incidents.get(incident!.id as string))?.status).toBe('resolved');
  });

  it('never answers a hostile payload with a 5xx', async () => {
    const good = Object.fromEntries(
      Object.entries(payload('firing', [{ name: 'ShopErrors', fingerprint: 'e5' }])).map(([k, v]) => [
        k,
        fc.constant(v),
      ]),
    );
    const hostile = fc.oneof(
      fc.anything(),
      fc.record({ ...good, alerts: fc.array(fc.anything(), { maxLength: 8 }) }),
      fc.record({
        ...good,
        alerts: fc.array(
          fc.record({
            status: fc.oneof(fc.constant('firing'), fc.constant('resolved'), fc.string()),
            labels: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.anything())),
            annotations: fc.anything(),
            startsAt: fc.oneof(
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
              fc.string(),
            ),
            fingerprint: fc.oneof(fc.stringMatching(/^[0-9a-f]{1,16}$/), fc.string()),
          }),
          { maxLength: 4 },
        ),
      }),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (body) => {
        const answer = await post(base, body, AM);
        const json = (await answer.json()) as { message?: string };
        expect(answer.status).toBeLessThan(500);
        if (answer.status === 400) expect(json.message).toMatch(/body/i);
      }),
      { numRuns: 150 },
    );
  });
});
