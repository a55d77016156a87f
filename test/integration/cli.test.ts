/** The `opscron` command as an operator meets it: exit codes, and bad input that starts nothing. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runOpscron, spawnOpscron, tempDir, writeConfig } from '../support/cli.js';
import { freePort } from '../support/services.mjs';
import { eventually, Target } from '../support/target.js';

describe('opscron CLI', () => {
  let target: Target;
  beforeAll(async () => {
    target = await new Target().start();
  });
  afterAll(async () => {
    await target.stop();
  });

  const good = () => ({
    jobs: [{ id: 'web', type: 'health-check', schedule: '*/5 * * * *', params: { url: target.url('cli') } }],
  });

  it.each([
    ['malformed YAML', 'jobs:\n  - id: web\n   type: [oops\n', /line \d+, column \d+/],
    [
      'an unknown job type',
      { jobs: [{ id: 'web', type: 'db-bakup', schedule: '@daily' }] },
      /jobs\[0\]\.type: "db-bakup" — unknown job type; did you mean db-backup\? allowed: health-check, latency-check, error-rate, resource-usage, rollout, reset-breakers, db-health, query-analysis, db-backup, backup-verify, config-backup, cache-health, cache-optimize, cache-clear, clear-stuck, audit-review, log-analysis, debug-logging, health-report, performance-report, compliance-report, incident-report, noop/,
    ],
    [
      'a bad cron expression',
      { jobs: [{ id: 'web', type: 'health-check', schedule: '61 * * * *', params: { url: 'http://x/' } }] },
      /jobs\[0\]\.schedule: "61 \* \* \* \*" — minute must be 0-59/,
    ],
    [
      'an unknown time zone',
      { timezone: 'Europe/Atlantis', jobs: [] },
      /timezone: "Europe\/Atlantis" — must be an IANA time zone/,
    ],
    [
      'params that fail the schema',
      { jobs: [{ id: 'web', type: 'health-check', params: { url: 'ftp://x/' } }] },
      /jobs\[0\]\.params\.url: "ftp:\/\/x\/" — must be an http\(s\) URL/,
    ],
  ])('validate and start refuse %s, naming the cause, and start nothing', async (_what, config, message) => {
    const dir = tempDir();
    const file = writeConfig(dir, config);
    const validate = await runOpscron(['validate', '--config', file], { cwd: dir });
    expect(validate.code).toBe(3);
    expect(validate.stderr).toMatch(message);
    const port = await freePort();
    const start = await runOpscron(['start', '--config', file], { cwd: dir, env: { PORT: String(port) } });
    expect(start.code).toBe(3);
    expect(start.stderr).toMatch(message);
    expect(existsSync(join(dir, 'var'))).toBe(false); // no store was created: nothing started
  });

  it('refuses --role scheduler or worker without a shared queue and store', async () => {
    const dir = tempDir();
    const result = await runOpscron(['start', '--role', 'worker', '--config', writeConfig(dir, good())], {
      cwd: dir,
      env: { PORT: String(await freePort()) },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/--role worker needs a shared queue and store: set REDIS_URL and DATABASE_URL/);
    const badRole = await runOpscron(['start', '--role', 'boss', '--config', writeConfig(dir, good())], { cwd: dir });
    expect(badRole.code).not.toBe(0);
    expect(badRole.stderr).toMatch(/argument 'boss' is invalid. Allowed choices are all, scheduler, worker/);
  });

  it('validate says what it found in a good file', async () => {
    const dir = tempDir();
    const result = await runOpscron(['validate', '--config', writeConfig(dir, good())], { cwd: dir });
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toMatch(
      /configuration OK: 1 jobs \(1 scheduled\), 0 services, time zone UTC, queue embedded, store SQLite in \.\/var\/db/,
    );
  });

  it('run exits with the Nagios code of the outcome and records it in history', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, good());
    target.behaviour = {};
    expect((await runOpscron(['run', 'web', '--config', file], { cwd: dir })).code).toBe(0);
    target.behaviour = { delayMs: 300 };
    const slow = await runOpscron(['run', 'web', '--config', file, '--set', 'maxResponseTime=100ms', '--json'], {
      cwd: dir,
    });
    expect(slow.code).toBe(1);
    expect(JSON.parse(slow.stdout)).toMatchObject({ status: 'warning', findings: [{ check: 'http.response-time' }] });
    target.behaviour = { status: 500 };
    expect((await runOpscron(['run', 'web', '--config', file], { cwd: dir })).code).toBe(2);
    target.behaviour = {};
    // Bad params are refused before anything runs: exit 3, the field named, nothing recorded.
    const bad = await runOpscron(['run', 'web', '--config', file, '--set', 'expectStatus=abc'], { cwd: dir });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/bad params: params\.expectStatus: "abc"/);
    const unknown = await runOpscron(['run', 'nope', '--config', file], { cwd: dir });
    expect(unknown).toMatchObject({ code: 3 });
    expect(unknown.stderr).toMatch(/unknown job "nope"; configured jobs: web/);
    const history = await runOpscron(['history', 'web', '--config', file], { cwd: dir });
    expect(
      history.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[4]),
    ).toEqual(['critical', 'warning', 'ok']);
    const badLimit = await runOpscron(['history', '--limit', 'lots', '--config', file], { cwd: dir });
    expect(badLimit.code).toBe(3);
    expect(badLimit.stderr).toMatch(/--limit "lots": must be a whole number from 1 to 1000/);
    target.behaviour = {};
  });

  it('run shows the progress a long job reports', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, { jobs: [{ id: 'wait', type: 'noop', params: { sleep: '2500ms' } }] });
    const result = await runOpscron(['run', 'wait', '--config', file], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stderr.trim().split('\n')).toEqual([
      '[##########--------------]  40% slept 1000 of 2500 ms',
      '[###################-----]  80% slept 2000 of 2500 ms',
      '[########################] 100% slept 2500 of 2500 ms',
    ]);
    expect(result.stdout).toMatch(/^wait OK \(manual, attempt 1, 2\.\ds\): slept 2500 ms/);
  });

  it('start runs on the embedded default and stops cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const port = await freePort();
    const file = writeConfig(dir, {
      jobs: [{ id: 'tick', type: 'health-check', schedule: '* * * * * *', params: { url: target.url('start') } }],
    });
    const app = spawnOpscron(['start', '--config', file], { cwd: dir, env: { PORT: String(port) } });
    let stopped: number | null = null;
    try {
      await eventually(async () => target.count('start') >= 2, 'two scheduled runs', 15_000);
      const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
      expect(health).toMatchObject({ status: 'ok' });
    } finally {
      stopped = await app.stop(); // whatever happened: a failed test leaves no opscron running
    }
    expect(stopped).toBe(0);
    expect(app.output()).toMatch(/opscron stopped/);
    const list = await runOpscron(['list', '--config', file], { cwd: dir });
    expect(list.stdout).toMatch(/^tick\s+health-check\s+\* \* \* \* \* \*\s+UTC\s+\S+\s+ok /m);
  });

  it('report while the embedded opscron runs is built by that opscron, through its API', async () => {
    const dir = tempDir();
    const port = await freePort();
    const file = writeConfig(dir, {
      jobs: [{ id: 'tick', type: 'health-check', schedule: '* * * * * *', params: { url: target.url('live-report') } }],
    });
    target.behaviour = {};
    const app = spawnOpscron(['start', '--config', file], { cwd: dir, env: { PORT: String(port) } });
    let stopped: number | null = null;
    try {
      await eventually(async () => target.count('live-report') >= 3, 'three scheduled runs', 15_000);
      const result = await runOpscron(['report', 'health', '--out', 'live.pdf', '--config', file], {
        cwd: dir,
        env: { PORT: String(port) },
      });
      expect(result.stderr).toContain(
        `the embedded store is in use by the running opscron; building the report through its API at http://127.0.0.1:${port}`,
      );
      expect(result).toMatchObject({ code: 0 });
      expect(result.stdout).toMatch(/^Service health report health-\S+: OK — 1 of 1 services healthy/);
      const text = execFileSync('pdftotext', ['-layout', join(dir, 'live.pdf'), '-'], { encoding: 'utf8' });
      expect(text).toMatch(/tick\s+ok\s+100\.00 %/);
    } finally {
      stopped = await app.stop();
    }
    expect(stopped).toBe(0);
  });

  it('refuses a second opscron start on the same embedded store instead of corrupting it', async () => {
    const dir = tempDir();
    const port = await freePort();
    const file = writeConfig(dir, good());
    const app = spawnOpscron(['start', '--config', file], { cwd: dir, env: { PORT: String(port) } });
    let stopped: number | null = null;
    try {
      await eventually(async () => app.output().includes('opscron started'), 'start', 60_000);
      // Reading commands ask the running opscron instead (cli-running.test.ts); a second start cannot.
      const second = await runOpscron(['start', '--config', file], {
        cwd: dir,
        env: { PORT: String(await freePort()) },
      });
      expect(second.code).toBe(3);
      expect(second.stderr).toMatch(/the embedded store .* is in use by opscron \(pid \d+\); stop it first/);
    } finally {
      stopped = await app.stop();
    }
    expect(stopped).toBe(0);
  });

  it('report health --out writes the PDF from the embedded store and --email drops the mail in the outbox', async () => {
    const dir = tempDir();
    const file = writeConfig(dir, { ...good(), reports: { recipients: { health: ['lead@example.com'] } } });
    target.behaviour = {};
    expect((await runOpscron(['run', 'web', '--config', file], { cwd: dir })).code).toBe(0);
    target.behaviour = { status: 503 };
    expect((await runOpscron(['run', 'web', '--config', file], { cwd: dir })).code).toBe(2);
    const result = await runOpscron(['report', 'health', '--out', 'r.pdf', '--email', '--config', file], { cwd: dir });
    expect(result.stderr).toMatch(/100%.*stored health\//);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toMatch(
      /^Service health report health-\d{8}T\d{6}Z-[0-9a-f]{6}: CRITICAL — 0 of 1 services healthy; lowest availability: web 50\.00 %/,
    );
    expect(result.stdout).toMatch(/written to .*r\.pdf/);
    expect(result.stdout).toMatch(/written to \.\/var\/outbox for lead@example\.com/);
    const text = execFileSync('pdftotext', ['-layout', join(dir, 'r.pdf'), '-'], { encoding: 'utf8' });
    expect(text).toMatch(/web\s+critical\s+50\.00 %\s+2/);
    expect(readdirSync(join(dir, 'var', 'outbox'))).toHaveLength(1);
  });

  it.each([
    [['report', 'weekly'], /report kind "weekly" — allowed: health, incident, compliance, performance/],
    [['report', 'health', '--from', 'yesterday'], /--from "yesterday" — must be a date \(2026-11-01\) or a date-time/],
    [['report', 'health', '--period', 'forever'], /--period "forever" — must be a duration such as 12h, 1d or 7d/],
    [['report', 'incident'], /an incident report needs --incident <id>/],
  ])('report %j is refused with a message naming the argument', async (args, message) => {
    const dir = tempDir();
    const result = await runOpscron([...args, '--config', writeConfig(dir, good())], { cwd: dir });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(message);
  });
});
