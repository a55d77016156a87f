/**
 * The embedded store (SQLite) beside PostgreSQL, each behind a real `opscron start` child
 * process in the same run:
 *  1. resident memory of the default configuration (config/opscron.yaml: two health checks
 *     and a daily report) at 1 minute and at `minutes`, embedded and with DATABASE_URL;
 *  2. history write throughput: 100,000 run rows through the store's run log (what the
 *     worker uses), each back end;
 *  3. 1,000,000 run rows in each store: the child's resident memory, and
 *     GET /api/runs?job=X&limit=100 under 50 connections (one job, then a random job per request).
 * Targets (issue 16): ≤ 150 MB resident after 10 minutes; ≤ 250 MB with 1 M rows; page p99 ≤ 20 ms.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../dist/store/index.js';
import { load } from './api.js';
import { median } from './stats.js';
import { freePort } from '../test/support/services.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const TOKEN = 'bench-read-token-0123456789';

/** VmRSS and VmHWM (peak) of a process, in MiB. */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** `opscron start` in a directory of its own; resolves once its API answers. */
async function startChild({ config, env = {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'opscron-bench-embedded-'));
  const port = await freePort();
  if (config) writeFileSync(join(dir, 'opscron.yaml'), config(port));
  else copyFileSync(join(ROOT, 'config/opscron.yaml'), join(dir, 'opscron.yaml'));
  const child = spawn(process.execPath, [join(ROOT, 'bin/opscron.js'), 'start', '--config', 'opscron.yaml'], {
    cwd: dir,
    env: { ...process.env, ...env, PORT: String(port), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const address = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`opscron exited with ${child.exitCode}`);
    if (
      await fetch(`${address}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await sleep(100);
  }
  return {
    dir,
    address,
    memory: () => memory(child.pid),
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** Both default processes side by side: RSS at 1 minute and at `minutes`. */
async function idle({ databaseUrl, minutes, log }) {
  const sides = {
    embedded: await startChild({}),
    postgres: await startChild({ env: { DATABASE_URL: databaseUrl } }),
  };
  const at = {};
  try {
    for (const minute of [...new Set([1, minutes])]) {
      await sleep(minute * 60_000 - (minute === 1 ? 0 : 60_000));
      for (const [name, side] of Object.entries(sides)) {
        const m = side.memory();
        (at[name] ??= {})[minute] = m;
        log(`  ${name} after ${minute} min: RSS ${m.rss.toFixed(0)} MiB, peak ${m.peak.toFixed(0)} MiB`);
      }
    }
  } finally {
    for (const side of Object.values(sides)) await side.stop();
  }
  return at;
}

/** Run row i of a bench history: one of 1,000 jobs, `spacingMs` apart back from `now`. */
export const runRow = (i, now, spacingMs = 7776) => {
  const t = new Date(now - i * spacingMs);
  return {
    id: `w${i}`,
    queueId: `w${i}`,
    jobId: `job-${i % 1000}`,
    jobType: 'health-check',
    trigger: 'schedule',
    scheduledFor: t,
    createdAt: t,
    startedAt: t,
    finishedAt: new Date(t.getTime() + 40),
    attempt: 1,
    status: 'ok',
    summary: 'service/x healthy: 200 in 12 ms',
    findings: [],
    metrics: { responseTimeMs: 12 },
    error: null,
    params: null,
    requestedBy: null,
    reason: null,
    worker: 'bench',
  };
};

/** Rows per second through the run log, as a worker writes them (batches of up to 2,000). */
async function writeThroughput(options, count) {
  const store = await openStore({ path: '', ...options });
  try {
    await store.sql.query('delete from runs');
    const now = Date.now();
    const started = performance.now();
    const writes = [];
    for (let i = 0; i < count; i++) {
      writes.push(store.runLog.write(runRow(i, now)));
      if (i % 2000 === 1999) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    return count / ((performance.now() - started) / 1000);
  } finally {
    await store.sql.query('delete from runs');
    await store.close();
  }
}

const SEED = {
  // 1,000 jobs × 1,000 runs, spread over 90 days, as bench/api.js seeds PostgreSQL.
  sqlite: `with recursive g(n) as (select 1 union all select n + 1 from g where n < $1)
    insert into runs (id, queue_id, job_id, job_type, trigger, scheduled_for, created_at, started_at, finished_at, attempt, status, summary, findings, metrics)
    select 'r' || n, 'r' || n, 'job-' || (n % 1000), 'health-check', 'schedule', t, t, t, t, 1,
           json_extract('["ok","ok","ok","warning","critical"]', '$[' || (n % 5) || ']'), 'service/x healthy: 200 in 12 ms',
           '[{"severity":"warning","check":"http.response-time","resource":"service/x","message":"slow"}]', '{"responseTimeMs": 12}'
    from (select n, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', printf('-%.3f seconds', n * 7.776)) as t from g)`,
  postgres: `insert into runs (id, queue_id, job_id, job_type, trigger, scheduled_for, created_at, started_at, finished_at, attempt, status, summary, findings, metrics)
    select 'r' || g, 'r' || g, 'job-' || (g % 1000), 'health-check', 'schedule', t, t, t, t + interval '40 ms', 1,
           (array['ok','ok','ok','warning','critical'])[1 + g % 5], 'service/x healthy: 200 in 12 ms',
           '[{"severity":"warning","check":"http.response-time","resource":"service/x","message":"slow"}]'::jsonb, '{"responseTimeMs": 12}'::jsonb
    from generate_series(1, $1::int) g, lateral (select now() - (g * interval '7.776 seconds') as t) s`,
};

async function seeded(options, rows) {
  const store = await openStore({ path: '', ...options });
  try {
    await store.sql.query('delete from runs');
    await store.sql.query(SEED[store.kind], [rows]);
    await store.sql.query(store.kind === 'sqlite' ? 'analyze' : 'analyze runs');
  } finally {
    await store.close();
  }
}

const apiConfig = (store) => (port) =>
  [
    'http:',
    `  port: ${port}`,
    '  host: 127.0.0.1',
    `  tokens: [{ name: bench, token: ${TOKEN}, scope: read }]`,
    'store:',
    store.path ? `  path: ${store.path}` : `  databaseUrl: ${store.databaseUrl}`,
    'jobs: []',
    '',
  ].join('\n');

export async function embeddedBench({
  databaseUrl,
  minutes = 10,
  rows = 1_000_000,
  seconds = 10,
  rounds = 3,
  log = console.log,
}) {
  log(`  default configuration, both side by side, ${minutes} min:`);
  const rss = await idle({ databaseUrl, minutes, log });

  const sqlitePath = join(mkdtempSync(join(tmpdir(), 'opscron-bench-sqlite-')), 'db');
  const stores = { embedded: { path: sqlitePath }, postgres: { databaseUrl } };
  const writes = { embedded: [], postgres: [] };
  for (let round = 0; round < rounds; round++)
    for (const [name, options] of Object.entries(stores)) {
      const perSecond = await writeThroughput(options, 100_000);
      writes[name].push(perSecond);
      log(`  round ${round + 1} ${name}: ${Math.round(perSecond)} run rows/s written through the run log`);
    }

  const loaded = {};
  for (const [name, options] of Object.entries(stores)) {
    const started = performance.now();
    await seeded(options, rows);
    log(`  ${name}: ${rows} rows seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const children = {};
  try {
    for (const [name, options] of Object.entries(stores))
      children[name] = await startChild({ config: apiConfig(options) });
    for (let round = 0; round < rounds; round++)
      for (const [name, child] of Object.entries(children)) {
        const one = await load(child.address, seconds);
        const afterOne = child.memory();
        const random = await load(child.address, seconds, { randomJob: true });
        const m = child.memory();
        (loaded[name] ??= []).push({ one, random, oneRss: afterOne.rss, ...m });
        log(
          `  round ${round + 1} ${name}: one job p99 ${one.p99} ms (${Math.round(one.rps)} req/s), RSS ${afterOne.rss.toFixed(0)} MiB; random job p99 ${random.p99} ms (${Math.round(random.rps)} req/s), RSS ${m.rss.toFixed(0)} MiB, peak ${m.peak.toFixed(0)} MiB`,
        );
      }
  } finally {
    for (const child of Object.values(children)) await child.stop();
  }
  const summary = (name) => ({
    rss1: rss[name][1].rss,
    rssEnd: rss[name][minutes].rss,
    peakEnd: rss[name][minutes].peak,
    writes: median(writes[name]),
    p99: median(loaded[name].map((r) => r.one.p99)),
    rps: median(loaded[name].map((r) => r.one.rps)),
    randomP99: median(loaded[name].map((r) => r.random.p99)),
    randomRps: median(loaded[name].map((r) => r.random.rps)),
    oneJobPeak: Math.max(...loaded[name].map((r) => r.oneRss)),
    loadedRss: Math.max(...loaded[name].map((r) => r.rss)),
    loadedPeak: Math.max(...loaded[name].map((r) => r.peak)),
  });
  return { embedded: summary('embedded'), postgres: summary('postgres') };
}
