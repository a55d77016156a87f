/**
 * No-op jobs per second through opscron's worker (run-history writes to PostgreSQL
 * included) against a raw BullMQ worker with an empty processor, on the same Redis at the
 * same concurrency, with the same job data, in one run, rotating which goes first.
 * Target: opscron ≥ 0.8× raw.
 *
 * opscron is measured on two payloads: scheduled fires (what opscron's scheduler enqueues;
 * the volume path) and manual triggers from a producer other than opscron (each one also
 * written to the audit log by the worker, the slower path).
 */
import { Queue, Worker } from 'bullmq';
import { parseConfig } from '../dist/configure.js';
import { silentLogger } from '../dist/observability/logger.js';
import { Metrics } from '../dist/observability/metrics.js';
import { BullQueue, redisConnection } from '../dist/queue/bullmq.js';
import { MemoryLocks } from '../dist/queue/locks.js';
import { openStore } from '../dist/store/index.js';
import { fireData } from '../dist/scheduler.js';
import { RunWorker } from '../dist/worker.js';
import { perJob } from './cpu.js';
import { median } from './stats.js';

const CONCURRENCY = 50;
const keep = { removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } };

async function fill(queue, name, n, data) {
  for (let i = 0; i < n; i += 1000) {
    const jobs = [];
    for (let j = i; j < Math.min(n, i + 1000); j++)
      jobs.push({ name, data, opts: { jobId: `${name}__${j}`, ...keep } });
    await queue.addBulk(jobs);
  }
}

const NO_METER = () => ({ main: 0, node: 0, redis: 0, pg: {} });

export async function raw(redisUrl, n, round, data, meter = NO_METER) {
  const name = `raw${round}`;
  const queue = new Queue(name, { connection: redisConnection(redisUrl, false) });
  await fill(queue, 'noop', n, data);
  let done = 0;
  let finish;
  const all = new Promise((r) => (finish = r));
  const cpuBefore = meter();
  const started = performance.now();
  const worker = new Worker(name, async () => {}, {
    connection: redisConnection(redisUrl, true),
    concurrency: CONCURRENCY,
  });
  worker.on('completed', () => ++done === n && finish());
  await all;
  const seconds = (performance.now() - started) / 1000;
  const cpu = perJob(cpuBefore, meter(), n);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { rate: n / seconds, cpu };
}

export const PAYLOADS = {
  // Exactly what the scheduler enqueues for a fire.
  scheduled: fireData('schedule', Date.parse('2026-11-26T12:00:00Z')),
  producer: { trigger: 'manual', requestedBy: 'bench' },
};

export async function opscron(redisUrl, databaseUrl, n, round, payload = PAYLOADS.scheduled, meter = NO_METER) {
  const name = `ops${round}`;
  const config = parseConfig({
    store: { databaseUrl },
    queue: { redisUrl, name, concurrency: CONCURRENCY },
    jobs: [{ id: 'noop', type: 'noop', concurrency: 'allow' }],
  });
  const store = await openStore({ databaseUrl, path: '' });
  const queue = new BullQueue({
    url: redisUrl,
    name,
    prefix: 'bull',
    lockDurationMs: 30_000,
    keepCompletedMs: 3_600_000,
  });
  await fill(queue.queue, 'noop', n, payload);
  const metrics = new Metrics();
  // Experiment only (bench/README): OPSCRON_BENCH_NO_HISTORY=1 drops the history writes to
  // show what they cost. Never set for the reported figures.
  if (process.env.OPSCRON_BENCH_NO_HISTORY) store.runLog.write = async () => {};
  // Told of each run's end, as the raw side is by BullMQ's 'completed' event.
  let done = 0;
  let finish;
  const all = new Promise((r) => (finish = r));
  const onRunFinished = () => ++done === n && finish();
  const worker = new RunWorker({
    config,
    store,
    queue,
    locks: new MemoryLocks(),
    logger: silentLogger,
    metrics,
    onRunFinished,
  });
  const cpuBefore = meter();
  const started = performance.now();
  worker.start(CONCURRENCY);
  await all;
  await store.runLog.drain();
  const seconds = (performance.now() - started) / 1000;
  const cpu = perJob(cpuBefore, meter(), n);
  const { rows } = await store.sql.query(
    `select count(*)::int as n from runs where queue_id like 'noop__%' and status = 'ok'`,
  );
  if (!process.env.OPSCRON_BENCH_NO_HISTORY && rows[0].n < n)
    throw new Error(`only ${rows[0].n} of ${n} runs recorded`);
  // truncate, not delete: dead rows would have autovacuum working through the next rounds.
  await store.sql.query('truncate runs, audit_log');
  await worker.stop(1000);
  await queue.queue.obliterate({ force: true });
  await queue.close();
  await store.close();
  return { rate: n / seconds, cpu };
}

export async function throughput({
  redisUrl,
  databaseUrl,
  jobs = 20_000,
  rounds = 5,
  meter = NO_METER,
  log = console.log,
}) {
  const sides = {
    // The same jobs as opscron's scheduled side: the raw worker ignores the data, but Redis
    // stores and returns it and BullMQ parses it, for both alike.
    raw: (round) => raw(redisUrl, jobs, round, PAYLOADS.scheduled, meter),
    scheduled: (round) => opscron(redisUrl, databaseUrl, jobs, round, PAYLOADS.scheduled, meter),
    producer: (round) => opscron(redisUrl, databaseUrl, jobs, `p${round}`, PAYLOADS.producer, meter),
  };
  const names = Object.keys(sides);
  const rates = Object.fromEntries(names.map((k) => [k, []]));
  const cpus = Object.fromEntries(names.map((k) => [k, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate the order so warm-up and drift do not favour one side.
    const order = names.map((_, i) => names[(i + round) % names.length]);
    for (const which of order) {
      const { rate, cpu } = await sides[which](round);
      rates[which].push(rate);
      cpus[which].push(cpu);
    }
    log(
      `  round ${round + 1}: raw ${Math.round(rates.raw[round])} jobs/s | scheduled fires ${Math.round(rates.scheduled[round])} jobs/s, ratio ${(rates.scheduled[round] / rates.raw[round]).toFixed(2)} | producer triggers (audited) ${Math.round(rates.producer[round])} jobs/s, ratio ${(rates.producer[round] / rates.raw[round]).toFixed(2)}`,
    );
  }
  const ratio = (k) => median(rates[k].map((r, i) => r / rates.raw[i]));
  // CPU per job of each process while the jobs ran, medians over the rounds (bench/cpu.js).
  const cpu = (k) =>
    Object.fromEntries(['main', 'helpers', 'redis', 'pg'].map((p) => [p, median(cpus[k].map((c) => c[p]))]));
  return {
    raw: median(rates.raw),
    scheduled: median(rates.scheduled),
    producer: median(rates.producer),
    ratio: ratio('scheduled'),
    producerRatio: ratio('producer'),
    cpu: { raw: cpu('raw'), scheduled: cpu('scheduled'), producer: cpu('producer') },
  };
}
