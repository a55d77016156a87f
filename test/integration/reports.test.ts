/**
 * Reports end to end on real parts: PostgreSQL or the embedded SQLite holds the runs, pdfkit renders, poppler's
 * pdftotext/pdfinfo/pdffonts read the PDF back, a real SMTP server (smtp-server, with
 * STARTTLS) receives the mail, the outbox writes .eml files, and the HTTP API serves the
 * stored PDF. SMTP down then up: delivered once, not lost, not duplicated.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { startOpscron, type Opscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import type { OpscronConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { jobFeeds } from '../../src/jobs/index.js';
import { DeliveryWorker } from '../../src/reports/deliver/outbox.js';
import { renderReport } from '../../src/reports/pdf/render.js';
import { buildReport, produceReport } from '../../src/reports/publish.js';
import { bucketOf, bucketValue, histogramMetrics, histogramOf, RELATIVE_ERROR } from '../../src/analysis/histogram.js';
import { summarize } from '../../src/analysis/percentiles.js';
import { HISTOGRAM_PREFIX } from '../../src/jobs/latency-check.js';
import type { RunRow } from '../../src/model.js';
import { openStore, type Store } from '../../src/store/index.js';
import { FakeClock } from '../support/fake-clock.js';
import { runRow } from '../support/run-row.js';
import { tempDir } from '../support/cli.js';
import { createDatabase, freePort } from '../support/services.mjs';
import { startSmtp, testSmtpCa, type TestSmtp } from '../support/smtp.js';
import { eventually } from '../support/target.js';

const TO = new Date('2026-11-26T00:00:00Z');
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function pdfText(pdf: Buffer): string {
  const file = join(tempDir('pdf-'), 'r.pdf');
  writeFileSync(file, pdf);
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
}
function pdfTool(tool: string, pdf: Buffer): string {
  const file = join(tempDir('pdf-'), 'r.pdf');
  writeFileSync(file, pdf);
  return execFileSync(tool, [file], { encoding: 'utf8' });
}

/** Two days of hourly checks: checkout always up; search down for 3 hours on the 25th. */
async function seed(store: Store): Promise<void> {
  const run = runRow;
  const rows: RunRow[] = [];
  for (const svc of ['checkout', 'search'])
    for (let h = 0; h < 48; h++) {
      const t = new Date(TO.getTime() - (h + 1) * 3_600_000);
      const down = svc === 'search' && h >= 10 && h <= 12;
      rows.push(
        run({
          id: `${svc}-${h}`,
          jobId: `hc-${svc}`,
          jobType: 'health-check',
          createdAt: t,
          startedAt: t,
          finishedAt: new Date(t.getTime() + 30),
          status: down ? 'critical' : 'ok',
          summary: 'x',
          findings: down
            ? [
                {
                  severity: 'critical',
                  check: 'http.status',
                  resource: `service/${svc}`,
                  message: 'status 503, expected 200',
                  remedy: "Check search's dependencies.",
                },
              ]
            : [],
          metrics: { responseTimeMs: svc === 'checkout' ? 40 + (h % 5) : 200 },
        }),
      );
    }
  rows.push(
    run({
      id: 'er-1',
      jobId: 'er-checkout',
      jobType: 'error-rate',
      createdAt: new Date('2026-11-25T12:00:00Z'),
      status: 'warning',
      metrics: { requests: 20000, errors: 300, errorRatio: 0.015, errorBudgetRemaining: 0.62 },
    }),
  );
  expect(await store.runs.insertNew(rows)).toHaveLength(rows.length);
  await store.sql.query(
    `insert into incidents (id, service, title, status, severity, opened_at, first_bad_at, resolved_at, signals)
     values ('inc-20261125-search', 'search', 'health-check critical', 'resolved', 'critical', $1, $2, $3, '["health"]')`,
    [new Date('2026-11-25T11:10:00Z'), new Date('2026-11-25T11:00:00Z'), new Date('2026-11-25T14:05:00Z')],
  );
}

/** A week earlier, its own two days: fan-out health checks and latency-check histograms. */
const FLEET_TO = new Date('2026-11-19T00:00:00Z');

/**
 * Hourly runs of one health-check over two services (`services: [cart, ledger]`): cart
 * always up in 30 ms; ledger down 6 hours on the 18th, up in 100 ms otherwise but 900 ms
 * in 4 of them. And ten latency-check runs of api, 100 probes each: nine at 20 ms, one at 900 ms.
 */
function fleetRuns(): RunRow[] {
  const rows: RunRow[] = [];
  for (let h = 0; h < 48; h++) {
    const t = new Date(FLEET_TO.getTime() - (h + 1) * 3_600_000);
    const down = h >= 2 && h <= 7;
    const ledgerMs = h % 10 === 0 ? 900 : 100;
    rows.push(
      runRow({
        id: `fleet-${h}`,
        jobId: 'hc-fleet',
        jobType: 'health-check',
        createdAt: t,
        finishedAt: t,
        status: down ? 'critical' : 'ok',
        params: {}, // what a scheduled run records: no overrides (the services are the job's own)
        findings: down
          ? [
              {
                severity: 'critical',
                check: 'http.status',
                resource: 'service/ledger',
                message: 'status 503, expected 200',
              },
            ]
          : [],
        // What the run says across its services: not any one service's figures.
        metrics: { targets: 2, healthy: down ? 1 : 2, failing: down ? 1 : 0, p50Ms: 30, p95Ms: down ? 30 : ledgerMs },
        targets: [
          { service: 'cart', status: 'ok', ms: 30 },
          down ? { service: 'ledger', status: 'critical' } : { service: 'ledger', status: 'ok', ms: ledgerMs },
        ],
      }),
    );
  }
  // A run of the fan-out that failed as a whole (the worker lost its connection): it checked no service.
  const lost = new Date(FLEET_TO.getTime() - 30 * 60_000);
  rows.push(
    runRow({
      id: 'fleet-lost',
      jobId: 'hc-fleet',
      jobType: 'health-check',
      createdAt: lost,
      finishedAt: lost,
      status: 'failed',
      error: 'connection reset',
    }),
  );
  for (let i = 0; i < 10; i++) {
    const t = new Date(FLEET_TO.getTime() - (i + 1) * 3_600_000);
    const probes: number[] = Array(100).fill(i === 3 ? 900 : 20);
    const { p50, p95, p99 } = summarize(probes);
    rows.push(
      runRow({
        id: `latency-${i}`,
        jobId: 'lc-api',
        jobType: 'latency-check',
        createdAt: t,
        status: 'ok',
        params: {},
        metrics: {
          p50Ms: p50,
          p95Ms: p95,
          p99Ms: p99,
          probes: 100,
          ...histogramMetrics(histogramOf(probes), HISTOGRAM_PREFIX),
        },
      }),
    );
  }
  return rows;
}

/** The same reports from either store: PostgreSQL (DATABASE_URL) and the embedded SQLite. */
const backends = [
  ['PostgreSQL', async () => ({ databaseUrl: await createDatabase('reports') })],
  ['SQLite', async () => ({ path: join(tempDir('reports-db-'), 'db') })],
] as const;

describe.each(backends)('reports on %s', (_name, storeConfig) => {
  let storeOptions: { databaseUrl?: string; path?: string };
  let store: Store;
  let reportsDir: string;
  const smtps: TestSmtp[] = [];

  const config = (over: Record<string, unknown> = {}): OpscronConfig =>
    parseConfig({
      timezone: 'UTC',
      store: storeOptions,
      reports: { path: reportsDir, recipients: { health: ['lead@example.com', 'ops@example.com'] } },
      services: [
        { name: 'checkout', url: 'http://checkout.internal' },
        { name: 'search', url: 'http://search.internal' },
      ],
      jobs: [
        { id: 'hc-checkout', type: 'health-check', params: { service: 'checkout' } },
        { id: 'hc-search', type: 'health-check', params: { service: 'search' } },
        { id: 'er-checkout', type: 'error-rate', params: { service: 'checkout' } },
      ],
      ...over,
    });

  beforeAll(async () => {
    storeOptions = await storeConfig();
    store = await openStore({ path: 'unused', ...storeOptions });
    await seed(store);
    expect(await store.runs.insertNew(fleetRuns())).toHaveLength(59);
  });
  beforeEach(() => {
    reportsDir = tempDir('reports-');
  });
  afterAll(async () => {
    await store.close();
    for (const s of smtps) await s.stop();
  });

  it('the health report PDF shows each service, its numbers, the incident and the period', async () => {
    const produced = await produceReport(
      { store, config: config(), feeds: jobFeeds, now: () => TO },
      { kind: 'health', lengthMs: 2 * 86_400_000, email: false },
    );
    const text = pdfText(produced.pdf);
    expect(text).toContain('Service health report');
    expect(text).toContain('2026-11-24 00:00 – 2026-11-26 00:00 (UTC)');
    expect(text).toMatch(/checkout\s+warning\s+100\.00 %\s+48\s+42 ms/); // 1.5 % 5xx makes it a warning
    expect(text).toMatch(/search\s+critical\s+93\.75 %\s+48\s+200 ms/); // 45 of 48 checks passed
    expect(text).toContain('1.50 %'); // checkout's error rate
    expect(text).toContain('62.0 %'); // its SLO budget left
    expect(text).toMatch(
      /inc-20261125-search\s+search\s+2026-11-25 11:10\s+2026-11-25 14:05\s+10 min 0 s\s+2 h 55 min/,
    );
    expect(text).toMatch(/service\/search\s+http\.status\s+critical\s+3/);
    expect(text).toContain("Check search's dependencies.");
    expect(text).toMatch(/hc-search\s+health-check\s+48\s+45\s+0\s+3/);
    expect(text).toMatch(/Page 1 of \d/);
    expect(text).toContain('Availability by day');

    const info = pdfTool('pdfinfo', produced.pdf);
    expect(info).toMatch(/Title:\s+Service health report/);
    expect(info).toMatch(/Subject:\s+health report, 2026-11-24 00:00/);
    expect(info).toMatch(/CreationDate:\s+Thu Nov 26 00:00:00 2026 UTC/);
    const fonts = pdfTool('pdffonts', produced.pdf);
    expect(fonts).toMatch(/DejaVuSans\s.*yes\s+yes/); // embedded, subset
    expect(fonts).not.toMatch(/Helvetica/);
  });

  it("counts a fan-out health check per service, from each service's own result in the run", async () => {
    const cfg = config({
      services: [
        { name: 'cart', url: 'http://cart.internal' },
        { name: 'ledger', url: 'http://ledger.internal' },
      ],
      jobs: [{ id: 'hc-fleet', type: 'health-check', params: { services: ['cart', 'ledger'] } }],
    });
    const { report } = await buildReport(
      { store, config: cfg, feeds: jobFeeds, now: () => FLEET_TO },
      { kind: 'health', lengthMs: 2 * 86_400_000 },
    );
    if (report.kind !== 'health') throw new Error(report.kind);
    const rows = report.services.data!.map((r) => [r.service, r.status, r.checks, r.availability, r.p50Ms, r.p95Ms]);
    // Not one row for the job "hc-fleet" at 42/48: one per service, with its own checks and times.
    expect(rows).toEqual([
      ['cart', 'ok', 48, 1, 30, 30],
      ['ledger', 'critical', 48, 42 / 48, 100, 900],
    ]);
    const ledger = report.services.data!.find((r) => r.service === 'ledger')!;
    expect(ledger.availabilityByDay).toEqual([
      { day: '2026-11-17', value: 1 },
      { day: '2026-11-18', value: 18 / 24 },
    ]);
    const text = pdfText(
      (
        await produceReport(
          { store, config: cfg, feeds: jobFeeds, now: () => FLEET_TO },
          { kind: 'health', lengthMs: 2 * 86_400_000, email: false },
        )
      ).pdf,
    );
    expect(text).toMatch(/cart\s+ok\s+100\.00 %\s+48\s+30 ms\s+30 ms/);
    expect(text).toMatch(/ledger\s+critical\s+87\.50 %\s+48\s+100 ms\s+900 ms/);
    expect(text).not.toMatch(/hc-fleet\s+(ok|warning|critical)\s+\d/);
  });

  it("reads the performance report's percentiles from the runs' merged histograms, not an average of their p95s", async () => {
    const cfg = config({
      services: [{ name: 'api', url: 'http://api.internal' }],
      jobs: [{ id: 'lc-api', type: 'latency-check', params: { service: 'api' } }],
    });
    const { report } = await buildReport(
      { store, config: cfg, feeds: jobFeeds, now: () => FLEET_TO },
      { kind: 'performance', lengthMs: 2 * 86_400_000 },
    );
    if (report.kind !== 'performance') throw new Error(report.kind);
    const [api] = report.latency.data!;
    // The mean of the ten runs' p95s is 108 ms; a tenth of all probes took 900 ms, so the p95 is 900 ms.
    expect(api!.service).toBe('api');
    expect(Math.abs(api!.p95Ms! - 900) / 900).toBeLessThanOrEqual(RELATIVE_ERROR);
    expect(Math.abs(api!.p50Ms! - 20) / 20).toBeLessThanOrEqual(RELATIVE_ERROR);
    // The 18th (all ten runs) has the p95 of its own samples; the 17th had no run.
    const slow = Math.round(bucketValue(bucketOf(900)));
    expect(api!.p95ByDay.map((d) => d.value && Math.round(d.value))).toEqual([null, slow]);
    const text = pdfText(
      (
        await produceReport(
          { store, config: cfg, feeds: jobFeeds, now: () => FLEET_TO },
          { kind: 'performance', lengthMs: 2 * 86_400_000, email: false },
        )
      ).pdf,
    );
    expect(text).toMatch(new RegExp(`api\\s+20 ms\\s+${slow} ms\\s+${slow} ms`));
    expect(text.replace(/\s+/g, ' ')).toContain('never its percentiles averaged; within 4.8 % of the exact value');
  });

  it('weighs the cache hit ratio by lookups: a busy hour at 99 % and a quiet one at 0 % are 99 %, not their mean', async () => {
    const at = (h: number) => new Date(FLEET_TO.getTime() - h * 3_600_000);
    const runs = [
      { id: 'ch-busy', hits: 990_000, misses: 10_000, h: 3 },
      { id: 'ch-quiet', hits: 0, misses: 10, h: 2 },
      // Before the interval figures were kept: nothing to weigh, so not counted.
      { id: 'ch-old', hits: null, misses: null, h: 1 },
    ].map((r) =>
      runRow({
        id: r.id,
        jobId: 'sessions-cache',
        jobType: 'cache-health',
        createdAt: at(r.h),
        status: 'ok',
        metrics:
          r.hits === null
            ? { hitRatio: 0.5 }
            : { intervalHits: r.hits, intervalMisses: r.misses, intervalHitRatio: r.hits / (r.hits + r.misses) },
      }),
    );
    expect(await store.runs.insertNew(runs)).toHaveLength(3);
    const cfg = config({
      caches: [{ name: 'sessions', url: 'redis://127.0.0.1:1' }],
      jobs: [{ id: 'sessions-cache', type: 'cache-health', params: { cache: 'sessions' } }],
    });
    const { report } = await buildReport(
      { store, config: cfg, feeds: jobFeeds, now: () => FLEET_TO },
      { kind: 'performance', lengthMs: 86_400_000 },
    );
    if (report.kind !== 'performance') throw new Error(report.kind);
    expect(report.cache.data).toEqual([
      expect.objectContaining({ cache: 'sessions-cache', hitRatio: expect.closeTo(990_000 / 1_000_010, 9) }),
    ]);
  });

  it('renders byte for byte the same under a fixed clock', async () => {
    const { report } = await buildReport(
      { store, config: config(), feeds: jobFeeds, now: () => TO },
      { kind: 'health', lengthMs: 2 * 86_400_000 },
    );
    const [a, b] = [await renderReport(report), await renderReport(report)];
    expect(a.length).toBeGreaterThan(5_000);
    expect(sha256(a)).toBe(sha256(b));
  });

  it('a period with no data renders every section with its "no data" statement', async () => {
    const now = new Date('2025-01-10T00:00:00Z');
    for (const kind of ['health', 'performance', 'compliance'] as const) {
      const produced = await produceReport(
        { store, config: config({ services: [], jobs: [] }), feeds: jobFeeds, now: () => now },
        { kind, email: false },
      );
      const text = pdfText(produced.pdf).replace(/\s+/g, ' ');
      const expected = {
        health: [
          'No services are configured and no health checks ran in this period.',
          'No check failed or warned in this period.',
          'No incident was open in this period.',
          'No SLO is configured',
          'No job ran in this period.',
        ],
        performance: [
          'No latency recorded in this period: no latency-check run reported it.',
          'No error rate recorded',
          'No resource usage finding recorded',
          'No slow query recorded',
          'No cache hit ratio recorded',
        ],
        compliance: [
          'No audit-review run ended in this period',
          'No backup job (db-backup, config-backup) is configured or has run',
          'Nobody ran a destructive action',
          'No job ran in this period.',
        ],
      }[kind];
      for (const sentence of expected) expect(text).toContain(sentence);
    }
  });

  it('stores the PDF under <root>/<kind>/<yyyy>/<mm>/<id>.pdf, indexed with size and checksum, and keeps at most maxCount', async () => {
    const cfg = config({ reports: { path: reportsDir, maxCount: 2 } });
    const made = [];
    for (let i = 0; i < 3; i++)
      made.push(
        await produceReport(
          { store, config: cfg, feeds: jobFeeds, now: () => new Date(TO.getTime() + i * 1000) },
          { kind: 'performance', email: false },
        ),
      );
    const first = made[0]!.record;
    expect(first.storageKey).toMatch(/^performance\/2026\/11\/performance-20261126T000000Z-[0-9a-f]{6}\.pdf$/);
    const kept = await store.reports.list({ kind: 'performance', limit: 10 });
    expect(kept.map((r) => r.id)).toEqual([made[2]!.record.id, made[1]!.record.id]);
    expect(existsSync(join(reportsDir, first.storageKey))).toBe(false);
    const file = readFileSync(join(reportsDir, made[2]!.record.storageKey));
    expect(file.length).toBe(kept[0]!.bytes);
    expect(sha256(file)).toBe(kept[0]!.sha256);
  });

  it('emails the report over STARTTLS to its recipients with the PDF attached', async () => {
    const smtp = await startSmtp();
    smtps.push(smtp);
    const cfg = config({
      email: { smtpUrl: smtp.url, requireTLS: true, caFile: smtp.caFile, from: 'opscron <opscron@example.com>' },
    });
    const produced = await produceReport(
      { store, config: cfg, feeds: jobFeeds, now: () => TO },
      { kind: 'health', lengthMs: 2 * 86_400_000 },
    );
    const metrics = new Metrics();
    const worker = new DeliveryWorker({ config: cfg, store, logger: silentLogger, metrics });
    expect(await worker.runOnce()).toBe(1);
    await worker.stop();
    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail!.secure).toBe(true);
    expect(mail!.to).toEqual(['lead@example.com', 'ops@example.com']);
    expect(mail!.mail.subject).toBe('[opscron] Service health report: CRITICAL (2026-11-24 – 2026-11-26)');
    expect(mail!.mail.text).toContain('0 of 2 services healthy; lowest availability: search 93.75 %; 1 incident.');
    expect(mail!.mail.html).toContain('Service health report');
    const [attachment] = mail!.mail.attachments;
    expect(attachment).toMatchObject({ contentType: 'application/pdf', filename: `${produced.record.id}.pdf` });
    expect(sha256(attachment!.content)).toBe(produced.record.sha256);
    expect(await metrics.registry.getSingleMetricAsString('opscron_report_deliveries_total')).toContain(
      'opscron_report_deliveries_total{channel="email",status="sent"} 1',
    );
    expect((await store.deliveries.ofReport(produced.record.id))[0]).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('with SMTP down the report stays stored and is sent once when the server comes back', async () => {
    const port = await freePort();
    const cfg = config({
      email: {
        smtpUrl: `smtp://127.0.0.1:${port}`,
        caFile: testSmtpCa(),
        retry: { attempts: 100, backoff: 100, maxBackoff: 300 },
      },
    });
    const produced = await produceReport(
      { store, config: cfg, feeds: jobFeeds, now: () => new Date() },
      { kind: 'health' },
    );
    const metrics = new Metrics();
    const worker = new DeliveryWorker({ config: cfg, store, logger: silentLogger, metrics });
    worker.start();
    try {
      const retries = async () =>
        Number(
          /channel="email",status="retry"} (\d+)/.exec(
            await metrics.registry.getSingleMetricAsString('opscron_report_deliveries_total'),
          )?.[1] ?? 0,
        );
      await eventually(async () => (await retries()) >= 3, 'three failed attempts counted', 15_000);
      const [pending] = await store.deliveries.ofReport(produced.record.id);
      expect(pending).toMatchObject({ status: 'pending', lastError: expect.stringMatching(/ECONNREFUSED/) });
      expect(pending!.attempts).toBeGreaterThanOrEqual(3);
      expect(existsSync(join(reportsDir, produced.record.storageKey))).toBe(true);

      const smtp = await startSmtp(port);
      smtps.push(smtp);
      await eventually(
        async () => (await store.deliveries.ofReport(produced.record.id))[0]!.status === 'sent',
        'the delivery to be sent',
        15_000,
      );
      await new Promise((r) => setTimeout(r, 1_000)); // several more polls: nothing is sent twice
      expect(smtp.received).toHaveLength(1);
      expect(smtp.received[0]!.mail.attachments[0]!.filename).toBe(`${produced.record.id}.pdf`);
    } finally {
      await worker.stop();
    }
  });

  it('without SMTP configured the mail is written to the outbox as an .eml file', async () => {
    const outbox = tempDir('outbox-');
    const cfg = config({ email: { outbox } });
    const produced = await produceReport(
      { store, config: cfg, feeds: jobFeeds, now: () => TO },
      { kind: 'health', lengthMs: 2 * 86_400_000 },
    );
    expect(produced.delivery).toMatchObject({ channel: 'outbox', recipients: ['lead@example.com', 'ops@example.com'] });
    const worker = new DeliveryWorker({ config: cfg, store, logger: silentLogger, metrics: new Metrics() });
    expect(await worker.runOnce()).toBe(1);
    await worker.stop();
    const files = readdirSync(outbox);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^${produced.record.id}\\.\\d+_opscron\\.eml$`));
    const mail = await simpleParser(readFileSync(join(outbox, files[0]!)));
    expect(mail.subject).toContain('Service health report');
    expect(sha256(mail.attachments[0]!.content)).toBe(produced.record.sha256);
  });

  describe('scheduled, through the engine and the API', () => {
    let app: Opscron | null = null;
    afterEach(async () => {
      await app?.stop();
      app = null;
    });

    it('the daily health report fires at its slot, is emailed, listed by the API and downloadable', async () => {
      const smtp = await startSmtp();
      smtps.push(smtp);
      const cfg = config({
        email: { smtpUrl: smtp.url, caFile: smtp.caFile },
        http: { port: 0, host: '127.0.0.1', tokens: [{ name: 'lead', token: 'read-token-0123456789', scope: 'read' }] },
        jobs: [{ id: 'daily-health', type: 'health-report', schedule: '0 7 * * *', params: { period: '2d' } }],
      });
      const clock = new FakeClock(Date.parse('2026-11-27T06:59:59Z'));
      app = await startOpscron({ config: cfg, logger: silentLogger, metrics: new Metrics(), clock });
      await clock.advanceTo(Date.parse('2026-11-27T07:00:01Z'), () => !app!.scheduler!.busy);
      await eventually(async () => smtp.received.length === 1, 'the report email', 30_000);
      const [mail] = smtp.received;
      expect(mail!.to).toEqual(['lead@example.com', 'ops@example.com']);
      expect(mail!.mail.subject).toMatch(/^\[opscron\] Service health report: /);

      const auth = { authorization: 'Bearer read-token-0123456789' };
      const list = (await (
        await fetch(`${app.address}/api/reports?kind=health&limit=5`, { headers: auth })
      ).json()) as any;
      const report = list.reports.find((r: { runId: string | null }) => r.runId !== null);
      expect(report).toMatchObject({ kind: 'health', title: 'Service health report' });
      const pdf = await fetch(`${app.address}${report.pdf}`, { headers: auth });
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      const bytes = Buffer.from(await pdf.arrayBuffer());
      expect(sha256(bytes)).toBe(report.sha256);
      expect(sha256(mail!.mail.attachments[0]!.content)).toBe(report.sha256);
      const detail = (await (await fetch(`${app.address}/api/reports/${report.id}`, { headers: auth })).json()) as any;
      expect(detail.deliveries).toEqual([expect.objectContaining({ status: 'sent', attempts: 1 })]);
      expect((await fetch(`${app.address}/api/reports/nope/pdf`, { headers: auth })).status).toBe(404);
      expect((await fetch(`${app.address}/api/reports?kind=weekly`, { headers: auth })).status).toBe(400);
      const readOnly = await fetch(`${app.address}/api/reports`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'health' }),
      });
      expect(readOnly.status).toBe(403); // building a report needs the trigger scope
    });
  });
});
