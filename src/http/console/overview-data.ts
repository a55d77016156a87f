/**
 * What the overview shows, gathered in one go: the last runs of every job (one statement,
 * store/console-views.ts), pause states, open incidents, queue counts. Schedules in words
 * and parsed cron expressions are kept per expression: a thousand jobs cost a lookup each.
 */
import type { JobConfig, OpscronConfig } from '../../config/schema.js';
import { describeSchedule } from '../../cron/describe.js';
import { parseCron, type CronExpression } from '../../cron/expression.js';
import { nextSlot } from '../../cron/slots.js';
import type { Html } from './html.js';
import type { ConsoleDeps } from './context.js';
import { overviewView } from './views/overview.js';

/** Runs in each job's strip. */
const STRIP = 10;
interface Entry {
  cron: CronExpression;
  words: Map<string, string>;
  /** Per zone: the next slot as last worked out. It stays the next slot until it passes. */
  next: Map<string, { from: number; next: number | null }>;
}
const parsed = new Map<string, Entry>();

/** The next slot after `now`: the one worked out at an earlier `from`, unless it has come (no slot lies between). */
function nextOf(entry: Entry, timeZone: string, now: number): number | null {
  const known = entry.next.get(timeZone);
  if (known && known.next !== null && known.from <= now && now < known.next) return known.next;
  const next = nextSlot(entry.cron, timeZone, now);
  entry.next.set(timeZone, { from: now, next });
  return next;
}

function cronOf(schedule: string): Entry {
  let entry = parsed.get(schedule);
  if (!entry) {
    if (parsed.size > 10_000) parsed.clear();
    parsed.set(schedule, (entry = { cron: parseCron(schedule), words: new Map(), next: new Map() }));
  }
  return entry;
}

/** A job's schedule in words, its zone and its next slot. */
export function scheduleOf(
  job: JobConfig,
  config: OpscronConfig,
  now: number,
): { words: string; timeZone: string; nextRun: Date | null } {
  const timeZone = job.timezone ?? config.timezone;
  if (!job.schedule) return { words: 'manual only', timeZone, nextRun: null };
  const entry = cronOf(job.schedule);
  let words = entry.words.get(timeZone);
  if (!words) entry.words.set(timeZone, (words = describeSchedule(job.schedule, timeZone)));
  const next = job.enabled ? nextOf(entry, timeZone, now) : null;
  return { words, timeZone, nextRun: next === null ? null : new Date(next) };
}

export async function overviewData(deps: ConsoleDeps): Promise<{ view: Html }> {
  const { config, store } = deps;
  const now = deps.now();
  const [recent, states, incidents, queue] = await Promise.all([
    store.runViews.recent(
      config.jobs.map((j) => j.id),
      STRIP,
    ),
    store.schedules.load(),
    store.incidents.list({ status: 'open', limit: 50 }),
    deps.queue.counts().catch(() => null),
  ]);
  const jobs = config.jobs.map((job) => ({
    id: job.id,
    type: job.type,
    schedule: job.schedule ?? null,
    ...scheduleOf(job, config, now),
    recent: recent.get(job.id) ?? [],
    paused: states.get(job.id)?.paused ?? false,
    enabled: job.enabled,
  }));
  return {
    view: overviewView({
      now,
      timeZone: config.timezone,
      jobs,
      incidents,
      queue,
      heartbeatAgeMs: deps.heartbeatAgeMs(),
    }),
  };
}
