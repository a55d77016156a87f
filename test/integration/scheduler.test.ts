/**
 * The scheduler against a real store (SQLite) and the real in-process queue, driven by a
 * fake clock: DST days, catch-up after downtime, missed slots, pause across restarts.
 */
import { parseConfig } from '../../src/configure.js';
import type { OpscronConfig } from '../../src/config/schema.js';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { InlineQueue } from '../../src/queue/inline.js';
import type { EnqueueItem } from '../../src/queue/types.js';
import { Scheduler } from '../../src/scheduler.js';
import { openStore, type Store } from '../../src/store/index.js';
import { listRuns } from '../../src/store/runs.js';
import { FakeClock } from '../support/fake-clock.js';

/** The real in-process queue, remembering what it was given. */
class RecordingQueue extends InlineQueue {
  items: EnqueueItem[] = [];
  /** Clock time of each enqueue, per item. */
  at: number[] = [];
  failNext = 0;
  clock: FakeClock | null = null;
  override async enqueue(items: EnqueueItem[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('queue unreachable');
    }
    this.items.push(...items);
    for (const _ of items) this.at.push(this.clock?.now() ?? Date.now());
    await super.enqueue(items);
  }
}

const job = (id: string, schedule: string, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'health-check',
  schedule,
  params: { url: 'http://127.0.0.1:9/' },
  ...extra,
});

function setup(jobs: unknown[], timezone = 'UTC') {
  return parseConfig({ timezone, jobs });
}

async function scheduler(config: OpscronConfig, store: Store, clock: FakeClock, queue = new RecordingQueue()) {
  queue.clock = clock;
  const metrics = new Metrics();
  const s = new Scheduler({ config, store, queue, logger: silentLogger, metrics, clock });
  s.on('error', () => {});
  const stop = s.stop.bind(s);
  s.stop = async () => {
    await stop();
    await queue.close();
  };
  await s.start();
  return { s, queue, metrics, advanceTo: (iso: string) => clock.advanceTo(Date.parse(iso), () => !s.busy) };
}

const fired = (q: RecordingQueue, jobId: string) =>
  q.items.filter((i) => i.name === jobId).map((i) => `${i.data.scheduledFor} ${i.data.trigger}`);

describe('scheduler', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openStore({ path: 'memory://' });
  });
  afterEach(async () => {
    await store.close();
  });

  it('runs a daily job exactly once on spring-forward and fall-back days (America/New_York)', async () => {
    const config = setup(
      [job('spring', '30 2 * * *'), job('fall', '30 1 * * *'), job('hourly', '0 * * * *')],
      'America/New_York',
    );
    const clock = new FakeClock(Date.parse('2026-03-07T05:00:00Z'));
    const { s, queue, advanceTo } = await scheduler(config, store, clock);
    await advanceTo('2026-03-10T05:00:00Z');
    expect(fired(queue, 'spring')).toEqual([
      '2026-03-07T07:30:00.000Z schedule',
      '2026-03-08T07:00:00.000Z schedule', // 02:30 does not exist that night: first instant after the gap
      '2026-03-09T06:30:00.000Z schedule',
    ]);
    await s.stop();

    const clock2 = new FakeClock(Date.parse('2026-10-31T04:00:00Z'));
    const later = await scheduler(config, await resetState(store), clock2);
    await later.advanceTo('2026-11-03T05:00:00Z');
    expect(fired(later.queue, 'fall')).toEqual([
      '2026-10-31T05:30:00.000Z schedule',
      '2026-11-01T05:30:00.000Z schedule', // 01:30 happens twice; it fires once
      '2026-11-02T06:30:00.000Z schedule',
    ]);
    const nov1 = fired(later.queue, 'hourly').filter((f) => f >= '2026-11-01T04:00' && f < '2026-11-02T05:00');
    expect(nov1).toHaveLength(25); // an hourly job follows real time through the repeated hour
    await later.s.stop();
  });

  it('after downtime runs the newest missed slot within the deadline once and records the older ones as missed', async () => {
    const config = setup([
      job('hourly', '0 * * * *', { catchUp: { deadline: '2h' } }),
      job('strict', '0 * * * *', { catchUp: { deadline: 0 } }),
    ]);
    const clock = new FakeClock(Date.parse('2026-11-26T09:30:00Z'));
    const first = await scheduler(config, store, clock);
    await first.advanceTo('2026-11-26T10:30:00Z');
    expect(fired(first.queue, 'hourly')).toEqual(['2026-11-26T10:00:00.000Z schedule']);
    await first.s.stop();

    clock.jump(Date.parse('2026-11-26T15:20:00Z')); // down from 10:30 to 15:20
    const second = await scheduler(config, store, clock);
    expect(fired(second.queue, 'hourly')).toEqual(['2026-11-26T15:00:00.000Z catch-up']);
    expect(fired(second.queue, 'strict')).toEqual([]);
    const missed = (id: string) =>
      listRuns(store.sql, { job: id, status: 'missed' }).then((r) =>
        r.map((x) => x.scheduledFor!.toISOString()).sort(),
      );
    expect(await missed('hourly')).toEqual([
      '2026-11-26T11:00:00.000Z',
      '2026-11-26T12:00:00.000Z',
      '2026-11-26T13:00:00.000Z',
      '2026-11-26T14:00:00.000Z',
    ]);
    expect(await missed('strict')).toHaveLength(5);
    const counted = (await second.metrics.missedSlots.get()).values.map((v) => [v.labels.job, v.value]);
    expect(counted).toEqual(
      expect.arrayContaining([
        ['hourly', 4],
        ['strict', 5],
      ]),
    );

    // A third start finds nothing more to catch up: each slot is handled once.
    await second.s.stop();
    const third = await scheduler(config, store, clock);
    expect(third.queue.items).toEqual([]);
    await third.s.stop();
  });

  it('does not lose slots while the queue is unreachable: the newest fires when it is back, the rest are recorded', async () => {
    const config = setup([job('minutely', '* * * * *')]);
    const clock = new FakeClock(Date.parse('2026-11-26T10:00:30Z'));
    const queue = new RecordingQueue();
    const { s, advanceTo } = await scheduler(config, store, clock, queue);
    queue.failNext = 2; // 10:01 fails, retried a second later, fails again...
    await advanceTo('2026-11-26T10:01:02.500Z');
    expect(fired(queue, 'minutely')).toEqual(['2026-11-26T10:01:00.000Z schedule']); // ...the third try succeeds
    queue.failNext = 1_000_000;
    await advanceTo('2026-11-26T10:04:30Z');
    queue.failNext = 0;
    await advanceTo('2026-11-26T10:04:31.500Z');
    // 31 s late: it runs, marked as a catch-up; 10:02 and 10:03 are recorded as missed.
    expect(fired(queue, 'minutely').slice(1)).toEqual(['2026-11-26T10:04:00.000Z catch-up']);
    const missed = await listRuns(store.sql, { job: 'minutely', status: 'missed' });
    expect(missed.map((r) => r.scheduledFor!.toISOString()).sort()).toEqual([
      '2026-11-26T10:02:00.000Z',
      '2026-11-26T10:03:00.000Z',
    ]);
    await s.stop();
  });

  it('keeps a pause across a restart and fires again after resume', async () => {
    const config = setup([job('p', '*/10 * * * *')]);
    const clock = new FakeClock(Date.parse('2026-11-26T10:05:00Z'));
    const first = await scheduler(config, store, clock);
    await first.s.pause('p', 'alice', 'cli', 'maintenance window');
    await first.advanceTo('2026-11-26T10:25:00Z');
    await first.s.stop();
    const second = await scheduler(config, store, clock);
    expect(second.s.isPaused('p')).toBe(true);
    await second.advanceTo('2026-11-26T10:45:00Z');
    expect(first.queue.items.concat(second.queue.items)).toEqual([]);
    await second.s.resume('p', 'alice', 'cli');
    await second.advanceTo('2026-11-26T10:55:00Z');
    expect(fired(second.queue, 'p')).toEqual(['2026-11-26T10:50:00.000Z schedule']);
    expect(await listRuns(store.sql, { job: 'p', status: 'missed' })).toEqual([]); // paused slots are not "missed"
    await second.s.stop();
  });

  it('gives each fire a queue id from job and slot, and the same jitter in every replica', async () => {
    const config = setup([job('j', '*/5 * * * * *', { jitter: '3s' })]);
    const clock = new FakeClock(Date.parse('2026-11-26T10:00:01Z'));
    const { s, queue, advanceTo } = await scheduler(config, store, clock);
    await advanceTo('2026-11-26T10:00:21Z');
    expect(queue.items.map((i) => i.id)).toEqual(
      [5, 10, 15, 20].map((sec) => `j__${Date.parse(`2026-11-26T10:00:${String(sec).padStart(2, '0')}Z`)}`),
    );
    expect(queue.items.every((i) => i.delayMs! >= 0 && i.delayMs! < 3000)).toBe(true);
    expect(new Set(queue.items.map((i) => i.delayMs)).size).toBeGreaterThan(1);
    // The loop wakes early to prepare, but nothing reaches the queue before its slot.
    queue.items.forEach((item, i) =>
      expect(queue.at[i]).toBeGreaterThanOrEqual(Date.parse(item.data.scheduledFor as string)),
    );
    await s.stop();
  });

  it('through a long queue outage retries once a second, logs the real error, and never spins (no error listener, a real logger)', async () => {
    const config = setup([job('j', '* * * * * *')]);
    const clock = new FakeClock(Date.parse('2026-11-26T10:00:00.500Z'));
    const queue = new RecordingQueue();
    queue.clock = clock;
    let attempts = 0;
    const enqueue = queue.enqueue.bind(queue);
    queue.enqueue = async (items) => {
      attempts++;
      return enqueue(items);
    };
    queue.failNext = 1_000_000;
    const lines: string[] = [];
    const logger = createLogger({
      level: 'error',
      pretty: false,
      destination: new Writable({
        write(chunk, _e, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    const s = new Scheduler({ config, store, queue, logger, metrics: new Metrics(), clock });
    await s.start();
    await clock.advanceTo(Date.parse('2026-11-26T10:00:10.500Z'), () => !s.busy);
    expect(attempts).toBeGreaterThanOrEqual(9);
    expect(attempts).toBeLessThanOrEqual(12);
    expect(s.errors).toBe(attempts);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      msg: 'scheduler tick failed; retrying in 1 s',
      err: { message: 'queue unreachable' },
    });
    queue.failNext = 0;
    await clock.advanceTo(Date.parse('2026-11-26T10:00:12.500Z'), () => !s.busy);
    expect(queue.items.length).toBeGreaterThan(0);
    await s.stop();
    await queue.close();
  });
});

async function resetState(store: Store): Promise<Store> {
  await store.sql.query('delete from schedule_state');
  return store;
}
