/**
 * The CLI from a second terminal while `opscron start` runs on the embedded default: the
 * store belongs to the running process, so history, list, audit, run, trigger and backups
 * ask its API — and print what they print from the store once it has stopped. What needs
 * the store to itself (a restore, a second start) is refused, saying why.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runOpscron, spawnOpscron, tempDir, writeConfig, type Running } from '../support/cli.js';
import { createDatabase, freePort } from '../support/services.mjs';
import { eventually, Target } from '../support/target.js';

const TOKEN = 'cli-running-admin-token-0123456789';
const KEY = 'cli running test encryption key 42';
const STARTED_WITHIN = 30_000;

async function sql<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('the CLI while opscron runs on the embedded store', () => {
  let target: Target;
  let dir: string;
  let file: string;
  let port: number;
  let app: Running;
  let spawnedAt: number;

  beforeAll(async () => {
    target = await new Target().start();
    const shop = await createDatabase('cli_running');
    await sql(
      shop,
      'create table orders (id int primary key, note text); insert into orders select i, md5(i::text) from generate_series(1, 300) i',
    );
    dir = tempDir('cli-running-');
    port = await freePort();
    file = writeConfig(dir, {
      // A token in the file: the server listens on every interface, and the CLI, reading the
      // same file, acts with its strongest token.
      http: { tokens: [{ name: 'ops', token: TOKEN, scope: 'admin' }] },
      databases: [{ name: 'shop', url: shop }],
      jobs: [
        { id: 'tick', type: 'noop', schedule: '* * * * * *' },
        { id: 'web', type: 'health-check', params: { url: target.url('web') } },
        { id: 'wait', type: 'noop', params: { sleep: '1500ms' } },
        { id: 'backup', type: 'db-backup', params: { database: 'shop' } },
        { id: 'verify', type: 'backup-verify', params: { database: 'shop' } },
      ],
    });
    spawnedAt = Date.now();
    app = spawnOpscron(['start', '--config', file], {
      cwd: dir,
      env: { PORT: String(port), OPSCRON_ENCRYPTION_KEY: KEY },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await target?.stop();
  });

  // The second terminal: no PORT (it finds the running opscron by what it wrote beside the store), no token.
  const cli = (args: string[], env: Record<string, string> = {}) =>
    runOpscron([...args, '--config', file], { cwd: dir, env });
  /** The result of a command that must succeed; otherwise what it said, so a failure explains itself. */
  const ok = <R extends { code: number | null; stderr: string }>(r: R): R => {
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
    return r;
  };
  // Each test after the first needs opscron up, however long a loaded machine takes to start it.
  const running = () => eventually(async () => app.output().includes('opscron started'), 'opscron to start', 120_000);
  const api = async (path: string, init: RequestInit = {}) =>
    (await fetch(`http://127.0.0.1:${port}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    }).then((r) => r.json())) as Record<string, unknown>;

  it('history from a second process shows runs within 30 s of start', async () => {
    // Asked once opscron says where it serves (a newcomer does not run history in a tight
    // loop either): every command meanwhile is a process competing with the start for the CPU.
    const left = () => STARTED_WITHIN - (Date.now() - spawnedAt);
    await eventually(async () => existsSync(join(dir, 'var', 'db.api.json')), 'opscron to serve its API', left());
    const shown = await eventually(
      async () => {
        const r = await cli(['history', 'tick', '--limit', '5']);
        return r.code === 0 && /\btick\s+schedule\s+1\s+ok\b/.test(r.stdout) ? r : null;
      },
      'history showing scheduled runs',
      left(),
    );
    expect(shown.stdout.split('\n')[0]).toMatch(/^WHEN\s+JOB\s+TRIGGER\s+TRY\s+STATUS\s+TOOK\s+SUMMARY$/);
    expect(shown.stderr).toMatch(
      /the embedded store is in use by the running opscron; reading the history through its API at http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(shown.stdout + shown.stderr).not.toContain(TOKEN);
  }, 60_000);

  it('run is carried out by the running opscron, shows its progress and exits with its status', async () => {
    await running();
    target.behaviour = {};
    const passed = ok(await cli(['run', 'web']));
    expect(passed.stdout).toMatch(/^web OK \(manual, attempt 1, \d+ms\): /);
    expect(passed.stderr).toMatch(/running web through its API at http:\/\/127\.0\.0\.1:\d+/);
    target.behaviour = { delayMs: 300 };
    const slow = await cli(['run', 'web', '--set', 'maxResponseTime=100ms', '--json']);
    expect(slow.code).toBe(1);
    expect(JSON.parse(slow.stdout)).toMatchObject({
      jobId: 'web',
      status: 'warning',
      requestedBy: 'ops',
      findings: [{ check: 'http.response-time' }],
    });
    target.behaviour = { status: 500 };
    expect((await cli(['run', 'web'])).code).toBe(2);
    target.behaviour = {};
    const wait = ok(await cli(['run', 'wait', '--reason', 'progress']));
    expect(wait.stdout).toMatch(/^wait OK \(manual, attempt 1, 1\.\ds\): slept 1500 ms/);
    expect(wait.stderr).toMatch(/\[#+-*\]\s+\d+% slept \d+ of 1500 ms/);
    // Bad input is refused before the running opscron is asked: exit 3, the field named.
    const bad = await cli(['run', 'web', '--set', 'expectStatus=abc']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/bad params: params\.expectStatus: "abc"/);
    expect(bad.stderr).not.toMatch(/through its API/);
    const unknown = await cli(['run', 'nope']);
    expect(unknown).toMatchObject({ code: 3 });
    expect(unknown.stderr).toMatch(/unknown job "nope"; configured jobs: tick, web, wait, backup, verify/);
  }, 180_000);

  it('trigger queues a run on the running opscron, audited with the token it showed', async () => {
    await running();
    const result = ok(await cli(['trigger', 'web', '--reason', 'from a second terminal']));
    const runId = /^queued web as run (\S+)$/m.exec(result.stdout)?.[1];
    expect(runId).toBeDefined();
    await eventually(async () => (await api(`/api/runs/${runId}`)).status === 'ok', 'the triggered run');
    const audit = ok(await cli(['audit', '--json']));
    expect(JSON.parse(audit.stdout)).toContainEqual(
      expect.objectContaining({
        actor: 'ops',
        source: 'api',
        action: 'trigger',
        jobId: 'web',
        reason: 'from a second terminal',
      }),
    );
    const table = await cli(['audit', '--limit', '3']);
    expect(table.stdout).toMatch(/^\S+\s+ops\s+api\s+trigger\s+web\s+from a second terminal\s+\{\}$/m);
  }, 120_000);

  it('backups lists what db-backup stored, with size and encryption, then backup-verify’s verdict', async () => {
    await running();
    ok(await cli(['run', 'backup']));
    const listed = ok(await cli(['backups']));
    expect(listed.stderr).toMatch(/reading backup verifications through its API/);
    const row = /^(\S+)\s+(\d+[smhd])\s+shop\s+(\d+(?:\.\d)? (?:B|KiB|MiB))\s+yes\s+never\s+(\S+)$/m.exec(
      listed.stdout,
    );
    expect(listed.stdout.split('\n')[0]).toMatch(/^CREATED\s+AGE\s+OF\s+SIZE\s+ENCRYPTED\s+VERIFIED\s+PATH$/);
    expect(row).not.toBeNull();
    const path = row![4]!;
    expect(path).toMatch(/^var\/backups\/shop\/\d{4}\/\d{2}\/\d{2}\/shop-\d{8}T\d{6}Z\.dump\.gz\.enc$/);
    expect(existsSync(join(dir, path))).toBe(true);

    ok(await cli(['run', 'verify']));
    const verified = ok(await cli(['backups', 'shop', '--json']));
    expect(JSON.parse(verified.stdout)).toEqual([
      expect.objectContaining({
        kind: 'database',
        source: 'shop',
        encryption: 'all',
        path,
        verification: expect.objectContaining({ jobId: 'verify', status: 'ok' }),
      }),
    ]);
    expect((await cli(['backups', 'shop'])).stdout).toMatch(
      /\bshop\s+.*\byes\s+ok \d{4}-\d\d-\d\dT\S+Z\s+var\/backups\//,
    );

    const unknown = await cli(['backups', 'orders']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(
      /database "orders" — no backups of it in .*, and it is not in config\.databases \(configured: shop\)/,
    );
    const bad = await cli(['backups', '../etc']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/database "\.\.\/etc" — must be a database name, config, or config\/<namespace>/);

    // A restore writes its audit entry before it changes anything, and no API restores: refused, saying why.
    const into = await createDatabase('cli_running_restore');
    const restore = await cli(['restore', path, '--to', into, '--confirm']);
    expect(restore.code).toBe(3);
    expect(restore.stderr).toMatch(
      /refused: a restore is written to opscron's audit log, which needs opscron's store to itself: the embedded store .* is in use by opscron \(pid \d+\); stop it first/,
    );
    expect(await sql(into, "select 1 from pg_tables where schemaname = 'public'")).toEqual([]);
  }, 180_000);

  it('a token the running opscron does not know is refused by its API, and never printed', async () => {
    await running();
    const wrong = 'not-a-token-of-this-opscron-42';
    const result = await cli(['list'], { OPSCRON_API_TOKEN: wrong });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /answered 401: unknown token — give the CLI one of its API tokens in \$OPSCRON_API_TOKEN/,
    );
    expect(result.stdout + result.stderr).not.toContain(wrong);
  }, 60_000);

  it('prints through the API exactly what it prints from the store once opscron has stopped', async () => {
    await running();
    // Hold the schedule still so that nothing changes between the two readings.
    await api('/api/jobs/tick/pause', { method: 'POST', body: JSON.stringify({ reason: 'compare' }) });
    let last = '';
    await eventually(async () => {
      const runs = JSON.stringify(await api('/api/runs?limit=1000'));
      const settled = runs === last && !runs.includes('"status":"running"');
      last = runs;
      return settled;
    }, 'the history to settle');
    // NEXT RUN moves with the clock; everything else must be the same.
    const still = (text: string) => text.replace(/^(tick .*?UTC\s+)\S+/m, '$1<next>');
    const readings = [
      ['list'],
      ['history', '--limit', '1000'],
      ['history', 'web', '--json'],
      ['audit', '--json'],
      ['audit'],
      ['backups', '--json'],
    ];
    const through: string[] = [];
    for (const args of readings) {
      const r = ok(await cli(args));
      expect(r.stderr).toMatch(/through its API/);
      through.push(still(r.stdout));
    }
    expect(await app.stop()).toBe(0);
    expect(existsSync(join(dir, 'var', 'db.api.json'))).toBe(false);
    for (const [i, args] of readings.entries()) {
      const r = ok(await cli(args));
      expect(r.stderr).toBe('');
      expect(still(r.stdout)).toBe(through[i]);
    }
    expect(through[0]).toMatch(/^tick\s+noop\s+\* \* \* \* \* \*\s+UTC\s+<next>\s+ok \S+\s+paused$/m);
    const trigger = await cli(['trigger', 'web']);
    expect(trigger.code).toBe(3);
    expect(trigger.stderr).toMatch(/trigger needs a running opscron \(none runs on the embedded store here\)/);
  }, 240_000);
});
