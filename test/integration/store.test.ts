import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrations } from '../../src/store/migrations.js';
import { sqliteMigrations } from '../../src/store/migrations-sqlite.js';
import { migrate, openStore, type Store } from '../../src/store/index.js';
import { parseConfig } from '../../src/configure.js';
import { jobFeeds } from '../../src/jobs/index.js';
import { jobPorts } from '../../src/run-ports.js';
import { RunPages } from '../../src/store/run-pages.js';
import { getRun, latestRuns, listRuns, pruneRuns, type RunRow } from '../../src/store/runs.js';
import { RunLog } from '../../src/store/run-log.js';
import { advanceSlots, loadScheduleStates, setPaused } from '../../src/store/schedule-state.js';
import { listAudit, writeAudit } from '../../src/store/audit.js';
import { tempDir } from '../support/cli.js';
import { createDatabase, startPostgres } from '../support/services.mjs';

function run(over: Partial<RunRow>): RunRow {
  return {
    id: 'r1',
    queueId: 'q1',
    jobId: 'web',
    jobType: 'health-check',
    trigger: 'schedule',
    scheduledFor: null,
    createdAt: new Date('2026-11-26T10:00:00Z'),
    startedAt: null,
    finishedAt: null,
    attempt: 1,
    status: 'running',
    summary: null,
    findings: [],
    metrics: null,
    error: null,
    params: {},
    requestedBy: null,
    reason: null,
    worker: null,
    ...over,
  };
}

describe.each([
  ['PostgreSQL', async () => openStore({ databaseUrl: await createDatabase('store'), path: '' })],
  ['SQLite', async () => openStore({ path: join(tempDir('opscron-sqlite-'), 'db') })],
])('store on %s', (_name, open) => {
  let store: Store;
  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => {
    await store.close();
  });

  it('applies migrations once, even when asked again', async () => {
    expect(await migrate(store.sql)).toEqual([]);
    const { rows } = await store.sql.query('select version from schema_migrations');
    expect(rows).toEqual(
      (store.kind === 'sqlite' ? sqliteMigrations : migrations).map((m) => ({ version: m.version })),
    );
  });

  it('writes a run when it starts and updates it when it ends, batching concurrent writes', async () => {
    const writes = Array.from({ length: 300 }, (_, i) =>
      store.runLog.write(
        run({
          id: `b${i}`,
          queueId: `bq${i}`,
          jobId: 'batch',
          createdAt: new Date(Date.UTC(2026, 10, 26, 10, 0, i % 60)),
        }),
      ),
    );
    await Promise.all(writes);
    await store.runLog.write(
      run({
        id: 'b7',
        queueId: 'bq7',
        jobId: 'batch',
        status: 'critical',
        summary: 'down',
        findings: [{ severity: 'critical', check: 'http.status', resource: 'service/web', message: 'status 503' }],
        metrics: { responseTimeMs: 12 },
        targets: [
          { service: 'web', status: 'critical' },
          { service: 'api\t"x"', status: 'ok', ms: 3.5 },
        ],
      }),
    );
    const runs = await listRuns(store.sql, { job: 'batch', limit: 1000 });
    expect(runs).toHaveLength(300);
    const b7 = runs.find((r) => r.id === 'b7')!;
    expect(b7).toMatchObject({ status: 'critical', summary: 'down', metrics: { responseTimeMs: 12 } });
    expect(b7.findings[0]!.message).toBe('status 503');
    // A fan-out's per-service results (tab and quote survive COPY text and JSON alike).
    expect(b7.targets).toEqual([
      { service: 'web', status: 'critical' },
      { service: 'api\t"x"', status: 'ok', ms: 3.5 },
    ]);
    expect(runs.find((r) => r.id === 'b8')!.targets).toBeNull();
  });

  it('filters runs by job, status, trigger and period, newest first, paged', async () => {
    await Promise.all([
      store.runLog.write(run({ id: 'f1', jobId: 'f', status: 'ok', createdAt: new Date('2026-11-20T00:00:00Z') })),
      store.runLog.write(
        run({ id: 'f2', jobId: 'f', status: 'failed', trigger: 'manual', createdAt: new Date('2026-11-21T00:00:00Z') }),
      ),
      store.runLog.write(run({ id: 'f3', jobId: 'f', status: 'ok', createdAt: new Date('2026-11-22T00:00:00Z') })),
    ]);
    expect((await listRuns(store.sql, { job: 'f' })).map((r) => r.id)).toEqual(['f3', 'f2', 'f1']);
    expect((await listRuns(store.sql, { job: 'f', status: 'ok' })).map((r) => r.id)).toEqual(['f3', 'f1']);
    expect((await listRuns(store.sql, { job: 'f', trigger: 'manual' })).map((r) => r.id)).toEqual(['f2']);
    expect(
      (
        await listRuns(store.sql, {
          job: 'f',
          from: new Date('2026-11-21T00:00:00Z'),
          to: new Date('2026-11-22T00:00:00Z'),
        })
      ).map((r) => r.id),
    ).toEqual(['f2']);
    expect((await listRuns(store.sql, { job: 'f', limit: 1, offset: 1 })).map((r) => r.id)).toEqual(['f2']);
    expect((await latestRuns(store.sql)).get('f')?.id).toBe('f3');
  });

  it('stores any text as it was written; a NUL character becomes U+FFFD instead of failing the batch', async () => {
    const nasty = 'tab\there\nnew line\r\\back\\slash "quoted" \\N é 🚀 \\u0000 \u0000end';
    const stored = nasty.replace('\u0000end', '\ufffdend');
    await Promise.all([
      store.runLog.write(
        run({
          id: 'text-1',
          jobId: 'text',
          status: 'warning',
          summary: nasty,
          error: nasty,
          reason: nasty,
          requestedBy: 'ops\tteam',
          findings: [{ severity: 'warning', check: 'http.body', resource: 'service/web', message: nasty }],
          metrics: { 'a\tb': 1.5 },
          params: { pattern: nasty, nested: [nasty, null] },
        }),
      ),
      store.runLog.write(run({ id: 'text-2', jobId: 'text', status: 'ok', summary: 'fine' })),
    ]);
    const row = (await getRun(store.sql, 'text-1'))!;
    expect(row).toMatchObject({
      summary: stored,
      error: stored,
      reason: stored,
      requestedBy: 'ops\tteam',
      metrics: { 'a\tb': 1.5 },
      params: { pattern: stored, nested: [stored, null] },
    });
    expect(row.findings[0]!.message).toBe(stored);
    expect((await getRun(store.sql, 'text-2'))?.summary).toBe('fine');
  });

  it('updates a row another process wrote first instead of losing the batch it is in', async () => {
    // Another worker's log wrote it as running (a redelivered run's lost attempt, say).
    const other = new RunLog(store.sql);
    await other.write(run({ id: 'shared', jobId: 'shared', status: 'running' }));
    await Promise.all([
      store.runLog.write(run({ id: 'shared', jobId: 'shared', status: 'failed', summary: 'worker lost mid-run' })),
      store.runLog.write(run({ id: 'shared-next', jobId: 'shared', status: 'ok' })),
    ]);
    const rows = await listRuns(store.sql, { job: 'shared' });
    expect(rows.map((r) => [r.id, r.status, r.summary]).sort()).toEqual([
      ['shared', 'failed', 'worker lost mid-run'],
      ['shared-next', 'ok', null],
    ]);
  });

  it('keeps the latest state of each run, whichever batch its states land in, as it was when written', async () => {
    // Running and final state in one batch; a final state after its running one was stored;
    // a row first written by another log, then twice by this one in the same batch.
    const first = run({ id: 'order-1', jobId: 'order', status: 'running' });
    const final = { ...first, status: 'ok' as const, summary: 'done' };
    const written = [store.runLog.write(first), store.runLog.write(final)];
    final.summary = 'changed after it was written';
    await Promise.all(written);
    await store.runLog.write(run({ id: 'order-2', jobId: 'order', status: 'running' }));
    await new RunLog(store.sql).write(run({ id: 'order-3', jobId: 'order', status: 'running', worker: 'other' }));
    await Promise.all([
      store.runLog.write(run({ id: 'order-2', jobId: 'order', status: 'critical', summary: 'down' })),
      store.runLog.write(run({ id: 'order-3', jobId: 'order', status: 'failed', summary: 'worker lost mid-run' })),
      store.runLog.write(run({ id: 'order-3', jobId: 'order', status: 'ok', summary: 'taken up again' })),
      store.runLog.write(run({ id: 'order-4', jobId: 'order', status: 'ok', summary: 'new' })),
    ]);
    const rows = await listRuns(store.sql, { job: 'order' });
    expect(rows.map((r) => [r.id, r.status, r.summary]).sort()).toEqual([
      ['order-1', 'ok', 'done'],
      ['order-2', 'critical', 'down'],
      ['order-3', 'ok', 'taken up again'],
      ['order-4', 'ok', 'new'],
    ]);
  });

  it('serves API pages that follow every change to their runs, from whichever writer', async () => {
    const pages = new RunPages(store.sql);
    const ids = async () =>
      (JSON.parse(await pages.list({ job: 'page', limit: 3 })) as { id: string; status: string }[]).map(
        (r) => `${r.id}:${r.status}`,
      );
    await Promise.all(
      [1, 2, 3, 4].map((i) =>
        store.runLog.write(
          run({ id: `p${i}`, jobId: 'page', status: 'ok', createdAt: new Date(Date.UTC(2026, 10, 26, 10, i)) }),
        ),
      ),
    );
    expect(await ids()).toEqual(['p4:ok', 'p3:ok', 'p2:ok']);
    expect(await ids()).toEqual(['p4:ok', 'p3:ok', 'p2:ok']); // the cached page, revalidated
    // Changed by another writer (not this process's log): the page follows.
    await store.sql.query(`update runs set status = 'critical' where id = 'p3'`);
    expect(await ids()).toEqual(['p4:ok', 'p3:critical', 'p2:ok']);
    await store.runLog.write(
      run({ id: 'p5', jobId: 'page', status: 'running', createdAt: new Date(Date.UTC(2026, 10, 26, 10, 5)) }),
    );
    expect(await ids()).toEqual(['p5:running', 'p4:ok', 'p3:critical']);
    await store.sql.query(`delete from runs where id = 'p5'`);
    expect(await ids()).toEqual(['p4:ok', 'p3:critical', 'p2:ok']);
    expect(JSON.parse(await pages.list({ job: 'page', status: 'critical' }))).toHaveLength(1);
  });

  it('inserts missed slots once however many schedulers report them', async () => {
    const missed = run({ id: 'missed-m-1', jobId: 'm', status: 'missed', queueId: null });
    expect(await store.runLog.insertNew([missed])).toEqual(['missed-m-1']);
    expect(await store.runLog.insertNew([missed])).toEqual([]);
  });

  it('keeps the newest last slot when schedulers race, and keeps pause across reopen', async () => {
    await advanceSlots(store.sql, ['s1', 's2'], [new Date('2026-11-26T10:00:00Z'), new Date('2026-11-26T10:00:00Z')]);
    await advanceSlots(store.sql, ['s1'], [new Date('2026-11-26T09:00:00Z')]);
    await setPaused(store.sql, 's2', true, 'alice');
    const states = await loadScheduleStates(store.sql);
    expect(states.get('s1')).toMatchObject({ lastSlot: new Date('2026-11-26T10:00:00Z'), paused: false });
    expect(states.get('s2')).toMatchObject({ paused: true, pausedBy: 'alice' });
  });

  it('records the audit trail with secrets redacted', async () => {
    await writeAudit(store.sql, {
      actor: 'alice',
      source: 'cli',
      action: 'trigger',
      jobId: 'web',
      params: { url: 'http://u:hunter2@x/' },
      reason: 'checking',
    });
    const [row] = await listAudit(store.sql);
    expect(row).toMatchObject({
      actor: 'alice',
      source: 'cli',
      action: 'trigger',
      jobId: 'web',
      reason: 'checking',
      params: { url: 'http://u:***@x/' },
    });
  });

  it('writes a burst of audit entries together, each resolved once it is stored', async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        writeAudit(store.sql, {
          actor: `producer\t${i}`,
          source: 'queue',
          action: 'trigger',
          jobId: 'burst',
          params: i % 2 ? { n: i } : undefined,
          reason: i ? `line\n${i}` : null,
        }),
      ),
    );
    const rows = (await listAudit(store.sql, undefined, 500)).filter((r) => r.jobId === 'burst');
    expect(rows).toHaveLength(40);
    const seven = rows.find((r) => r.actor === 'producer\t7');
    expect(seven).toMatchObject({ source: 'queue', reason: 'line\n7', params: { n: 7 } });
    expect(rows.find((r) => r.actor === 'producer\t0')).toMatchObject({ reason: null, params: null });
  });

  it('prunes old rows but never a running one', async () => {
    await Promise.all([
      store.runLog.write(
        run({ id: 'old-done', jobId: 'p', status: 'ok', createdAt: new Date('2020-01-01T00:00:00Z') }),
      ),
      store.runLog.write(
        run({ id: 'old-running', jobId: 'p', status: 'running', createdAt: new Date('2020-01-01T00:00:00Z') }),
      ),
    ]);
    expect(await pruneRuns(store.sql, new Date('2021-01-01T00:00:00Z'))).toBe(1);
    expect((await listRuns(store.sql, { job: 'p' })).map((r) => r.id)).toEqual(['old-running']);
  });

  it('prunes past retention in batches, oldest first, keeping what is newer; the size gauge follows the history', async () => {
    const empty = await store.runs.bytes();
    const old = Date.parse('2020-01-01T00:00:00Z');
    const rows = Array.from({ length: 2_500 }, (_, i) =>
      run({
        id: `ret${i}`,
        jobId: 'retention',
        status: 'ok',
        createdAt: new Date(old + i * 1000),
        summary: 'x'.repeat(500),
      }),
    );
    rows.push(run({ id: 'recent', jobId: 'retention', status: 'ok', createdAt: new Date('2026-11-30T00:00:00Z') }));
    expect(await store.runs.insertNew(rows)).toHaveLength(rows.length);
    const full = await store.runs.bytes();
    expect(full).toBeGreaterThan(empty + 2_500 * 500);

    // Batches of 1,000: three statements, the last one short.
    expect(await pruneRuns(store.sql, new Date(old + 2_000 * 1000), 1_000)).toBe(2_000);
    expect((await listRuns(store.sql, { job: 'retention', limit: 1000 })).map((r) => r.id).sort()).toEqual(
      [...Array.from({ length: 500 }, (_, i) => `ret${2_000 + i}`), 'recent'].sort(),
    );
    expect(await store.runs.prune(new Date('2026-01-01T00:00:00Z'))).toBe(500);
    expect((await listRuns(store.sql, { job: 'retention' })).map((r) => r.id)).toEqual(['recent']);
    // The embedded store gives the freed pages back to the file system; PostgreSQL keeps them for reuse.
    if (store.kind === 'sqlite') expect(await store.runs.bytes()).toBeLessThan(full / 2);
  });

  it("a cancelled run's state is refused, so the next run judges from the last run that finished", async () => {
    let cancelled = false;
    const run = {
      runId: 'r-cancel',
      jobId: 'db-nightly',
      now: () => new Date('2026-12-01T10:00:00Z'),
      progress: () => {},
    };
    const ports = jobPorts({ store, config: parseConfig({}), feeds: jobFeeds }, { ...run, aborted: () => cancelled });
    await ports.state.put('main', { at: 'kept before' });
    cancelled = true;
    await expect(ports.state.put('main', { at: 'after the timeout' })).rejects.toThrow(
      /run r-cancel was cancelled: its state for main is not kept/,
    );
    expect((await ports.state.get('main'))?.value).toEqual({ at: 'kept before' });
  });

  it('keeps one state per job and scope for the next run, replaced each time, and refuses what is too big', async () => {
    expect(await store.jobState.get('cache-health', 'sessions')).toBeNull();
    const first = { at: '2026-12-01T09:00:00.000Z', values: { evicted_keys: 40 }, list: [1, 2] };
    await store.jobState.put('cache-health', 'sessions', 'r1', new Date('2026-12-01T09:00:00Z'), first);
    await store.jobState.put('cache-health', 'other', 'r1', new Date('2026-12-01T09:00:00Z'), ['an', 'array']);
    expect(await store.jobState.get('cache-health', 'sessions')).toEqual({
      at: new Date('2026-12-01T09:00:00Z'),
      runId: 'r1',
      value: first,
    });
    await store.jobState.put('cache-health', 'sessions', 'r2', new Date('2026-12-01T10:00:00Z'), { values: {} });
    expect(await store.jobState.get('cache-health', 'sessions')).toMatchObject({ runId: 'r2', value: { values: {} } });
    expect((await store.jobState.get('cache-health', 'other'))?.value).toEqual(['an', 'array']);
    expect(await store.jobState.get('other-job', 'sessions')).toBeNull();
    await expect(
      store.jobState.put('cache-health', 'big', 'r3', new Date(), { s: 'x'.repeat(1024 * 1024) }),
    ).rejects.toThrow(/cache-health\/big: 1048584 bytes is over the 1048576/);
    await expect(store.jobState.put('cache-health', 'fn', 'r3', new Date(), undefined)).rejects.toThrow(/not JSON/);
  });
});

describe('the embedded store file', () => {
  it('belongs to one process: a second open is refused while the first holds it, and taken over once it is gone', async () => {
    const path = join(tempDir('opscron-claim-'), 'db');
    writeFileSync(`${path}.pid`, '999999999'); // a process that is gone
    const store = await openStore({ path });
    expect(readFileSync(`${path}.pid`, 'utf8')).toBe(String(process.pid));
    await store.runLog.write(run({ id: 'kept', jobId: 'file', status: 'ok' }));
    await store.close();
    expect(existsSync(`${path}.pid`)).toBe(false);
    const again = await openStore({ path });
    expect((await again.runs.list({ job: 'file' })).map((r) => r.id)).toEqual(['kept']);
    await again.close();
  });

  it("refuses a directory that holds opscron 0.1's PGlite store, saying what to do, and leaves it as it was", async () => {
    const path = join(tempDir('opscron-pglite-'), 'db');
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'PG_VERSION'), '17\n');
    await expect(openStore({ path })).rejects.toThrow(/holds the PGlite store of opscron 0\.1.*move it aside/);
    expect(readdirSync(path)).toEqual(['PG_VERSION']);
  });
});

describe('run history across a PostgreSQL crash', () => {
  it('keeps the run rows and run audit entries written while the database is down and writes them, once each, when it is back', async () => {
    const cluster = await startPostgres();
    try {
      const admin = await openStore({ databaseUrl: cluster.url('postgres'), path: '' });
      await admin.sql.query('create database history');
      await admin.close();
      const store = await openStore({ databaseUrl: cluster.url('history'), path: '' });
      const failures: number[] = [];
      store.runLog.onError = (_error, context) => failures.push(context.rows);
      await store.runLog.write(run({ id: 'before', jobId: 'crash', status: 'ok' }));

      cluster.crash();
      const during = ['d1', 'd2', 'd3'].map((id, i) =>
        store.runLog.write(
          run({ id, jobId: 'crash', status: 'ok', createdAt: new Date(Date.UTC(2026, 10, 26, 11, i)) }),
        ),
      );
      // A run's audit entry written beside it is kept like its row; one someone waits for fails.
      const kept = writeAudit(
        store.sql,
        { actor: 'deploy-bot', source: 'queue', action: 'trigger', jobId: 'crash', reason: 'during the outage' },
        { retain: true },
      );
      await expect(
        writeAudit(store.sql, { actor: 'ada', source: 'api', action: 'pause', jobId: 'crash' }),
      ).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 1500));
      expect(failures.length).toBeGreaterThan(0); // tried, failed, kept the rows
      cluster.start();
      await Promise.all([...during, kept]);
      expect((await listAudit(store.sql)).filter((a) => a.jobId === 'crash').map((a) => [a.actor, a.reason])).toEqual([
        ['deploy-bot', 'during the outage'],
      ]);
      await store.runLog.write(
        run({ id: 'after', jobId: 'crash', status: 'ok', createdAt: new Date(Date.UTC(2026, 10, 26, 12)) }),
      );

      const rows = await listRuns(store.sql, { job: 'crash' });
      expect(rows.map((r) => r.id).sort()).toEqual(['after', 'before', 'd1', 'd2', 'd3']);
      await store.close();
    } finally {
      cluster.stop();
    }
  }, 30_000);
});
