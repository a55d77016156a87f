/**
 * No-op jobs per second through opscron's worker (run-history writes to PostgreSQL
 * included) against a raw BullMQ worker with an empty processor, on the same Redis at the
 * same concurrency, alternating, in one run. Target: opscron ≥ 0.8× raw.
 */
import pg from 'pg';
import { Queue, Worker } from 'bullmq';
import { parseConfig } from '../dist/config/load.js';
import { silentLogger } from '../dist/observability/logger.js';
import { Metrics } from '../dist/observability/metrics.js';
import { BullQueue, redisConnection } from '../dist/queue/bullmq.js';
import { MemoryLocks } from '../dist/queue/locks.js';
import { openStore } from '../dist/store/index.js';
import { RunWorker } from '../dist/worker.js';
import { median } from './stats.js';

const CONCURRENCY = 50;
const keep = { removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } };

async function fill(queue, name, n, data) {
  for (let i = 0; i < n; i += 1000) {
    const jobs = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) jobs.push({ name, data, opts: { jobId: `${name}__${j}`, ...keep } });
    await queue.addBulk(jobs);
  }
}

export async function raw(redisUrl, n, round) {
  const name = `raw${round}`;
  const queue = new Queue(name, { connection: redisConnection(redisUrl, false) });
  await fill(queue, 'noop', n, {});
  let done = 0;
  let finish;
  const all = new Promise((r) => (finish = r));
  const started = performance.now();
  const worker = new Worker(name, async () => {}, { connection: redisConnection(redisUrl, true), concurrency: CONCURRENCY });
  worker.on('completed', () => ++done === n && finish());
  await all;
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return n / seconds;
}

export async function opscron(redisUrl, databaseUrl, n, round) {
  const name = `ops${round}`;
  const config = parseConfig({
    store: { databaseUrl },
    queue: { redisUrl, name, concurrency: CONCURRENCY },
    jobs: [{ id: 'noop', type: 'noop', concurrency: 'allow' }],
  });
  const store = await openStore({ databaseUrl, path: '' });
  const queue = new BullQueue({ url: redisUrl, name, prefix: 'bull', lockDurationMs: 30_000, keepCompletedMs: 3_600_000 });
  await fill(queue.queue, 'noop', n, { trigger: 'manual', requestedBy: 'bench' });
  const metrics = new Metrics();
  // Experiment only (bench/README): OPSCRON_BENCH_NO_HISTORY=1 drops the history writes to
  // show what they cost. Never set for the reported figures.
  if (process.env.OPSCRON_BENCH_NO_HISTORY) store.runLog.write = async () => {};
  const worker = new RunWorker({ config, store, queue, locks: new MemoryLocks(), logger: silentLogger, metrics });
  const started = performance.now();
  worker.start(CONCURRENCY);
  for (;;) {
    const done = (await metrics.jobRuns.get()).values.reduce((a, v) => a + v.value, 0);
    if (done >= n) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  await store.runLog.drain();
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await store.sql.query(`select count(*)::int as n from runs where queue_id like 'noop__%' and status = 'ok'`);
  if (!process.env.OPSCRON_BENCH_NO_HISTORY && rows[0].n < n) throw new Error(`only ${rows[0].n} of ${n} runs recorded`);
  await store.sql.query('delete from runs');
  await worker.stop(1000);
  await queue.queue.obliterate({ force: true });
  await queue.close();
  await store.close();
  return n / seconds;
}

export async function throughput({ redisUrl, databaseUrl, jobs = 20_000, rounds = 5, log = console.log }) {
  const pool = new pg.Pool({ connectionString: databaseUrl });
  await pool.end();
  const rawRates = [];
  const opsRates = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first so warm-up and drift do not favour one side.
    const pair = round % 2 ? [['opscron', () => opscron(redisUrl, databaseUrl, jobs, round)], ['raw', () => raw(redisUrl, jobs, round)]]
      : [['raw', () => raw(redisUrl, jobs, round)], ['opscron', () => opscron(redisUrl, databaseUrl, jobs, round)]];
    for (const [which, fn] of pair) {
      const rate = await fn();
      (which === 'raw' ? rawRates : opsRates).push(rate);
      log(`  round ${round + 1} ${which.padEnd(7)} ${Math.round(rate)} jobs/s`);
    }
  }
  const ratios = rawRates.map((r, i) => opsRates[i] / r);
  return { raw: median(rawRates), opscron: median(opsRates), ratio: median(ratios), ratios };
}
