/**
 * The web console's overview and job pages with 1,000 jobs and 1,000,000 runs in
 * PostgreSQL (`npm run bench -- console`), against the JSON API that answers the same
 * question (the baseline, same run): GET /api/jobs for the overview, GET /api/runs?job=X
 * for a job's history. Server time is the latency one client sees asking again and again
 * (autocannon -c 1 in its own process: no queueing in the figure), p99 per round, medians
 * of the rounds; then 10 clients for throughput. Transfer is what a browser downloads for
 * the page: the HTML gzipped, plus the stylesheet, script and icon. Server time is
 * measured on the HTTP server's own request and finish events; the client's view is printed too.
 * Targets (issue 20): server time p99 ≤ 50 ms, transfer ≤ 200 kB.
 */
import { execFile } from 'node:child_process';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { startOpscron } from '../dist/app.js';
import { parseConfig } from '../dist/configure.js';
import { silentLogger } from '../dist/observability/logger.js';
import { Metrics } from '../dist/observability/metrics.js';
import { median, percentile } from './stats.js';

const TOKEN = 'bench-read-token-0123456789';
const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const run = promisify(execFile);

/** Schedules that do not fire while the benchmark runs (a day in a month six months away), in words of several kinds. */
function jobs(count) {
  const month = ((new Date().getUTCMonth() + 6) % 12) + 1;
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo'];
  return Array.from({ length: count }, (_, i) => ({
    id: `job-${i}`,
    type: 'noop',
    schedule: `${i % 60} ${i % 24} ${1 + (i % 28)} ${month} *`,
    timezone: zones[i % zones.length],
  }));
}

/** autocannon in its own process: `-d seconds`, or `-a amount` requests in all. */
async function load(url, headers, { seconds, amount, connections }) {
  const args = [AUTOCANNON, '-c', String(connections), '-j', '-t', '60'];
  args.push(...(amount ? ['-a', String(amount)] : ['-d', String(seconds)]));
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  const { stdout } = await run(process.execPath, [...args, url], { maxBuffer: 1 << 24 });
  const result = JSON.parse(stdout);
  if (result.non2xx || result.errors)
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average };
}

/**
 * Server time as the server sees it: from the request's arrival to the last byte of the
 * answer handed to the socket, on the HTTP server's own events.
 */
function serverClock(server) {
  let recording = null;
  server.on('request', (_request, response) => {
    const started = performance.now();
    response.on('finish', () => recording?.push(performance.now() - started));
  });
  return {
    start: () => (recording = []),
    stop: () => {
      const times = recording;
      recording = null;
      return { p50: percentile(times, 50), p99: percentile(times, 99), n: times.length };
    },
  };
}

async function signIn(address) {
  const response = await fetch(`${address}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: address },
    body: new URLSearchParams({ token: TOKEN }).toString(),
  });
  return response.headers.get('set-cookie').split(';')[0];
}

/** GET as a browser would, the body as it crossed the wire (still gzipped). */
function raw(url, headers) {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (response) => {
      const chunks = [];
      response.on('data', (c) => chunks.push(c));
      response.on('end', () =>
        resolve({ body: Buffer.concat(chunks), encoding: response.headers['content-encoding'] }),
      );
    }).on('error', reject);
  });
}

/** Bytes a browser downloads for the page: the gzipped HTML and each asset it links. */
async function transfer(address, path, cookie) {
  const page = await raw(`${address}${path}`, { cookie, 'accept-encoding': 'gzip' });
  const html = page.encoding === 'gzip' ? gunzipSync(page.body).toString() : page.body.toString();
  let assets = 0;
  for (const m of html.matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g))
    assets += (await raw(`${address}${m[1]}`, { 'accept-encoding': 'gzip' })).body.length;
  return { html: page.body.length, htmlRaw: Buffer.byteLength(html), assets, total: page.body.length + assets };
}

export async function consoleBench({ databaseUrl, rows = 1_000_000, seconds = 10, rounds = 3, log = console.log }) {
  const config = parseConfig({
    store: { databaseUrl },
    timezone: 'Europe/Berlin',
    http: { port: 0, host: '127.0.0.1', tokens: [{ name: 'bench', token: TOKEN, scope: 'read' }] },
    jobs: jobs(1000),
  });
  const app = await startOpscron({ config, logger: silentLogger, metrics: new Metrics() });
  try {
    await app.store.sql.query('delete from runs');
    await app.store.sql.query(
      `insert into runs (id, queue_id, job_id, job_type, trigger, scheduled_for, created_at, started_at, finished_at, attempt, status, summary, findings, metrics)
       select 'r' || g, 'r' || g, 'job-' || (g % 1000), 'noop', 'schedule', t, t, t, t + interval '40 ms', 1,
              (array['ok','ok','ok','warning','critical'])[1 + g % 5], 'service/x healthy: 200 in 12 ms',
              '[{"severity":"warning","check":"http.response-time","resource":"service/x","message":"slow"}]'::jsonb, '{"responseTimeMs": 12}'::jsonb
       from generate_series(1, $1::int) g, lateral (select now() - (g * interval '7.776 seconds') as t) s`,
      [rows],
    );
    await app.store.sql.query('analyze runs');
    const cookie = await signIn(app.address);
    const page = { cookie, 'accept-encoding': 'gzip' };
    const api = { authorization: `Bearer ${TOKEN}`, 'accept-encoding': 'gzip' };
    // GET /api/jobs reads every job's latest run with DISTINCT ON over the whole history:
    // seconds a request at this size, so it is asked a few times by one client only.
    const sides = {
      overview: { url: `${app.address}/`, headers: page, ten: true },
      apiJobs: { url: `${app.address}/api/jobs`, headers: api, ten: false, amount: 5 },
      job: { url: `${app.address}/jobs/job-42`, headers: page, ten: true },
      apiRuns: { url: `${app.address}/api/runs?job=job-42&limit=50`, headers: api, ten: true },
    };
    const clock = serverClock(app.http.server);
    // One request each first: what is worked out once (parsed schedules, rows, statement plans) is not a round's figure.
    for (const side of Object.values(sides))
      await fetch(side.url, { headers: side.headers }).then((r) => r.arrayBuffer());
    const results = Object.fromEntries(Object.keys(sides).map((k) => [k, { one: [], server: [], ten: [] }]));
    for (let round = 0; round < rounds; round++) {
      for (const [name, side] of Object.entries(sides)) {
        clock.start();
        const one = await load(side.url, side.headers, { seconds, amount: side.amount, connections: 1 });
        const server = clock.stop();
        const ten = side.ten
          ? await load(side.url, side.headers, { seconds: Math.max(3, seconds / 2), connections: 10 })
          : null;
        results[name].one.push(one);
        results[name].server.push(server);
        if (ten) results[name].ten.push(ten);
        log(
          `  round ${round + 1} ${name.padEnd(8)}: server time p50 ${server.p50.toFixed(1)} ms, p99 ${server.p99.toFixed(1)} ms (${server.n} requests); one client p99 ${one.p99} ms${ten ? `; 10 clients p99 ${ten.p99} ms, ${Math.round(ten.rps)} req/s` : ''}`,
        );
      }
    }
    const summary = (name) => ({
      p50: median(results[name].server.map((r) => r.p50)),
      p99: median(results[name].server.map((r) => r.p99)),
      clientP99: median(results[name].one.map((r) => r.p99)),
      p99ten: results[name].ten.length ? median(results[name].ten.map((r) => r.p99)) : null,
      rps: results[name].ten.length ? median(results[name].ten.map((r) => r.rps)) : null,
    });
    return {
      overview: { ...summary('overview'), transfer: await transfer(app.address, '/', cookie) },
      job: { ...summary('job'), transfer: await transfer(app.address, '/jobs/job-42', cookie) },
      apiJobs: summary('apiJobs'),
      apiRuns: summary('apiRuns'),
    };
  } finally {
    await app.stop();
  }
}
