/**
 * Schedule lag: 1,000 schedules each firing every second, every fire enqueued on BullMQ,
 * cursors persisted in PostgreSQL. Lag = enqueue completed − slot time. Baseline: plain
 * node-cron, one task per schedule, an empty callback (lag = callback time − slot).
 * Each side runs in its own process so its RSS is its own.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, percentile } from './stats.js';

const SCHEDULES = 1000;

async function child(kind, opts) {
  return new Promise((resolve, reject) => {
    const p = fork(fileURLToPath(import.meta.url), ['--child', kind, JSON.stringify(opts)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    p.on('message', resolve);
    p.on('exit', (code) => code && reject(new Error(`${kind} benchmark exited ${code}`)));
  });
}

export async function scheduleLag({ redisUrl, databaseUrl, seconds = 60, rounds = 3, log = console.log }) {
  const results = [];
  for (let round = 0; round < rounds; round++) {
    const ours = await child('opscron', { redisUrl, databaseUrl, seconds, round });
    const base = await child('node-cron', { seconds });
    log(
      `  round ${round + 1}: opscron p50 ${ours.p50.toFixed(1)} p99 ${ours.p99.toFixed(1)} max ${ours.max.toFixed(1)} ms, fires ${ours.fires}, missed ${ours.missed}, gaps ${ours.gaps}, duplicates ${ours.duplicates}, RSS ${ours.rssMiB} MiB | node-cron p50 ${base.p50.toFixed(1)} p99 ${base.p99.toFixed(1)} ms, RSS ${base.rssMiB} MiB`,
    );
    results.push({ ours, base });
  }
  return {
    p99: median(results.map((r) => r.ours.p99)),
    p50: median(results.map((r) => r.ours.p50)),
    missed: Math.max(...results.map((r) => r.ours.missed + r.ours.gaps)),
    duplicates: Math.max(...results.map((r) => r.ours.duplicates)),
    rssMiB: median(results.map((r) => r.ours.rssMiB)),
    baselineP99: median(results.map((r) => r.base.p99)),
  };
}

async function runOpscron({ redisUrl, databaseUrl, seconds, round }) {
  const { parseConfig } = await import('../dist/configure.js');
  const { silentLogger } = await import('../dist/observability/logger.js');
  const { Metrics } = await import('../dist/observability/metrics.js');
  const { BullQueue } = await import('../dist/queue/bullmq.js');
  const { Scheduler } = await import('../dist/scheduler.js');
  const { openStore } = await import('../dist/store/index.js');
  const name = `lag${round}${Date.now()}`;
  const jobs = Array.from({ length: SCHEDULES }, (_, i) => ({ id: `s${i}`, type: 'noop', schedule: '* * * * * *' }));
  const config = parseConfig({ store: { databaseUrl }, queue: { redisUrl, name }, jobs });
  const store = await openStore({ databaseUrl, path: '' });
  await store.sql.query('delete from schedule_state');
  const queue = new BullQueue({
    url: redisUrl,
    name,
    prefix: 'bull',
    lockDurationMs: 30_000,
    keepCompletedMs: 3_600_000,
  });
  await queue.ping();
  const metrics = new Metrics();
  const scheduler = new Scheduler({ config, store, queue, logger: silentLogger, metrics });
  const lags = [];
  const seen = new Map();
  scheduler.on('fired', (fires) => {
    for (const f of fires) {
      lags.push(f.lagMs);
      seen.set(f.queueId, (seen.get(f.queueId) ?? 0) + 1);
    }
  });
  await scheduler.start();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  await scheduler.stop();
  const rss = process.memoryUsage().rss;
  // Gaps: a schedule that skipped a second between its first and last fire.
  const bySchedule = new Map();
  for (const id of seen.keys()) {
    const [job, slot] = id.split('__');
    (bySchedule.get(job) ?? bySchedule.set(job, []).get(job)).push(Number(slot));
  }
  let gaps = 0;
  for (const slots of bySchedule.values()) {
    slots.sort((a, b) => a - b);
    gaps += (slots[slots.length - 1] - slots[0]) / 1000 + 1 - slots.length;
  }
  const counts = await queue.counts();
  const queued = counts.waiting + counts.prioritized + counts.delayed + counts.active + counts.completed;
  const missed = (await metrics.missedSlots.get()).values.reduce((a, v) => a + v.value, 0);
  await queue.queue.obliterate({ force: true });
  await queue.close();
  await store.close();
  return {
    fires: lags.length,
    p50: percentile(lags, 50),
    p99: percentile(lags, 99),
    max: Math.max(...lags),
    missed,
    gaps,
    duplicates: lags.length - seen.size + Math.abs(queued - seen.size),
    rssMiB: Math.round(rss / 2 ** 20),
  };
}

async function runNodeCron({ seconds }) {
  const cron = await import('node-cron');
  const lags = [];
  const tasks = Array.from({ length: SCHEDULES }, () =>
    cron.schedule('* * * * * *', () => {
      lags.push(Date.now() % 1000);
    }),
  );
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const rss = process.memoryUsage().rss;
  await Promise.all(tasks.map((t) => t.destroy()));
  return {
    fires: lags.length,
    p50: percentile(lags, 50),
    p99: percentile(lags, 99),
    max: Math.max(...lags),
    rssMiB: Math.round(rss / 2 ** 20),
  };
}

if (process.argv[2] === '--child') {
  const opts = JSON.parse(process.argv[4]);
  const result = process.argv[3] === 'opscron' ? await runOpscron(opts) : await runNodeCron(opts);
  process.send(result, () => process.exit(0));
}
