/**
 * What the embedded store cost on PGlite (opscron 0.1) beside SQLite (now), in-process and
 * each in a fresh process: resident memory once open, run rows written per second in the
 * writer's batches of 2,000, resident memory with 1,000,000 rows, and the time to build an
 * API page (100 runs of one job, newest first, as JSON) — median and p99 over 1,000 pages of
 * random jobs. PGlite is no longer a dependency, so this one is run by hand:
 *
 *   npm install --no-save @electric-sql/pglite@0.5.16
 *   npm run build && node bench/pglite.js            # both, one fresh process each
 *
 * Both sides build the page with the statement the store uses for that engine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile, median } from './stats.js';
import { runRow } from './embedded.js';

const ROWS = Number(process.env.ROWS ?? 1_000_000);
const mib = () => process.memoryUsage().rss / 2 ** 20;

// The page statement of src/store/runs.ts (listRunSummariesJson) on PostgreSQL, for one job, 100 rows.
const PG_PAGE = `select coalesce(json_agg(r), '[]')::text as page from (select id, queue_id as "queueId", job_id as "jobId",
    job_type as "jobType", trigger, scheduled_for as "scheduledFor", created_at as "createdAt", started_at as "startedAt",
    finished_at as "finishedAt", attempt, status, summary, metrics, error, requested_by as "requestedBy", reason, worker,
    jsonb_array_length(findings) as "findingCount"
  from runs where job_id = $1 order by created_at desc, attempt desc limit 100) r`;

async function pglite() {
  const { PGlite } = await import('@electric-sql/pglite');
  const { migrations } = await import('../dist/store/migrations.js');
  const { UPSERT, batchJson } = await import('../dist/store/run-sql.js');
  const db = await PGlite.create(join(mkdtempSync(join(tmpdir(), 'opscron-pglite-')), 'db'));
  for (const m of migrations) await db.exec(m.sql);
  const open = mib();
  return {
    open,
    write: (rows) => db.query(UPSERT.postgres, batchJson(rows)),
    seed: (n) =>
      db.query(
        `insert into runs (id, queue_id, job_id, job_type, trigger, scheduled_for, created_at, started_at, finished_at, attempt, status, summary, findings, metrics)
         select 'r' || g, 'r' || g, 'job-' || (g % 1000), 'health-check', 'schedule', t, t, t, t, 1, 'ok', 'service/x healthy: 200 in 12 ms',
                '[{"severity":"warning","check":"http.response-time","resource":"service/x","message":"slow"}]'::jsonb, '{"responseTimeMs": 12}'::jsonb
         from generate_series(1, $1::int) g, lateral (select now() - (g * interval '7.776 seconds') as t) s`,
        [n],
      ),
    page: async (job) => (await db.query(PG_PAGE, [job])).rows[0].page,
    close: () => db.close(),
  };
}

async function sqlite() {
  const { openStore } = await import('../dist/store/index.js');
  const { listRunSummariesJson } = await import('../dist/store/runs.js');
  const { UPSERT, batchJson } = await import('../dist/store/run-sql.js');
  const store = await openStore({ path: join(mkdtempSync(join(tmpdir(), 'opscron-sqlite-')), 'db') });
  const open = mib();
  return {
    open,
    write: (rows) => store.sql.query(UPSERT.sqlite, batchJson(rows)),
    seed: (n) =>
      store.sql.query(
        `with recursive g(n) as (select 1 union all select n + 1 from g where n < $1)
         insert into runs (id, queue_id, job_id, job_type, trigger, scheduled_for, created_at, started_at, finished_at, attempt, status, summary, findings, metrics)
         select 'r' || n, 'r' || n, 'job-' || (n % 1000), 'health-check', 'schedule', t, t, t, t, 1, 'ok', 'service/x healthy: 200 in 12 ms',
                '[{"severity":"warning","check":"http.response-time","resource":"service/x","message":"slow"}]', '{"responseTimeMs": 12}'
         from (select n, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%.3f seconds', n * 7.776)) as t from g)`,
        [n],
      ),
    page: (job) => listRunSummariesJson(store.sql, { job, limit: 100 }),
    close: () => store.close(),
  };
}

async function measure(kind) {
  const side = kind === 'pglite' ? await pglite() : await sqlite();
  const now = Date.now();
  let started = performance.now();
  for (let b = 0; b < 50; b++)
    await side.write(Array.from({ length: 2000 }, (_, i) => runRow(b * 2000 + i, now, 1000)));
  const writes = 100_000 / ((performance.now() - started) / 1000);
  started = performance.now();
  await side.seed(ROWS);
  const seedS = (performance.now() - started) / 1000;
  const times = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    await side.page(`job-${Math.floor(Math.random() * 1000)}`);
    times.push(performance.now() - t);
  }
  const result = {
    kind,
    node: process.version,
    rssOpen: Math.round(side.open),
    writesPerS: Math.round(writes),
    seedS: Number(seedS.toFixed(1)),
    rssLoaded: Math.round(mib()),
    pageMedianMs: Number(median(times).toFixed(2)),
    pageP99Ms: Number(percentile(times, 99).toFixed(2)),
  };
  await side.close();
  return result;
}

if (process.argv[2]) {
  console.log(JSON.stringify(await measure(process.argv[2])));
} else {
  for (const kind of ['pglite', 'sqlite']) {
    const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname, kind], { encoding: 'utf8' });
    console.log(out.trim());
  }
}
