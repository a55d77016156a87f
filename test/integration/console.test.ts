/**
 * The web console over real HTTP on PostgreSQL: signing in with a token (cookie, not the
 * token, in the browser), scopes as the API enforces them, CSRF and same-origin checks on
 * every change, the audit trail with source console, hostile text escaped on every page,
 * keyset paging of a job's history, live progress over SSE, and API clients unaffected.
 */
import { startOpscron, type Opscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { listAudit } from '../../src/store/audit.js';
import { ConsoleClient } from '../support/console-client.js';
import { tempDir } from '../support/cli.js';
import { runRow } from '../support/run-row.js';
import { createDatabase } from '../support/services.mjs';
import { eventually } from '../support/target.js';

const TOKENS = {
  reader: 'read-token-0123456789',
  operator: 'trigger-token-0123456789',
  boss: 'admin-token-0123456789',
};
const EVIL = `<script>alert("x")</script><img src=x onerror=alert(1)>`;

describe('web console', () => {
  let app: Opscron | null = null;
  let base: string;

  let databaseUrl: string;
  const start = async (readerToken = TOKENS.reader) => {
    databaseUrl ??= await createDatabase('console');
    app = await startOpscron({
      config: parseConfig({
        store: { databaseUrl },
        reports: { path: tempDir('opscron-console-reports-') },
        timezone: 'Europe/Berlin',
        http: {
          port: 0,
          host: '127.0.0.1',
          tokens: [
            { name: 'rita', token: readerToken, scope: 'read' },
            { name: 'otto', token: TOKENS.operator, scope: 'trigger' },
            { name: 'ada', token: TOKENS.boss, scope: 'admin' },
          ],
        },
        jobs: [
          { id: 'nap', type: 'noop', schedule: '0 7 * * *', params: { sleep: 0 } },
          { id: 'purge', type: 'noop', destructive: true },
        ],
      }),
      logger: silentLogger,
      metrics: new Metrics(),
    });
    base = app.address!;
  };
  const as = async (token: string) => {
    const client = new ConsoleClient(base);
    expect((await client.signIn(token)).status).toBe(303);
    return client;
  };

  beforeEach(async () => {
    databaseUrl = await createDatabase('console');
    await start();
  });
  afterEach(async () => {
    await app?.stop();
    app = null;
  });

  it('answers 429 after ten failed sign-ins a minute from one address, even to a right token', async () => {
    const client = new ConsoleClient(base);
    for (let i = 0; i < 10; i++) expect((await client.signIn(`wrong-token-number-${i}`)).status).toBe(401);
    const blocked = await client.signIn(TOKENS.reader);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('set-cookie')).toBeNull();
  });

  it('a session lives in the store: another process on it knows it; it ends when its token is rotated', async () => {
    const rita = await as(TOKENS.reader);
    expect((await rita.get('/')).status).toBe(200);
    await app!.stop();
    await start(); // a restart, or another replica on the same database
    rita.base = base;
    expect((await rita.get('/')).status).toBe(200);
    await app!.stop();
    await start('read-token-rotated-98765');
    rita.base = base;
    expect((await rita.get('/')).status).toBe(303);
    expect((await (await as('read-token-rotated-98765')).get('/')).status).toBe(200);
  });

  it('signs in with a token into an HttpOnly SameSite=Strict cookie; the token is nowhere in the pages; sign-out ends the session', async () => {
    const anonymous = new ConsoleClient(base);
    expect(await anonymous.get('/')).toMatchObject({ status: 303 });
    expect((await anonymous.get('/')).headers.get('location')).toBe('/login');
    const login = await anonymous.get('/login');
    expect(login.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(login.text).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script
    expect((await anonymous.signIn('not-a-token-of-ours')).status).toBe(401);

    const rita = new ConsoleClient(base);
    const answer = await rita.signIn(TOKENS.reader);
    expect(answer.status).toBe(303);
    expect(answer.headers.get('set-cookie')).toMatch(
      /^opscron_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
    );
    expect(rita.cookie).not.toContain(TOKENS.reader);
    const overview = await rita.get('/');
    expect(overview.status).toBe(200);
    expect(overview.text).toContain('every day at 07:00 Europe/Berlin');
    expect(overview.text).not.toContain(TOKENS.reader);

    const csrf = await rita.csrf('/');
    const old = rita.cookie;
    expect((await rita.post('/logout', { _csrf: csrf })).status).toBe(303);
    rita.cookie = old; // the cookie a thief kept: ended on the server, not only in the browser
    expect((await rita.get('/')).status).toBe(303);
    const audit = await listAudit(app!.store.sql);
    expect(audit.map((a) => [a.actor, a.source, a.action])).toContainEqual(['rita', 'console', 'sign-in']);
  });

  it('a read token sees no trigger or pause form, and its forged POSTs are refused as the API refuses them', async () => {
    const rita = await as(TOKENS.reader);
    const job = await rita.get('/jobs/nap');
    expect(job.status).toBe(200);
    expect(job.text).not.toContain('action="/jobs/nap/trigger"');
    expect(job.text).not.toContain('action="/jobs/nap/pause"');
    const csrf = await rita.csrf('/jobs/nap');
    const forged = await rita.post('/jobs/nap/trigger', { _csrf: csrf, 'p.sleep': '5' });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('this needs the trigger scope; token &quot;rita&quot; has read');
    expect((await rita.post('/jobs/nap/pause', { _csrf: csrf, reason: 'x' })).status).toBe(403);
    expect((await listAudit(app!.store.sql)).filter((a) => a.action !== 'sign-in')).toEqual([]);
  });

  it('refuses a change without the CSRF token, with another session’s, or from another site', async () => {
    const otto = await as(TOKENS.operator);
    const ada = await as(TOKENS.boss);
    const theirs = await ada.csrf('/jobs/nap');
    expect((await otto.post('/jobs/nap/trigger', {})).status).toBe(403);
    expect((await otto.post('/jobs/nap/trigger', { _csrf: theirs })).status).toBe(403);
    const mine = await otto.csrf('/jobs/nap');
    expect((await otto.post('/jobs/nap/trigger', { _csrf: mine }, { origin: 'https://evil.example' })).status).toBe(
      403,
    );
    expect((await otto.post('/jobs/nap/trigger', { _csrf: mine }, { 'sec-fetch-site': 'cross-site' })).status).toBe(
      403,
    );
    expect((await listAudit(app!.store.sql)).filter((a) => a.action !== 'sign-in')).toEqual([]);
    expect((await otto.post('/jobs/nap/trigger', { _csrf: mine })).status).toBe(303);
  });

  it('triggers with a param through the trigger boundary, audited as console with the token name; pause and resume need admin and a reason', async () => {
    const otto = await as(TOKENS.operator);
    const page = await otto.get('/jobs/nap');
    expect(page.text).toContain('name="p.sleep"'); // overridable
    const csrf = await otto.csrf('/jobs/nap');
    const queued = await otto.post('/jobs/nap/trigger', { _csrf: csrf, 'p.sleep': '20', reason: 'checking' });
    expect(queued.status).toBe(303);
    const runUrl = queued.headers.get('location')!;
    expect(runUrl).toMatch(/^\/runs\/nap__m[0-9a-f]{16}$/);
    await eventually(
      async () => /id="run-status" class="badge b-ok"/.test((await otto.get(runUrl)).text),
      'the run to finish ok',
    );
    // A destructive job is not the trigger scope's, whatever the form says.
    expect((await otto.post('/jobs/purge/trigger', { _csrf: csrf, confirm: 'true' })).status).toBe(403);
    expect((await otto.post('/jobs/nap/pause', { _csrf: csrf, reason: 'x' })).status).toBe(403);

    const ada = await as(TOKENS.boss);
    const adaCsrf = await ada.csrf('/jobs/nap');
    expect((await ada.post('/jobs/nap/pause', { _csrf: adaCsrf, reason: '' })).status).toBe(400);
    expect(
      (await ada.post('/jobs/nap/pause', { _csrf: adaCsrf, reason: 'db maintenance' })).headers.get('location'),
    ).toBe('/jobs/nap?notice=paused');
    expect((await ada.get('/jobs/nap?notice=paused')).text).toContain('Resume schedule');
    expect((await ada.post('/jobs/nap/resume', { _csrf: adaCsrf, reason: 'done' })).status).toBe(303);
    const purge = await ada.post('/jobs/purge/trigger', { _csrf: adaCsrf });
    expect(purge.status).toBe(400);
    expect(purge.text).toContain('purge is destructive: add confirm: true');
    expect((await ada.post('/jobs/purge/trigger', { _csrf: adaCsrf, confirm: 'true' })).status).toBe(303);

    const audit = await listAudit(app!.store.sql);
    expect(
      audit.filter((a) => a.action !== 'sign-in').map((a) => [a.actor, a.source, a.action, a.jobId, a.reason]),
    ).toEqual([
      ['ada', 'console', 'trigger-destructive', 'purge', null],
      ['ada', 'console', 'resume', 'nap', 'done'],
      ['ada', 'console', 'pause', 'nap', 'db maintenance'],
      ['otto', 'console', 'trigger', 'nap', 'checking'],
    ]);
    expect(audit.find((a) => a.action === 'trigger')!.params).toEqual({ sleep: 20 });
  });

  it('a param the type does not let a trigger tune is refused for a trigger token even when posted by hand', async () => {
    const otto = await as(TOKENS.operator);
    const csrf = await otto.csrf('/jobs/nap');
    const answer = await otto.post('/jobs/nap/trigger', { _csrf: csrf, 'p.__proto__': '1' });
    expect(answer.status).toBe(400);
    const nul = await otto.post('/jobs/nap/trigger', { _csrf: csrf, reason: 'a\u0000b' });
    expect(nul.status).toBe(400);
    expect(nul.text).toContain('reason: must not contain control characters');
    const bad = await otto.post('/jobs/nap/trigger', { _csrf: csrf, 'p.sleep': 'forever' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('params.sleep');
  });
});

describe('web console pages', () => {
  let app: Opscron | null = null;
  let base: string;

  beforeAll(async () => {
    const databaseUrl = await createDatabase('console_pages');
    app = await startOpscron({
      config: parseConfig({
        store: { databaseUrl },
        reports: { path: tempDir('opscron-console-reports-') },
        http: { port: 0, host: '127.0.0.1', tokens: [{ name: 'ada', token: TOKENS.boss, scope: 'admin' }] },
        jobs: [{ id: 'nap', type: 'noop', schedule: '*/5 * * * *' }],
      }),
      logger: silentLogger,
      metrics: new Metrics(),
    });
    base = app.address!;
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('escapes hostile text from runs, findings and incidents on every page', async () => {
    const at = new Date();
    await app!.store.runs.insertNew([
      runRow({
        id: 'evil-run',
        jobId: 'nap',
        jobType: 'noop',
        createdAt: at,
        status: 'critical',
        summary: EVIL,
        error: EVIL,
        findings: [{ severity: 'critical', check: EVIL, resource: EVIL, message: EVIL, remedy: EVIL }],
        metrics: { [EVIL]: 1 },
        requestedBy: EVIL,
        reason: EVIL,
      }),
    ]);
    await app!.store.runLog.drain();
    await app!.store.sql.query(
      `insert into incidents (id, service, title, status, severity, opened_at, signals) values ('inc-evil', $1, $1, 'open', 'critical', now(), '[]')`,
      [EVIL],
    );
    await app!.store.sql.query(
      `insert into incident_events (incident_id, at, kind, message) values ('inc-evil', now(), 'opened', $1)`,
      [EVIL],
    );
    const ada = await new ConsoleClient(base);
    await ada.signIn(TOKENS.boss);
    for (const path of ['/', '/jobs/nap', '/runs/evil-run', '/incidents', '/incidents/inc-evil']) {
      const page = await ada.get(path);
      expect(page.status).toBe(200);
      expect(page.text).not.toContain('<script>alert');
      expect(page.text).not.toContain('<img src=x');
      expect(page.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    }
  });

  it('pages a long history by keyset, newest first, with filters kept and no run shown twice', async () => {
    const t0 = Date.parse('2026-01-01T00:00:00Z');
    await app!.store.runs.insertNew(
      Array.from({ length: 120 }, (_, i) =>
        runRow({
          id: `page-${i}`,
          jobId: 'nap',
          jobType: 'noop',
          createdAt: new Date(t0 + i * 60_000),
          status: i % 3 === 0 ? 'failed' : 'ok',
        }),
      ),
    );
    await app!.store.runLog.drain();
    const ada = new ConsoleClient(base);
    await ada.signIn(TOKENS.boss);
    const ids = (text: string) => [...text.matchAll(/href="\/runs\/(page-\d+)"/g)].map((m) => m[1]!);
    const seen: string[] = [];
    let path: string | null = '/jobs/nap?status=failed';
    while (path) {
      const page = await ada.get(path);
      expect(page.status).toBe(200);
      seen.push(...ids(page.text));
      const next = /href="([^"]+)" rel="next"/.exec(page.text);
      path = next ? next[1]!.replace(/&amp;/g, '&') : null;
    }
    const failed = Array.from({ length: 40 }, (_, i) => `page-${117 - i * 3}`);
    expect(seen).toEqual(failed);
    expect((await ada.get('/jobs/nap?before=not-a-cursor')).status).toBe(400);
  });

  it('streams a run’s status over SSE until it ends', async () => {
    const ada = new ConsoleClient(base);
    await ada.signIn(TOKENS.boss);
    const csrf = await ada.csrf('/jobs/nap');
    const queued = await ada.post('/jobs/nap/trigger', { _csrf: csrf, 'p.sleep': '1500' });
    const runUrl = queued.headers.get('location')!;
    const response = await fetch(`${base}${runUrl}/events`, { headers: { cookie: ada.cookie! } });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const text = await response.text(); // the stream ends with the run
    const events = [...text.matchAll(/event: run\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!));
    expect(events.at(-1)).toMatchObject({ status: 'ok', finished: true });
    expect(events.some((e) => e.status === 'running' || e.status === 'queued')).toBe(true);
  });

  it('leaves API clients as they were: bearer tokens need no CSRF, a cookie alone changes nothing through the API', async () => {
    const bearer = { authorization: `Bearer ${TOKENS.boss}`, 'content-type': 'application/json' };
    const viaApi = await fetch(`${base}/api/jobs/nap/runs`, { method: 'POST', headers: bearer, body: '{}' });
    expect(viaApi.status).toBe(202);
    const ada = new ConsoleClient(base);
    await ada.signIn(TOKENS.boss);
    const ridden = await fetch(`${base}/api/jobs/nap/runs`, {
      method: 'POST',
      headers: { cookie: ada.cookie!, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(ridden.status).toBe(401);
    // Reading through the API with the session works (the report PDF a page shows).
    expect((await fetch(`${base}/api/jobs`, { headers: { cookie: ada.cookie! } })).status).toBe(200);
    expect((await fetch(`${base}/api/jobs`)).status).toBe(401);
  });

  it('shows a report with its PDF inline and the audit trail', async () => {
    const made = await fetch(`${base}/api/reports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.boss}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'health', period: 86_400_000 }),
    });
    expect(made.status).toBe(201);
    const report = (await made.json()) as { id: string; title: string };
    const ada = new ConsoleClient(base);
    await ada.signIn(TOKENS.boss);
    const list = await ada.get('/reports');
    expect(list.text).toContain(`href="/reports/${report.id}"`);
    const page = await ada.get(`/reports/${report.id}`);
    expect(page.text).toContain(`<iframe class="pdf" src="/api/reports/${report.id}/pdf"`);
    const pdf = await fetch(`${base}/api/reports/${report.id}/pdf`, { headers: { cookie: ada.cookie! } });
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    const audit = await ada.get('/audit');
    expect(audit.text).toMatch(/<td>ada<\/td>\s*<td>api<\/td>\s*<td>report<\/td>/);
  });
});
