/**
 * The console in a real browser (headless Chromium): sign in, see a job, trigger it with a
 * param and watch the run go from queued to ok live (SSE), open a run's findings, pause and
 * resume, an incident's timeline, a report's PDF; a read token sees no trigger button and
 * a forged POST from another origin is refused; no console errors anywhere; axe-core finds
 * no serious violations on the main pages; pages read with JavaScript off.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startOpscron, type Opscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { listRuns } from '../../src/store/runs.js';
import { collectErrors, launchBrowser, seriousViolations } from '../support/browser.js';
import { tempDir } from '../support/cli.js';
import { runRow } from '../support/run-row.js';
import { createDatabase } from '../support/services.mjs';

const TOKENS = { reader: 'read-token-0123456789', boss: 'admin-token-0123456789' };

describe('web console in Chromium', () => {
  let app: Opscron;
  let browser: Browser;
  let base: string;
  let reportId: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    const databaseUrl = await createDatabase('console_browser');
    app = await startOpscron({
      config: parseConfig({
        store: { databaseUrl },
        reports: { path: tempDir('opscron-browser-reports-') },
        timezone: 'Europe/Berlin',
        http: {
          port: 0,
          host: '127.0.0.1',
          tokens: [
            { name: 'rita', token: TOKENS.reader, scope: 'read' },
            { name: 'ada', token: TOKENS.boss, scope: 'admin' },
          ],
        },
        jobs: [
          { id: 'nap', type: 'noop', schedule: '0 7 * * *' },
          { id: 'checkout-health', type: 'noop', schedule: '*/5 * * * *' },
        ],
      }),
      logger: silentLogger,
      metrics: new Metrics(),
    });
    base = app.address!;
    await seed(app);
    const made = await fetch(`${base}/api/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.boss}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'health', period: 86_400_000 }),
    });
    reportId = ((await made.json()) as { id: string }).id;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await app?.stop();
  });

  const signedIn = async (token: string, options: { javaScriptEnabled?: boolean } = {}): Promise<Page> => {
    const context = await browser.newContext({ baseURL: base, ...options });
    contexts.push(context);
    const page = await context.newPage();
    const mine = collectErrors(page);
    afterPages.push(mine);
    await page.goto('/');
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/`);
    return page;
  };
  const afterPages: string[][] = [];

  it('an admin signs in, triggers a job with a param and watches it go to ok live, then pauses and resumes it', async () => {
    const page = await signedIn(TOKENS.boss);
    expect(await page.getByRole('link', { name: 'nap', exact: true }).count()).toBe(1);
    expect(await page.getByRole('cell', { name: 'every day at 07:00 Europe/Berlin' }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('link', { name: 'nap', exact: true }).click();
    await page.getByLabel(/^sleep/).fill('1500');
    await page.getByLabel('Reason', { exact: true }).fill('browser test');
    await page.getByRole('button', { name: 'Trigger' }).click();
    await page.waitForURL(/\/runs\/nap__m[0-9a-f]{16}$/);
    const first = await page.locator('#run-status').textContent();
    expect(['queued', 'running']).toContain(first);
    // No reload by the test: the page follows the run over SSE and shows the finished run.
    await page.locator('#run-status', { hasText: 'ok' }).waitFor({ timeout: 15_000 });
    expect(await page.getByText('slept 1500 ms').count()).toBeGreaterThan(0);
    const runs = await listRuns(app.store.sql, { job: 'nap' });
    expect(runs[0]).toMatchObject({
      status: 'ok',
      requestedBy: 'ada',
      reason: 'browser test',
      params: { sleep: 1500 },
    });
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto('/jobs/nap');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('Reason for pausing').fill('maintenance window');
    await page.getByRole('button', { name: 'Pause schedule' }).click();
    await page.getByText('Schedule paused.').waitFor();
    await page.getByLabel('Reason for resuming').fill('done');
    await page.getByRole('button', { name: 'Resume schedule' }).click();
    await page.getByText('Schedule resumed.').waitFor();

    await page.goto('/audit');
    expect(await page.getByRole('cell', { name: 'maintenance window' }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('opens a run’s findings, an incident’s timeline and acknowledges it, and a report’s PDF', async () => {
    const page = await signedIn(TOKENS.boss);
    await page.goto('/runs/seeded-critical');
    expect(await page.getByRole('cell', { name: 'p99 latency 2.4 s is above 1 s' }).count()).toBe(1);
    expect(await page.getByRole('cell', { name: 'Scale the checkout deployment' }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto('/');
    await page.getByRole('link', { name: 'latency critical on checkout' }).click();
    for (const step of ['latency critical (1 of 2)', 'incident opened', 'email queued to oncall@example.com'])
      expect(await page.locator('ol.timeline li', { hasText: step }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await page.locator('ol.timeline li', { hasText: 'ada' }).waitFor();
    await page.goto('/incidents');
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto('/reports');
    expect(await seriousViolations(page)).toEqual([]);
    const pdf = page.waitForResponse((r) => r.url().endsWith(`/api/reports/${reportId}/pdf`));
    await page.goto(`/reports/${reportId}`);
    const response = await pdf;
    expect(response.status()).toBe(200);
    expect(response.headers()['content-type']).toBe('application/pdf');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('a read token sees no trigger button; a POST forged on another origin is refused', async () => {
    const page = await signedIn(TOKENS.reader);
    await page.goto('/jobs/nap');
    expect(await page.getByRole('button', { name: 'Trigger' }).count()).toBe(0);
    expect(await page.getByText('may read, not trigger').count()).toBe(1);

    // Another origin (same host, another port: the same site, so the cookie goes along) posts a form to the console.
    const evil = await evilSite(`${base}/jobs/nap/trigger`);
    try {
      const refused = page.waitForResponse((r) => r.url() === `${base}/jobs/nap/trigger`);
      await page.goto(evil.url);
      expect((await refused).status()).toBe(403);
    } finally {
      evil.server.close();
    }
    expect((await listRuns(app.store.sql, { job: 'nap' })).filter((r) => r.requestedBy === 'rita')).toEqual([]);
  });

  it('reads with JavaScript off', async () => {
    const page = await signedIn(TOKENS.reader, { javaScriptEnabled: false });
    expect(await page.getByRole('link', { name: 'checkout-health' }).count()).toBe(1);
    await page.goto('/runs/seeded-critical');
    expect(await page.getByRole('cell', { name: 'Scale the checkout deployment' }).count()).toBe(1);
  });

  it('logged no console error on any page', () => {
    // The forged POST's refusal is the one error expected (Chromium logs the 403 it navigated to).
    const refusal = `${base}/jobs/nap/trigger: Failed to load resource: the server responded with a status of 403 (Forbidden)`;
    expect(afterPages.flat().filter((e) => e !== refusal)).toEqual([]);
    expect(afterPages.flat()).toContain(refusal);
  });
});

async function seed(app: Opscron): Promise<void> {
  const now = Date.now();
  await app.store.runs.insertNew([
    runRow({
      id: 'seeded-critical',
      jobId: 'checkout-health',
      jobType: 'noop',
      createdAt: new Date(now - 60_000),
      startedAt: new Date(now - 60_000),
      finishedAt: new Date(now - 59_000),
      status: 'critical',
      summary: '1 critical finding',
      findings: [
        {
          severity: 'critical',
          check: 'latency.p99',
          resource: 'service/checkout',
          message: 'p99 latency 2.4 s is above 1 s',
          remedy: 'Scale the checkout deployment',
        },
      ],
      metrics: { p99_ms: 2400 },
    }),
  ]);
  await app.store.runLog.drain();
  await app.store.sql.query(
    // Notified already: the incident manager has nothing to send for it while the test looks.
    `insert into incidents (id, service, title, status, severity, opened_at, notified_at, signals) values ('inc-1', 'checkout', 'latency critical on checkout', 'open', 'critical', now() - interval '5 minutes', now() - interval '4 minutes', '["latency"]')`,
  );
  await app.store.sql.query(
    `insert into incident_events (incident_id, at, kind, signal, run_id, message) values
      ('inc-1', now() - interval '6 minutes', 'check', 'latency', 'seeded-critical', 'latency critical (1 of 2)'),
      ('inc-1', now() - interval '5 minutes', 'opened', 'latency', null, 'incident opened'),
      ('inc-1', now() - interval '4 minutes', 'notification', null, null, 'email queued to oncall@example.com')`,
  );
}

/** A page on another origin whose form posts itself to `target` as soon as it loads. */
async function evilSite(target: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html');
    response.end(
      `<!doctype html><title>evil</title><form method="post" action="${target}"><input name="p.sleep" value="1"></form><script>document.forms[0].submit()</script>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}
