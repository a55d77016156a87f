/**
 * An incident's severity follows its signals, and the routes for critical hear when a warning
 * incident turns critical: a warning alert opens it (Slack only), the alert comes back
 * critical, or a check's critical signal joins it → PagerDuty is triggered then, once, with
 * `kind: raised`; a silence over the signal keeps it quiet. Real receivers, both stores.
 */
import { join } from 'node:path';
import { loadConfig } from '../../src/configure.js';
import type { OpscronConfig } from '../../src/config/schema.js';
import { IncidentManager } from '../../src/incidents/manager.js';
import type { Observation } from '../../src/incidents/transitions.js';
import { jobFeeds } from '../../src/jobs/index.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { InlineQueue } from '../../src/queue/inline.js';
import { DeliveryWorker } from '../../src/reports/deliver/outbox.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { RunRow } from '../../src/store/runs.js';
import { tempDir, writeConfig } from '../support/cli.js';
import { clockAt } from '../support/fake-clock.js';
import { Receiver } from '../support/receiver.js';
import { createDatabase } from '../support/services.mjs';

const MIN = 60_000;

describe.each([
  ['PostgreSQL', async () => ({ databaseUrl: await createDatabase('severity') })],
  ['SQLite', async () => ({ path: join(tempDir('severity-db-'), 'db') })],
] as const)('an incident turning critical, on %s', (_name, storeOptions) => {
  const receiver = new Receiver();
  let store: Store;
  let config: OpscronConfig;
  let manager: IncidentManager;
  let outbox: DeliveryWorker;
  let clock = Date.parse('2026-12-01T03:00:00Z');
  let n = 0;

  beforeAll(async () => {
    await receiver.start();
    const where = await storeOptions();
    const dir = tempDir('severity-');
    const file = writeConfig(dir, {
      store: where,
      reports: { path: join(dir, 'reports') },
      email: { outbox: join(dir, 'outbox') },
      services: [{ name: 'shop', url: 'http://shop.internal' }],
      jobs: [{ id: 'shop-errors', type: 'error-rate', params: { service: 'shop' } }],
      incidents: { openAfter: 2, resolveAfter: 2, renotify: '0s' },
      notifications: {
        channels: {
          'oncall-slack': { type: 'slack', url: '${RECEIVER}/slack/services/T0/B0/x' },
          pd: { type: 'pagerduty', routingKey: 'pd-routing-key-0123', url: '${RECEIVER}/pd/v2/enqueue' },
        },
        routes: [
          { services: '*', severity: 'warning', channels: ['oncall-slack'] },
          { services: '*', severity: 'critical', channels: ['pd'] },
        ],
      },
    });
    config = await loadConfig({ path: file, env: { RECEIVER: receiver.url } });
    store = await openStore({ path: 'unused', ...where });
  });
  afterAll(async () => {
    await manager?.stop();
    await outbox?.stop();
    await store.close();
    await receiver.stop();
  });
  beforeEach(async () => {
    for (const table of ['incident_events', 'signal_states', 'deliveries', 'incidents', 'silences'])
      await store.sql.query(`delete from ${table}`);
    receiver.received.length = 0;
    await manager?.stop();
    await outbox?.stop();
    const logger = createLogger({ level: 'silent', pretty: false });
    manager = new IncidentManager({
      config,
      store,
      queue: new InlineQueue(),
      logger,
      feeds: jobFeeds,
      clock: clockAt(() => clock),
    });
    outbox = new DeliveryWorker({ config, store, logger, metrics: new Metrics(), clock: clockAt(() => clock) });
  });

  const alert = async (severity: 'warning' | 'critical') => {
    clock += MIN;
    const o: Observation = {
      verdict: 'bad',
      at: new Date(clock),
      runId: null,
      source: 'alertmanager',
      status: severity,
      summary: `HighLatency ${severity}`,
      findings: [],
      severity,
      immediate: true,
    };
    await manager.observeExternal('shop', 'am/HighLatency', o);
    await manager.idle();
  };
  const criticalRuns = async (count: number) => {
    const job = config.jobs[0]!;
    for (let i = 0; i < count; i++) {
      clock += MIN;
      const finding = { severity: 'critical', check: 'error-rate', resource: 'service/shop', message: '7.5 % failed' };
      const row = { id: `run${++n}`, jobId: job.id, jobType: job.type, status: 'critical', summary: 'shop: 7.5 % 5xx' };
      manager.observe(
        { ...row, findings: [finding], params: null, finishedAt: new Date(clock) } as unknown as RunRow,
        job,
      );
      await manager.idle();
    }
  };
  const incident = async () => (await store.incidents.list({ status: 'open', limit: 5 }))[0]!;
  const pd = () => receiver.json('/pd').map((b) => [b.event_action, (b.payload as { severity?: string })?.severity]);

  it('a warning alert that comes back critical pages the critical route once, and says so on the timeline', async () => {
    await alert('warning');
    const { id: opened, severity } = await incident();
    const id = opened as string;
    expect(severity).toBe('warning');
    expect(await outbox.runOnce()).toBe(1);
    expect(receiver.json('/slack')).toHaveLength(1);
    expect(pd()).toEqual([]);

    await alert('critical');
    expect((await incident()).severity).toBe('critical');
    expect(await outbox.runOnce()).toBe(1);
    expect(pd()).toEqual([['trigger', 'critical']]);
    expect(receiver.accepted('/pd')[0]!.body).toContain(`"dedup_key":"${id}"`);
    expect(receiver.json('/slack')).toHaveLength(1); // the warning route is not told again

    await alert('critical');
    expect(await outbox.runOnce()).toBe(0);
    const events = (await store.incidents.events(id)).map((e) => [e.kind, e.message]);
    expect(events).toEqual(
      expect.arrayContaining([
        ['raised', 'raised to critical: am/HighLatency is critical on alertmanager'],
        ['notified', 'notified pd (raised)'],
      ]),
    );
  });

  it('a check’s critical signal joining a warning incident raises it; an incident opened critical is never "raised"', async () => {
    await alert('warning');
    await outbox.runOnce();
    await criticalRuns(2);
    const { id: open, signals } = await incident();
    const id = open as string;
    expect(signals).toEqual(['am/HighLatency', 'error-rate']);
    expect(await outbox.runOnce()).toBe(1);
    expect(pd()).toEqual([['trigger', 'critical']]);
    expect((await store.deliveries.ofIncident(id)).map((d) => d.key)).toContain(`${id}/critical/pd`);

    for (const table of ['incident_events', 'signal_states', 'deliveries', 'incidents'])
      await store.sql.query(`delete from ${table}`);
    receiver.received.length = 0;
    await criticalRuns(3);
    await outbox.runOnce();
    const opened = await incident();
    expect(opened.severity).toBe('critical');
    expect((await store.incidents.events(opened.id as string)).map((e) => e.kind)).not.toContain('raised');
    expect(pd()).toEqual([['trigger', 'critical']]);
  });

  it('a silence over the signal keeps the raise off the pager (it is still on the timeline)', async () => {
    await alert('warning');
    await outbox.runOnce();
    const silence = {
      id: 'sil-1',
      matchers: [{ name: 'signal', op: '=', value: 'am/HighLatency' }],
      startsAt: new Date(clock),
      endsAt: new Date(clock + 60 * MIN),
      schedule: null,
      timeZone: null,
      durationMs: null,
      reason: 'latency work',
      createdBy: 'alice',
      createdAt: new Date(clock),
      expiredBy: null,
    } as const;
    expect(await store.silences.create({ ...silence, matchers: [...silence.matchers] }, 100)).toBe(true);
    await alert('critical');
    expect(await outbox.runOnce()).toBe(0);
    expect(pd()).toEqual([]);
    expect((await store.incidents.events((await incident()).id as string)).map((e) => e.kind)).toContain('raised');
  });
});
