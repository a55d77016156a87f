/**
 * The scheduler: turns cron slots into queue jobs. One timer for the whole process,
 * armed for the earliest next slot of any schedule (at most five seconds away, which is also
 * the heartbeat); every schedule due at that instant is enqueued in one bulk call. Queue
 * ids are `<job id>__<slot ms>`, so any number of replicas fire each slot once.
 *
 * For each schedule the last handled slot (the cursor) is persisted. On every tick, and
 * after a restart, the slots between the cursor and now are:
 *   - the newest: fired (trigger `schedule` if on time, `catch-up` if late but within
 *     `catchUp.deadline`), otherwise recorded as missed;
 *   - all older ones: recorded as runs with status `missed` and counted. Never dropped
 *     silently. A paused schedule moves its cursor without firing or recording.
 */
import { EventEmitter } from 'node:events';
import { systemClock, type Clock } from './clock.js';
import type { OpscronConfig } from './config/schema.js';
import { parseCron } from './cron/expression.js';
import { nextSlot } from './cron/slots.js';
import type { Logger } from './observability/logger.js';
import type { Metrics } from './observability/metrics.js';
import type { EnqueueItem, RunQueue } from './queue/types.js';
import type { Store } from './store/index.js';
import type { AuditSource } from './model.js';
import { planDue, slotQueueId, type Entry, type Fire, type Plan } from './schedule-plan.js';

export { fireData, jitterFor, slotQueueId, type Fire } from './schedule-plan.js';

const MAX_SLEEP_MS = 5000;
/** How early the loop wakes before a slot to prepare its fires (never to enqueue them). */
const LEAD_MS = 30;
const PAUSE_REFRESH_MS = 5000;

export interface SchedulerEvents {
  fired: [fires: Fire[]];
  missed: [jobId: string, slots: number[], truncated: number];
  error: [error: unknown];
}

export class Scheduler extends EventEmitter<SchedulerEvents> {
  private readonly entries = new Map<string, Entry>();
  private readonly paused = new Set<string>();
  private readonly clock: Clock;
  private timer: unknown = null;
  private running = false;
  private ticking: Promise<void> | null = null;
  private retryAt = 0;
  private pausesLoadedAt = 0;
  private startedAt = 0;
  /** Last time the loop ran (ms); /health turns red when it goes stale. */
  heartbeat = 0;
  /** Failures the loop survived (ticks that threw, schedule state not recorded). */
  errors = 0;

  constructor(
    private readonly o: {
      config: OpscronConfig;
      store: Store;
      queue: RunQueue;
      logger: Logger;
      metrics: Metrics;
      clock?: Clock;
    },
  ) {
    super();
    this.clock = o.clock ?? systemClock;
    for (const job of o.config.jobs) {
      if (!job.schedule || !job.enabled) continue;
      this.entries.set(job.id, {
        job,
        expr: parseCron(job.schedule),
        timeZone: job.timezone ?? o.config.timezone,
        cursor: 0,
        next: null,
      });
    }
  }

  /** Loads cursors and pauses, handles the slots missed while down, and starts the timer. */
  async start(): Promise<void> {
    const now = this.clock.now();
    const states = await this.o.store.schedules.load();
    const fresh: string[] = [];
    for (const [id, entry] of this.entries) {
      const state = states.get(id);
      entry.cursor = state?.lastSlot ? state.lastSlot.getTime() : now;
      if (!state?.lastSlot) fresh.push(id);
      entry.next = nextSlot(entry.expr, entry.timeZone, entry.cursor);
    }
    for (const [id, state] of states) if (state.paused) this.paused.add(id);
    this.pausesLoadedAt = now;
    // A schedule seen for the first time starts from now: nothing before it was ever due.
    await this.o.store.schedules.advance(
      fresh,
      fresh.map(() => new Date(now)),
    );
    this.running = true;
    this.startedAt = now;
    await this.tick();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.ticking;
  }

  /** True while a tick is in progress. */
  get busy(): boolean {
    return this.ticking !== null;
  }

  isPaused(jobId: string): boolean {
    return this.paused.has(jobId);
  }

  async pause(jobId: string, actor: string, source: AuditSource, reason?: string): Promise<void> {
    await this.o.store.schedules.setPaused(jobId, true, actor);
    await this.o.store.audit.write({ actor, source, action: 'pause', jobId, reason });
    this.paused.add(jobId);
  }

  async resume(jobId: string, actor: string, source: AuditSource, reason?: string): Promise<void> {
    await this.o.store.schedules.setPaused(jobId, false, actor);
    await this.o.store.audit.write({ actor, source, action: 'resume', jobId, reason });
    this.paused.delete(jobId);
  }

  private arm(): void {
    if (!this.running) return;
    const now = this.clock.now();
    let wake = now + MAX_SLEEP_MS;
    for (const e of this.entries.values()) if (e.next !== null && e.next - LEAD_MS < wake) wake = e.next - LEAD_MS;
    wake = Math.max(wake, this.retryAt); // after a failure nothing is tried before retryAt
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.ticking = this.tick().finally(() => {
          this.ticking = null;
        });
      },
      Math.max(0, wake - now),
    );
  }

  private async tick(): Promise<void> {
    try {
      const now = this.clock.now();
      this.heartbeat = now;
      this.o.metrics.schedulerHeartbeat.set(now / 1000);
      if (now < this.retryAt) return;
      // Woken up to LEAD_MS early: prepare the slot's fires now, enqueue them at the slot.
      let at = now;
      for (const e of this.entries.values())
        if (e.next !== null && e.next > now && e.next - now <= LEAD_MS && (at === now || e.next < at)) at = e.next;
      await this.fireDue(at);
    } catch (error) {
      // First the pause before the next try (the loop must never spin), then the telling.
      this.retryAt = this.clock.now() + 1000;
      this.report(error, 'scheduler tick failed; retrying in 1 s');
    } finally {
      this.arm();
    }
  }

  /** Counts, emits (to listeners, if any) and logs a failure; never throws. */
  private report(error: unknown, message: string): void {
    this.errors++;
    try {
      if (this.listenerCount('error')) this.emit('error', error);
    } catch {
      // A listener's failure is not the loop's.
    }
    this.o.logger.error({ err: error }, message);
  }

  /** Resolves once the clock has reached `at`: nothing is ever enqueued before its slot. */
  private async until(at: number): Promise<void> {
    while (this.clock.now() < at) await new Promise<void>((r) => this.clock.setTimeout(r, at - this.clock.now()));
  }

  private async refreshPauses(now: number): Promise<void> {
    this.pausesLoadedAt = now;
    try {
      const states = await this.o.store.schedules.load();
      this.paused.clear();
      for (const [id, s] of states) if (s.paused) this.paused.add(id);
    } catch (error) {
      this.o.logger.warn({ err: error }, 'could not refresh paused schedules');
    }
  }

  private async fireDue(now: number): Promise<void> {
    let anyDue = false;
    for (const e of this.entries.values()) if (e.next !== null && e.next <= now) anyDue = true;
    if (!anyDue) return;
    // Another replica (or the API) may have paused a job: pauses are re-read every few
    // seconds while schedules fire, in the background so a slot never waits on the store.
    if (now - this.pausesLoadedAt > PAUSE_REFRESH_MS) void this.refreshPauses(now);
    const plan = planDue(this.entries.values(), {
      now,
      startedAt: this.startedAt,
      paused: this.paused,
      maxMissedRecords: this.o.config.scheduler.maxMissedRecords,
    });
    if (!plan.handled.length) return;
    await this.until(now);
    await this.enqueue(plan.fires, plan.items);
    this.advance(plan.handled);
    if (plan.fires.length) this.emit('fired', plan.fires);
    await this.record(plan);
  }

  /** Lag is timed per fire: from its slot to the moment its part of the batch is queued. */
  private async enqueue(fires: Fire[], items: EnqueueItem[]): Promise<void> {
    const byId = new Map(fires.map((f) => [f.queueId, f]));
    await this.o.queue.enqueue(items, (added) => {
      const at = this.clock.now();
      for (const item of added) {
        const fire = byId.get(item.id)!;
        fire.lagMs = at - fire.slot;
        this.o.metrics.scheduleLag.observe(fire.lagMs / 1000);
      }
    });
  }

  /** Each handled schedule's cursor moves to its newest due slot, and its next slot is computed (shared per expression). */
  private advance(handled: Plan['handled']): void {
    const nextMemo = new Map<string, number | null>();
    for (const { entry, slot } of handled) {
      entry.cursor = slot;
      const key = `${entry.job.schedule}|${entry.timeZone}`;
      let next = nextMemo.get(key);
      if (next === undefined) nextMemo.set(key, (next = nextSlot(entry.expr, entry.timeZone, slot)));
      entry.next = next;
    }
  }

  /** Missed rows (once, however many replicas saw them) and the cursors, in the store. */
  private async record(plan: Plan): Promise<void> {
    try {
      const inserted = new Set(await this.o.store.runs.insertNew(plan.missed));
      for (const [jobId, m] of plan.missedByJob) {
        const fresh = m.slots.filter((s) => inserted.has(slotQueueId(jobId, s)));
        if (!fresh.length) continue;
        this.o.metrics.missedSlots.inc({ job: jobId }, fresh.length);
        this.o.logger.warn(
          { job: jobId, missed: fresh.length, first: new Date(fresh[0]!).toISOString() },
          'schedule slots missed',
        );
        this.emit('missed', jobId, fresh, m.truncated);
      }
      await this.o.store.schedules.advance(
        plan.handled.map((h) => h.entry.job.id),
        plan.handled.map((h) => new Date(h.slot)),
      );
    } catch (error) {
      // The fires are queued; the cursor in memory moved on. A restart before the store is
      // back may re-fire these slots, which the queue ids turn into no-ops.
      this.report(error, 'could not record schedule state');
    }
  }
}
