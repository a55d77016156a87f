/**
 * db-health and query-analysis on the suite's private PostgreSQL cluster (started by the
 * global setup with pg_stat_statements preloaded), seeded with what they must find: a
 * slow query, an unused and a duplicate index, a table read by sequential scans, a nearly
 * exhausted sequence, and a blocking lock held by a session idle in its transaction.
 */
import pg from 'pg';
import { parseConfig } from '../../src/configure.js';
import { dbHealth, dbHealthParams } from '../../src/jobs/db-health.js';
import { queryAnalysis, queryAnalysisParams } from '../../src/jobs/query-analysis.js';
import { openStore, type Store } from '../../src/store/index.js';
import { createDatabase } from '../support/services.mjs';
import { jobContext } from '../support/job-context.js';
import { eventually } from '../support/target.js';

/** A run of a job at `at` (the runs' clock), keeping its state in `store` as the worker would. */
const context = (url: string, store: Store, jobId: string, at: Date) =>
  jobContext(parseConfig({ databases: [{ name: 'shop', url }] }), undefined, { store, jobId, now: () => at });
const HOUR = 3_600_000;

describe('PostgreSQL health and query analysis', () => {
  let url: string;
  let admin: pg.Client;
  let store: Store;
  let clock = Date.now();
  /** Each run an hour after the one before, as an hourly schedule would fire them. */
  const tick = () => new Date((clock += HOUR));
  const run = {
    health: (params: Record<string, unknown> = {}) =>
      dbHealth.run(context(url, store, 'db', tick()), dbHealthParams.parse({ database: 'shop', ...params })),
    queries: (target = url, params: Record<string, unknown> = {}) =>
      queryAnalysis.run(
        context(target, store, `queries-${target}`, tick()),
        queryAnalysisParams.parse({ database: 'shop', ...params }),
      ),
  };

  beforeAll(async () => {
    store = await openStore({ path: 'memory://' });
    url = await createDatabase('dbhealth');
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`
      create extension pg_stat_statements;
      create table big (id bigserial primary key, v int, w text);
      insert into big (v, w) select i % 100, md5(i::text) from generate_series(1, 20000) i;
      create index big_w on big (w);
      create index big_v on big (v);
      create index big_v_w on big (v, w);
      create table tickets (id serial primary key, t text);
      select setval('tickets_id_seq', 2000000000);
      analyze;`);
    await admin.query('select pg_stat_statements_reset()');
    for (let i = 0; i < 110; i++) await admin.query('select pg_sleep(0.021), $1::int as n', [i]);
    for (let i = 0; i < 5; i++)
      await admin.query(
        `set enable_indexscan = off; set enable_bitmapscan = off; select count(*) from big where v = ${i}; reset enable_indexscan; reset enable_bitmapscan;`,
      );
  });
  afterAll(async () => {
    await admin.end();
    await store.close();
  });

  it('query-analysis finds the slow query, the sequential scans and the unused index', async () => {
    const outcome = await run.queries();
    const by = (check: string) => outcome.findings.filter((f) => f.check === check);
    expect(by('pg.slow-query').map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^\d+\.\d ms mean over 110 calls since pg_stat_statements was last reset \d+ min ago .*: select pg_sleep\(\$\d\), \$\d::int as n$/,
      ),
    ]);
    expect(by('pg.slow-query')[0]!.remedy).toMatch(/EXPLAIN \(ANALYZE, BUFFERS\)/);
    expect(by('pg.top-total-time')[0]!.evidence).toEqual(
      expect.arrayContaining([expect.objectContaining({ calls: 110 })]),
    );
    expect(by('pg.seq-scans').map((f) => f.resource)).toEqual(['db/shop/table/public.big']);
    expect(by('pg.unused-index').map((f) => f.resource)).toEqual(
      expect.arrayContaining(['db/shop/index/public.big_w']),
    );
    expect(outcome.status).toBe('warning');
  });

  it('a slow query fixed since the previous run clears: the second run is ok, and one still slow warns over its new calls', async () => {
    const queries = (params: Record<string, unknown> = {}) =>
      queryAnalysis.run(
        context(url, store, 'queries-twice', tick()),
        queryAnalysisParams.parse({ database: 'shop', ...params }),
      );
    const first = await queries();
    expect(first.findings.filter((f) => f.check === 'pg.slow-query')).toHaveLength(1);
    const second = await queries();
    expect(second.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(second.status).toBe('ok');
    expect(second.findings.find((f) => f.check === 'pg.top-total-time')!.message).toMatch(
      /since the previous run 60 min ago$/,
    );
    for (let i = 0; i < 10; i++) await admin.query('select pg_sleep(0.021), $1::int as n', [i]);
    const third = await queries({ slowCalls: 10 });
    expect(third.findings.filter((f) => f.check === 'pg.slow-query').map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^\d+\.\d ms mean over 10 calls since the previous run 60 min ago \(0\.\d s total\): select pg_sleep/,
      ),
    ]);
    expect(third.status).toBe('warning');
  });

  it('finds a slow query run a few times among many fast, frequent ones', async () => {
    const busy = await createDatabase('dbhealth_busy');
    const client = new pg.Client({ connectionString: busy });
    await client.connect();
    try {
      await client.query('create extension pg_stat_statements');
      // Eight different statements of ~2 ms, 100 calls each: each has more total time than the slow one,
      // so a read of the 5 × top statements by total time alone never sees it.
      for (let k = 1; k <= 8; k++)
        for (let i = 0; i < 100; i++) await client.query(`select pg_sleep(0.002)${', 1'.repeat(k)}`);
      for (let i = 0; i < 3; i++) await client.query('select pg_sleep(0.025) as rarely_run');
      const topByTotal = await client.query<{ query: string }>(
        `select query from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
          order by total_exec_time desc limit 5`,
      );
      expect(topByTotal.rows.map((r) => r.query)).not.toContainEqual(expect.stringMatching(/rarely_run/));
      const outcome = await run.queries(busy, { top: 1, slowCalls: 3 });
      expect(outcome.findings.filter((f) => f.check === 'pg.slow-query').map((f) => f.message)).toEqual([
        expect.stringMatching(/^\d+\.\d ms mean over 3 calls .*: select pg_sleep\(\$1\) as rarely_run$/),
      ]);
    } finally {
      await client.end();
    }
  });

  it('without pg_stat_statements it says how to enable it instead of failing', async () => {
    const bare = await createDatabase('dbhealth_bare');
    const outcome = await run.queries(bare);
    expect(outcome.findings.filter((f) => f.check === 'pg.stat-statements')).toEqual([
      expect.objectContaining({
        severity: 'warning',
        message: 'no query statistics: the pg_stat_statements extension is not installed in this database',
        remedy: expect.stringMatching(/shared_preload_libraries.*CREATE EXTENSION pg_stat_statements/),
      }),
    ]);
    expect(outcome.summary).toMatch(/no query statistics/);
  });

  it('db-health finds the nearly exhausted sequence, the duplicate index, and who blocks whom', async () => {
    const holder = new pg.Client({ connectionString: url });
    const waiter = new pg.Client({ connectionString: url });
    await holder.connect();
    await waiter.connect();
    try {
      await holder.query('begin');
      await holder.query('lock table tickets in access exclusive mode');
      // pg_stat_activity keeps the text as sent, literals and all: a finding must not.
      const waiting = waiter.query(`select count(*) from tickets where t <> 'hunter2-password'`);
      await eventually(
        async () => (await admin.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock'`)).rowCount === 1,
        'the waiter to block',
      );
      const outcome = await run.health({ idleInTransaction: '1ms' });
      const by = (check: string) => outcome.findings.filter((f) => f.check === check);
      expect(by('pg.sequence-exhaustion').map((f) => [f.severity, f.message])).toEqual([
        [
          'warning',
          'sequence public.tickets_id_seq (tickets.id) has used 93.1 % of its range (2000000000 of 2147483647)',
        ],
      ]);
      expect(by('pg.sequence-exhaustion')[0]!.remedy).toMatch(
        /^ALTER TABLE tickets ALTER COLUMN id TYPE bigint \(and the sequence: ALTER SEQUENCE public\.tickets_id_seq AS bigint\)/,
      );
      expect(by('pg.duplicate-index').map((f) => f.message)).toEqual([
        expect.stringMatching(/^index big_v on big is covered by big_v_w/),
      ]);
      const blocked = by('pg.blocked-query');
      expect(blocked).toHaveLength(1);
      expect(blocked[0]!.message).toMatch(
        new RegExp(
          `waits \\d+ s on pid ${(holder as unknown as { processID: number }).processID} \\(lock table tickets in access exclusive mode\\): select count\\(\\*\\) from tickets where t <> \\?$`,
        ),
      );
      expect(blocked[0]!.remedy).toContain(
        `pg_terminate_backend(${(holder as unknown as { processID: number }).processID})`,
      );
      expect(by('pg.idle-in-transaction').map((f) => f.message)).toEqual([
        expect.stringMatching(/idle in transaction for \d+ s: lock table tickets/),
      ]);
      expect(outcome.findings.every((f) => f.severity === 'info' || f.remedy)).toBe(true);
      expect(JSON.stringify(outcome)).not.toContain('hunter2');
      await holder.query('rollback');
      await waiting;
    } finally {
      await holder.end();
      await waiter.end();
    }
    const calm = await run.health();
    expect(calm.findings.map((f) => f.check).sort()).toEqual(['pg.duplicate-index', 'pg.sequence-exhaustion']);
  });

  it("db-health's cache hit rate stays over the interval when a table is dropped between runs (partition rotation)", async () => {
    const rotating = await createDatabase('dbhealth_rotate');
    const client = new pg.Client({ connectionString: rotating });
    await client.connect();
    try {
      await client.query(`create table day_1 as select i, md5(i::text) as t from generate_series(1, 50000) i`);
      for (let i = 0; i < 5; i++) await client.query('select count(*) from day_1');
      // The table's block counters reach the statistics before the first run.
      await eventually(
        async () =>
          (await client.query(`select heap_blks_hit > 0 as seen from pg_statio_user_tables where relname = 'day_1'`))
            .rows[0]?.seen === true,
        'the reads of day_1 to be counted',
      );
      const health = () =>
        dbHealth.run(context(rotating, store, 'rotate', tick()), dbHealthParams.parse({ database: 'shop' }));
      await health();
      await client.query('drop table day_1');
      const after = await health();
      expect(after.summary).toMatch(/cache hit (n\/a|[\d.]+ %) since the previous run 60 min ago$/);
    } finally {
      await client.end();
    }
  });

  it('a run whose judging fails keeps nothing: the next run judges the whole interval since the last run that succeeded', async () => {
    const target = await createDatabase('dbhealth_judge');
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    await client.query('create extension pg_stat_statements');
    await client.end();
    /** Params whose `name` throws when read: only the judging reads it, after the counters were read. */
    const failing = <P extends object>(params: P, name: keyof P): P =>
      Object.defineProperty({ ...params }, name, {
        get: () => {
          throw new Error('the judge failed');
        },
      });
    const health = dbHealthParams.parse({ database: 'shop' });
    const queries = queryAnalysisParams.parse({ database: 'shop' });
    const runHealth = (p = health) => dbHealth.run(context(target, store, 'judge-health', tick()), p);
    const runQueries = (p = queries) => queryAnalysis.run(context(target, store, 'judge-queries', tick()), p);
    await runHealth();
    await runQueries();
    await expect(runHealth(failing(health, 'sequenceRatio'))).rejects.toThrow('the judge failed');
    await expect(runQueries(failing(queries, 'slowMeanMs'))).rejects.toThrow('the judge failed');
    // Each run an hour apart: the first of each job 4 h before the next that succeeds.
    expect((await runHealth()).summary).toMatch(/since the previous run 4 h ago$/);
    expect((await runQueries()).summary).toMatch(/statements run since the previous run 4 h ago/);
  });
});
