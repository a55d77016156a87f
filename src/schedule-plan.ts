/**
 * What a scheduler tick does with the slots that fell due, decided without I/O: for each
 * schedule, the newest due slot fires (on time `schedule`, late within `catchUp.deadline`
 * `catch-up`) or is missed; every older slot is a `missed` row, up to a cap per schedule,
 * the last row naming the rest. Paused schedules move on without firing or recording.
 */
import type { JobConfig } from './config/schema.js';
import type { CronExpression } from './cron/expression.js';
import { slotsBetween } from './cron/slots.js';
import type { RunRow } from './model.js';
import type { EnqueueItem } from './queue/types.js';

/** A slot fired later than this (event loop stall, suspend) counts as late: catch-up rules apply. */
const ON_TIME_MS = 30_000;

export interface Fire {
  jobId: string;
  slot: number;
  trigger: 'schedule' | 'catch-up';
  queueId: string;
  lagMs: number;
}

/** A schedule as the scheduler keeps it: its job, expression, zone, last handled slot and next one. */
export interface Entry {
  job: JobConfig;
  expr: CronExpression;
  timeZone: string;
  cursor: number;
  next: number | null;
}

/** Queue id of a scheduled slot; BullMQ forbids ':' in ids. */
export const slotQueueId = (jobId: string, slot: number) => `${jobId}__${slot}`;

/** The queue data of a fire: what the worker gets for every scheduled run. */
export const fireData = (trigger: Fire['trigger'], slot: number) => ({
  params: {},
  trigger,
  requestedBy: 'scheduler',
  scheduledFor: new Date(slot).toISOString(),
});

/** Deterministic jitter in [0, jitter): every replica delays the same slot the same way. */
export function jitterFor(jobId: string, slot: number, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  let h = 2166136261;
  for (const ch of `${jobId}@${slot}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h % jitterMs;
}

export interface Plan {
  fires: Fire[];
  items: EnqueueItem[];
  missed: RunRow[];
  /** Every schedule with due slots, and the newest of them: its cursor moves there. */
  handled: { entry: Entry; slot: number }[];
  missedByJob: Map<string, { slots: number[]; truncated: number }>;
}

export interface PlanContext {
  now: number;
  /** When this process started: due slots from before it were missed while it was down. */
  startedAt: number;
  paused: ReadonlySet<string>;
  /** Missed rows written per schedule per tick; the last names how many more there were. */
  maxMissedRecords: number;
}

export function planDue(entries: Iterable<Entry>, context: PlanContext): Plan {
  const plan: Plan = { fires: [], items: [], missed: [], handled: [], missedByJob: new Map() };
  const memo = new Map<string, { slots: number[]; truncated: boolean }>();
  for (const entry of entries) {
    if (entry.next === null || entry.next > context.now) continue;
    // Schedules with the same expression, zone and cursor share their slot arithmetic.
    const key = `${entry.job.schedule}|${entry.timeZone}|${entry.cursor}`;
    let due = memo.get(key);
    if (!due)
      memo.set(
        key,
        (due = slotsBetween(entry.expr, entry.timeZone, entry.cursor, context.now, context.maxMissedRecords + 1)),
      );
    if (!due.slots.length) continue;
    plan.handled.push({ entry, slot: due.slots[due.slots.length - 1]! });
    if (!context.paused.has(entry.job.id)) planEntry(plan, entry, due, context);
  }
  return plan;
}

function planEntry(plan: Plan, entry: Entry, due: { slots: number[]; truncated: boolean }, context: PlanContext): void {
  const newest = due.slots[due.slots.length - 1]!;
  const lag = context.now - newest;
  const trigger =
    newest > context.startedAt && lag <= ON_TIME_MS
      ? 'schedule'
      : lag <= entry.job.catchUp.deadline
        ? 'catch-up'
        : null;
  const older = trigger ? due.slots.slice(0, -1) : due.slots;
  if (trigger) {
    const queueId = slotQueueId(entry.job.id, newest);
    plan.fires.push({ jobId: entry.job.id, slot: newest, trigger, queueId, lagMs: lag });
    plan.items.push({
      id: queueId,
      name: entry.job.id,
      delayMs: jitterFor(entry.job.id, newest, entry.job.jitter),
      data: fireData(trigger, newest),
    });
  }
  if (!older.length) return;
  // Slots past the record cap are still counted and named in the last row's summary.
  const truncated = due.truncated ? 1 : 0;
  plan.missedByJob.set(entry.job.id, { slots: older, truncated });
  older.forEach((slot, i) => {
    const note =
      i === older.length - 1 && truncated
        ? ` (and more after ${new Date(slot).toISOString()}: the record cap of ${context.maxMissedRecords} per schedule was reached)`
        : '';
    plan.missed.push(missedRow(entry.job, slot, note));
  });
}

function missedRow(job: JobConfig, slot: number, note: string): RunRow {
  const at = new Date(slot);
  return {
    id: slotQueueId(job.id, slot),
    queueId: null,
    jobId: job.id,
    jobType: job.type,
    trigger: 'schedule',
    scheduledFor: at,
    createdAt: at,
    startedAt: null,
    finishedAt: null,
    attempt: 1,
    status: 'missed',
    summary: `slot ${at.toISOString()} missed: opscron was down or could not enqueue, and it is older than the catch-up deadline or a newer slot ran instead${note}`,
    findings: [],
    metrics: null,
    error: null,
    params: null,
    requestedBy: 'scheduler',
    reason: null,
    worker: null,
  };
}
