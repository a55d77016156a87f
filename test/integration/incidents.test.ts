/**
 * Incidents on real parts. First the manager against PostgreSQL with recorded run
 * outcomes (flapping, a second signal joining, one blip). Then the whole scenario on
 * BullMQ (real Redis) and PostgreSQL: a real HTTP service degrades → error-rate is
 * critical twice → an incident opens and the alert reaches a real SMTP server →
 * remediation (reset-breakers) runs through the queue → the service recovers → the
 * incident resolves → its report PDF arrives by email.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { startOpscron, type Opscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import type { OpscronConfig } from '../../src/config/schema.js';
import { IncidentManager } from '../../src/incidents/manager.js';
import { jobFeeds } from '../../src/jobs/index.js';
import { clockAt } from '../support/fake-clock.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { InlineQueue } from '../../src/queue/inline.js';
import { listAudit } from '../../src/store/audit.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { RunRow } from '../../src/store/runs.js';
import { tempDir } from '../support/cli.js';
import { createDatabase } from '../support/services.mjs';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import { eventually } from '../support/target.js';

describe('incidents', () => {
  describe.each([
    ['PostgreSQL', async () => ({ databaseUrl: await createDatabase('incidents') })],
    ['SQLite', async () => ({ path: join(tempDir('incidents-db-'), 'db') })],
  ] as const)('state kept in %s', (_name, storeOptions) => {
    let store: Store;
    let manager: IncidentManager;
    let config: OpscronConfig;
    let clock = Date.parse('2026-11-26T10:00:00Z');

    beforeAll(async () => {
      store = await openStore({ path: 'unused', ...(await storeOptions()) });
    });
    afterAll(async () => {
      await store.close();
    });
    beforeEach(async () => {
      for (const table of ['incident_events', 'signal_states', 'deliveries', 'incidents', 'reports'])
        await store.sql.query(`delete from ${table}`);
      config = parseConfig({
        reports: { path: tempDir('inc-reports-') },
        services: [{ name: 'cart', url: 'http://cart.internal' }],
        jobs: [
          { id: 'cart-errors', type: 'error-rate', params: { service: 'cart' } },
          { id: 'cart-health', type: 'health-check', params: { service: 'cart' } },
        ],
        incidents: { openAfter: 2, resolveAfter: 2 },
      });
      manager = new IncidentManager({
        config,
        store,
        queue: new InlineQueue(),
        logger: silentLogger,
        feeds: jobFeeds,
        clock: clockAt(() => clock),
      });
    });

    let n = 0;
    /** Feeds runs of a job, one per minute: x critical, . ok. */
    const feed = async (jobId: string, outcomes: string) => {
      const job = config.jobs.find((j) => j.id === jobId)!;
      for (const o of outcomes) {
        clock += 60_000;
        const row = {
          id: `r${++n}`,
          jobId,
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
    const incidents = async () =>
      (
        await store.sql.query<{ id: string; status: string; signals: string[]; first_bad_at: Date; opened_at: Date }>(
          'select * from incidents order by opened_at',
        )
      ).rows;

    it('one blip opens nothing; two critical runs open one incident, and flapping keeps it the same one', async () => {
      await feed('cart-errors', 'x.x.');
      expect(await incidents()).toEqual([]);
      await feed('cart-errors', 'xx');
      const [opened] = await incidents();
      expect(opened).toMatchObject({ status: 'open', signals: ['error-rate'] });
      expect(opened!.opened_at.getTime() - opened!.first_bad_at.getTime()).toBe(60_000); // detected one run after the first
      await feed('cart-errors', '.x.x.x');
      expect(await incidents()).toEqual([expect.objectContaining({ id: opened!.id, status: 'open' })]);
      await feed('cart-errors', '..');
      expect(await incidents()).toEqual([expect.objectContaining({ id: opened!.id, status: 'resolved' })]);
      const { rows: events } = await store.sql.query<{ kind: string }>(
        'select kind from incident_events where incident_id = $1 order by at, id',
        [opened!.id],
      );
      expect(events.map((e) => e.kind)).toEqual([
        'opened',
        ...Array(8).fill('check'),
        'recovered',
        'resolved',
        'report',
      ]); // (earlier streak runs come from the runs table, empty here)
      const { rows: reports } = await store.sql.query<{ kind: string }>('select kind from reports');
      expect(reports).toEqual([{ kind: 'incident' }]);
    });

    it('a fan-out health check gives each service its own verdict', async () => {
      const cfg = parseConfig({
        reports: { path: tempDir('inc-fan-') },
        services: [
          { name: 'cart', url: 'http://cart.internal' },
          { name: 'pay', url: 'http://pay.internal' },
        ],
        jobs: [{ id: 'all-health', type: 'health-check', params: { services: ['*'] } }],
      });
      const fan = new IncidentManager({
        config: cfg,
        store,
        queue: new InlineQueue(),
        logger: silentLogger,
        feeds: jobFeeds,
        clock: clockAt(() => clock),
      });
      for (let i = 0; i < 2; i++) {
        clock += 60_000;
        fan.observe(
          {
            id: `fan-${i}`,
            jobId: 'all-health',
            jobType: 'health-check',
            status: 'critical',
            summary: '1 of 2 services healthy; not: pay',
            params: null,
            finishedAt: new Date(clock),
            findings: [
              {
                severity: 'critical',
                check: 'http.status',
                resource: 'service/pay',
                message: 'status 503, expected 200',
              },
            ],
          } as unknown as RunRow,
          cfg.jobs[0],
        );
        await fan.idle();
      }
      expect((await incidents()).map((i) => [i.id.startsWith('inc-'), i.status, i.signals])).toEqual([
        [true, 'open', ['health']],
      ]);
      const { rows } = await store.sql.query<{ service: string; state: string }>(
        `select service, state from signal_states where signal = 'health' order by service`,
      );
      expect(rows).toEqual([
        { service: 'cart', state: 'healthy' },
        { service: 'pay', state: 'failing' },
      ]);
    });

    it('a second signal on the same service joins the open incident, and both must recover', async () => {
      await feed('cart-errors', 'xx');
      await feed('cart-health', 'xx');
      const [incident, ...others] = await incidents();
      expect(others).toEqual([]);
      expect(incident!.signals).toEqual(['error-rate', 'health']);
      await feed('cart-errors', '..');
      expect((await incidents())[0]!.status).toBe('open'); // health still failing
      await feed('cart-health', '..');
      expect((await incidents())[0]!.status).toBe('resolved');
    });
  });

  describe('end to end', () => {
    let app: Opscron | null = null;
    let shop: Server;
    let smtp: TestSmtp;
    const state = { degraded: false, scrapes: 0, ok: 0, failed: 0, resets: 0 };

    beforeAll(async () => {
      // The service: /metrics counters grow on every scrape, with 20 % 503s while degraded;
      // its breaker reset is what cures it.
      shop = createServer((req, res) => {
        if (req.url === '/metrics') {
          state.scrapes++;
          state.ok += 400;
          if (state.degraded) state.failed += 100;
          res.end(
            `# TYPE http_requests_total counter\nhttp_requests_total{code="200"} ${state.ok}\nhttp_requests_total{code="503"} ${state.failed}\n`,
          );
        } else if (req.method === 'POST' && req.url === '/admin/reset-breakers') {
          state.resets++;
          state.degraded = false;
          res.end('{"reset":true}');
        } else res.end('{"status":"ok"}');
      });
      await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r));
      smtp = await startSmtp();
    });
    afterAll(async () => {
      await app?.stop();
      await smtp.stop();
      await new Promise((r) => shop.close(r));
    });

    it('degrades, opens, alerts, remediates, recovers, resolves and mails the incident report', async () => {
      const url = `http://127.0.0.1:${(shop.address() as { port: number }).port}`;
      const config = parseConfig({
        store: { databaseUrl: await createDatabase('incidents_e2e') },
        queue: { redisUrl: process.env.OPSCRON_TEST_REDIS_URL, name: `incidents-${Date.now()}` },
        http: {
          port: 0,
          host: '127.0.0.1',
          tokens: [{ name: 'oncall', token: 'oncall-token-0123456789', scope: 'read' }],
        },
        reports: { path: tempDir('e2e-reports-'), recipients: { incident: ['oncall@example.com'] } },
        email: { smtpUrl: smtp.url, caFile: smtp.caFile },
        services: [{ name: 'shop', url, breakerResetPath: '/admin/reset-breakers' }],
        jobs: [
          {
            id: 'shop-errors',
            type: 'error-rate',
            schedule: '* * * * * *',
            timeout: '5s',
            params: { service: 'shop', window: '200ms', minRequests: 10 },
          },
          { id: 'shop-reset', type: 'reset-breakers', params: { services: ['shop'] } },
        ],
        incidents: { openAfter: 2, resolveAfter: 2, remediation: { shop: [{ job: 'shop-reset' }] } },
      });
      state.degraded = true;
      app = await startOpscron({ config, logger: silentLogger, metrics: new Metrics() });
      const api = async (path: string): Promise<any> =>
        (
          await fetch(`${app!.address}${path}`, { headers: { authorization: 'Bearer oncall-token-0123456789' } })
        ).json();

      // Opened after two critical runs, with the alert in the inbox.
      const alert = await eventually(
        async () => smtp.received.find((m) => m.mail.subject?.startsWith('[opscron] INCIDENT')),
        'the alert email',
        30_000,
      );
      expect(alert.to).toEqual(['oncall@example.com']);
      expect(alert.mail.subject).toMatch(
        /^\[opscron\] INCIDENT inc-\d{8}T\d{6}Z-[0-9a-f]{4}: error-rate critical on shop$/,
      );
      expect(alert.mail.text).toMatch(
        /Evidence \(the runs that opened it\):[\s\S]*CRITICAL[\s\S]*20\.00 % of requests failed with 5xx/,
      );
      expect(alert.mail.text).toContain('Remediation, in order: shop-reset.');
      const id = /INCIDENT (inc-\S+):/.exec(alert.mail.subject!)![1]!;

      // Remediation ran through the queue, audited as the incident's doing; the service recovered.
      await eventually(async () => state.resets === 1, 'the breaker reset', 20_000);
      // Resolved after two healthy runs; the report follows by email.
      const report = await eventually(
        async () => smtp.received.find((m) => m.mail.subject?.includes('Incident ')),
        'the incident report email',
        30_000,
      );
      expect(report.to).toEqual(['oncall@example.com']);
      expect(report.mail.subject).toMatch(new RegExp(`^\\[opscron\\] Incident ${id}: error-rate critical on shop: OK`));
      const pdf = report.mail.attachments[0]!.content;
      const file = join(tempDir('inc-pdf-'), 'incident.pdf');
      writeFileSync(file, pdf);
      const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
      expect(text).toContain(`Incident ${id}: error-rate critical on shop`);
      for (const kind of ['opened', 'notified', 'remediation-started', 'remediation-finished', 'recovered', 'resolved'])
        expect(text).toContain(kind);
      expect(text).toMatch(/shop-reset ok: reset breakers of shop/);
      expect(text).toMatch(/Time to detect\s+\d+\s?s/);

      const incident = await api(`/api/incidents/${id}`);
      expect(incident).toMatchObject({
        id,
        service: 'shop',
        status: 'resolved',
        signals: ['error-rate'],
        reportId: expect.stringMatching(/^incident-/),
      });
      expect(incident.events.filter((e: { kind: string }) => e.kind === 'remediation-finished')).toEqual([
        expect.objectContaining({ signal: 'shop-reset', message: expect.stringMatching(/^shop-reset ok/) }),
      ]);
      const audit = await listAudit(app.store.sql);
      expect(audit).toContainEqual(
        expect.objectContaining({
          actor: 'opscron/incidents',
          source: 'incident',
          jobId: 'shop-reset',
          reason: `incident ${id}: remediation step 1 of 1`,
        }),
      );
      expect((await api('/api/incidents?status=open')).incidents).toEqual([]);
      // One outage, one incident, one alert, one report.
      expect((await api('/api/incidents')).incidents).toHaveLength(1);
      expect(smtp.received).toHaveLength(2);
    });
  });
});
