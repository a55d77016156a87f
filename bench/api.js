/**
 * GET /api/runs?job=X&limit=100 with 1,000,000 run rows in PostgreSQL, 50 concurrent
 * clients (wrk, or autocannon without it), against the same query with the job index dropped (the baseline
 * that shows what the index does). Target: p99 ≤ 20 ms.
 *
 * One job asked again and again is what the target names, and it is served from the
 * revalidated page cache (src/store/run-pages.ts). With wrk, a second load asks for a
 * random one of the 1,000 jobs on every request, so nearly every page is built afresh:
 * the figure for the cache's worst case.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startOpscron } from '../dist/app.js';
import { parseConfig } from '../dist/configure.js';
import { silentLogger } from '../dist/observability/logger.js';
import { Metrics } from '../dist/observability/metrics.js';
import { median } from './stats.js';

const TOKEN = 'bench-read-token-0123456789';

// The load generator is wrk (C, Debian's package) when installed — it leaves the two cores
// to opscron and PostgreSQL — else autocannon (Node); either runs in its own process.
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const run = promisify(execFile);
const hasWrk = await run('wrk', ['--version']).then(
  () => true,
  (e) => e.code !== 'ENOENT',
);
export const loadGenerator = hasWrk ? 'wrk' : 'autocannon';

const ms = (text) => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  return m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : NaN;
};

const RANDOM_JOB = join(tmpdir(), 'opscron-bench-random-job.lua');
writeFileSync(
  RANDOM_JOB,
  'request = function() return wrk.format(nil, "/api/runs?job=job-" .. math.random(0, 999) .. "&limit=100") end\n',
);

export async function load(address, seconds, { randomJob = false } = {}) {
  const url = `${address}/api/runs?job=job-42&limit=100`;
  if (hasWrk) {
    const { stdout } = await run('wrk', [
      '-t2',
      '-c50',
      `-d${seconds}s`,
      '--latency',
      '-H',
      `Authorization: Bearer ${TOKEN}`,
      ...(randomJob ? ['-s', RANDOM_JOB] : []),
      url,
    ]);
    const p = (q) => ms(new RegExp(`^\\s+${q}%\\s+(\\S+)`, 'm').exec(stdout)?.[1] ?? '');
    if (/Non-2xx/.test(stdout) || /Socket errors/.test(stdout)) throw new Error(`wrk saw errors:\n${stdout}`);
    return { p50: p(50), p99: p(99), rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]) };
  }
  const { stdout } = await run(
    process.execPath,
    [AUTOCANNON, '-c', '50', '-d', String(seconds), '-j', '-H', `authorization=Bearer ${TOKEN}`, url],
    { maxBuffer: 1 << 24 },
  );
  const result = JSON.parse(stdout);
  if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average };
}

export async function apiRuns({ databaseUrl, rows = 1_000_000, seconds = 10, rounds = 3, log = console.log }) {
  const config = parseConfig({
    store: { databaseUrl },
    http: { port: 0, host: '127.0.0.1', tokens: [{ name: 'bench', token: TOKEN, scope: 'read' }] },
  });
  const app = await startOpscron({ config, logger: silentLogger, metrics: new Metrics() });
  try {
    // 1,000 jobs × 1,000 runs each, spread over 90 days.
    await app.store.sql.query('delete from runs');
    await app.store.sql.query(
      `
      insert into runs (id, queue_id, job_id, job_type, trigger, scheduled_for, created_at, started_at, finished_at, attempt, status, summary, findings, metrics)
      select 'r' || g, 'r' || g, 'job-' || (g % 1000), 'health-check', 'schedule', t, t, t, t + interval '40 ms', 1,
             (array['ok','ok','ok','warning','critical'])[1 + g % 5], 'service/x healthy: 200 in 12 ms',
             '[{"severity":"warning","check":"http.response-time","resource":"service/x","message":"slow"}]'::jsonb, '{"responseTimeMs": 12}'::jsonb
      from generate_series(1, $1::int) g, lateral (select now() - (g * interval '7.776 seconds') as t) s`,
      [rows],
    );
    await app.store.sql.query('analyze runs');
    const results = { indexed: [], random: [], unindexed: [] };
    for (let round = 0; round < rounds; round++) {
      const indexed = await load(app.address, seconds);
      results.indexed.push(indexed);
      log(
        `  round ${round + 1} with index:    p50 ${indexed.p50} ms, p99 ${indexed.p99} ms, ${Math.round(indexed.rps)} req/s`,
      );
      if (!hasWrk) continue;
      const random = await load(app.address, seconds, { randomJob: true });
      results.random.push(random);
      log(
        `  round ${round + 1} random job:    p50 ${random.p50} ms, p99 ${random.p99} ms, ${Math.round(random.rps)} req/s (pages built afresh)`,
      );
    }
    await app.store.sql.query('drop index runs_job_latest');
    for (let round = 0; round < rounds; round++) {
      const bare = await load(app.address, seconds);
      results.unindexed.push(bare);
      log(`  round ${round + 1} without index: p50 ${bare.p50} ms, p99 ${bare.p99} ms, ${Math.round(bare.rps)} req/s`);
    }
    await app.store.sql.query('create index runs_job_latest on runs (job_id, created_at, attempt)');
    return {
      p99: median(results.indexed.map((r) => r.p99)),
      rps: median(results.indexed.map((r) => r.rps)),
      randomP99: hasWrk ? median(results.random.map((r) => r.p99)) : null,
      randomRps: hasWrk ? median(results.random.map((r) => r.rps)) : null,
      baselineP99: median(results.unindexed.map((r) => r.p99)),
      baselineRps: median(results.unindexed.map((r) => r.rps)),
    };
  } finally {
    await app.stop();
  }
}
