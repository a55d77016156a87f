/**
 * Screenshots of the console's main pages for the README (docs/console-*.png), taken in
 * headless Chromium from an opscron on a temporary embedded store with a little history.
 * By hand, not in CI: `npm run build && node scripts/console-screenshots.js`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startOpscron } from '../dist/app.js';
import { parseConfig } from '../dist/configure.js';
import { silentLogger } from '../dist/observability/logger.js';
import { Metrics } from '../dist/observability/metrics.js';

const TOKEN = 'screenshot-admin-token-0123';
const dir = mkdtempSync(join(tmpdir(), 'opscron-shots-'));
const jobs = [
  ['checkout-health', '*/5 * * * *'],
  ['search-latency', '*/10 * * * *'],
  ['api-error-rate', '*/15 * * * *'],
  ['orders-db-health', '0 * * * *'],
  ['nightly-backup', '30 2 * * *'],
  ['backup-verify', '0 5 * * 1-5'],
  ['daily-health-report', '0 7 * * *'],
  ['weekly-compliance', '0 8 * * 1'],
];
const app = await startOpscron({
  config: parseConfig({
    store: { path: join(dir, 'db') },
    reports: { path: join(dir, 'reports') },
    timezone: 'Europe/Berlin',
    http: { port: 0, host: '127.0.0.1', tokens: [{ name: 'ada', token: TOKEN, scope: 'admin' }] },
    jobs: jobs.map(([id, schedule]) => ({ id, type: 'noop', schedule })),
  }),
  logger: silentLogger,
  metrics: new Metrics(),
});
try {
  const now = Date.now();
  const statuses = ['ok', 'ok', 'ok', 'warning', 'ok', 'critical', 'ok', 'ok', 'ok', 'ok'];
  const rows = [];
  jobs.forEach(([id], j) =>
    statuses.forEach((s, i) => {
      const status = j === 1 && i > 6 ? 'critical' : j % 3 === 0 ? 'ok' : s;
      const at = new Date(now - (10 - i) * 300_000 - j * 1000);
      rows.push({
        id: `${id}-${i}`,
        queueId: null,
        jobId: id,
        jobType: 'noop',
        trigger: 'schedule',
        scheduledFor: at,
        createdAt: at,
        startedAt: at,
        finishedAt: new Date(at.getTime() + 140 + i * 9),
        attempt: 1,
        status,
        summary: status === 'ok' ? 'all checks passed' : 'p99 latency above threshold',
        findings:
          status === 'ok'
            ? []
            : [
                {
                  severity: status,
                  check: 'latency.p99',
                  resource: 'service/search',
                  message: 'p99 latency 2.4 s is above 1 s',
                  remedy: 'Scale the search deployment (kubectl scale deploy/search --replicas=6)',
                },
                { severity: 'info', check: 'latency.p50', resource: 'service/search', message: 'p50 latency 180 ms' },
              ],
        metrics: { p50_ms: 180, p95_ms: 900, p99_ms: status === 'ok' ? 420 : 2400 },
        error: null,
        params: null,
        requestedBy: null,
        reason: null,
        worker: 'worker-1',
      });
    }),
  );
  await app.store.runs.insertNew(rows);
  await app.store.runLog.drain();
  await app.store.sql.query(
    `insert into incidents (id, service, title, status, severity, opened_at, signals) values ('inc-search', 'search', 'latency critical on search', 'open', 'critical', $1, '["latency"]')`,
    [new Date(now - 900_000)],
  );
  const events = [
    [1_200_000, 'check', 'latency critical (1 of 2)', 'search-latency-7'],
    [900_000, 'opened', 'incident opened: latency critical on search', 'search-latency-8'],
    [890_000, 'notified', 'email to oncall@example.com; slack #ops', null],
    [600_000, 'remediation-started', 'reset-breakers on search', null],
    [560_000, 'remediation-finished', 'reset-breakers ok: 3 breakers closed', null],
  ];
  for (const [ago, kind, message, runId] of events)
    await app.store.sql.query(
      `insert into incident_events (incident_id, at, kind, signal, run_id, message) values ('inc-search', $1, $2, 'latency', $3, $4)`,
      [new Date(now - ago), kind, runId, message],
    );
  await fetch(`${app.address}/api/reports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'health', period: 86_400_000 }),
  });

  const browser = await chromium.launch({
    executablePath: process.env.OPSCRON_CHROMIUM ?? '/usr/bin/chromium',
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  const page = await browser.newPage({ baseURL: app.address, viewport: { width: 1200, height: 700 } });
  await page.goto('/login');
  await page.screenshot({ path: 'docs/console-login.png' });
  await page.getByLabel('API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${app.address}/`);
  await page.screenshot({ path: 'docs/console-overview.png' });
  await page.goto('/jobs/search-latency');
  await page.screenshot({ path: 'docs/console-job.png', fullPage: false });
  await page.goto('/runs/search-latency-9');
  await page.screenshot({ path: 'docs/console-run.png' });
  await page.goto('/incidents/inc-search');
  await page.screenshot({ path: 'docs/console-incident.png' });
  await browser.close();
  console.log('docs/console-{login,overview,job,run,incident}.png written');
} finally {
  await app.stop();
  rmSync(dir, { recursive: true, force: true });
}
