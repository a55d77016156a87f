/**
 * clear-stuck: the runbook's "clear stuck operations". BullMQ jobs that have been active
 * far longer than expected, or whose worker is gone (active with no lock: stalled), in the
 * configured queues — reported, or retried or failed; and PostgreSQL sessions idle in a
 * transaction for longer than a limit — reported, or ended with pg_terminate_backend.
 * Anything but reporting is destructive: confirm, audited.
 */
import { z } from 'zod';
import type { RedisEndpoint } from '../config/redis.js';
import { duration } from '../config/schema.js';
import { InvalidRunError } from '../errors.js';
import { withSessions } from '../integrations/pg-sessions.js';
import { withQueue } from '../integrations/queue-admin.js';
import { databaseOf } from './db-backup.js';
import { defineJob, statusOf, type Finding, type JobContext } from './types.js';

/** Where to look for stuck work and what to do with it (report by default). */
export const clearStuckParams = z.strictObject({
  /** BullMQ queues to look at; default: opscron's own queue (when it runs on Redis). */
  queues: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        prefix: z.string().default('bull'),
        /** Default: opscron's own queue's Redis (queue.redisUrl, sentinels or cluster). */
        redisUrl: z
          .string()
          .regex(/^rediss?:\/\/\S+$/, { error: 'must be a redis:// URL' })
          .optional(),
        /** Active longer than this is stuck. */
        maxActive: duration.default(3_600_000),
      }),
    )
    .optional(),
  /** What to do with stuck queue jobs. */
  action: z.enum(['report', 'retry', 'fail']).default('report'),
  /** A database (config.databases) whose idle-in-transaction sessions to look at. */
  database: z.string().optional(),
  idleInTransaction: duration.default(300_000),
  /** End those sessions with pg_terminate_backend. */
  terminate: z.boolean().default(false),
});

type ClearStuckParams = z.output<typeof clearStuckParams>;
type QueueTarget = NonNullable<ClearStuckParams['queues']>[number];

/** What one part of the run found and did: its findings, how many were stuck, how many it cleared. */
interface Cleared {
  findings: Finding[];
  stuck: number;
  handled: number;
}

/** Stuck queue jobs and idle-in-transaction sessions: reported, or (confirmed) cleared. */
export const clearStuck = defineJob({
  type: 'clear-stuck',
  summary:
    'Stuck BullMQ jobs (active too long, or stalled) and PostgreSQL sessions idle in transaction: report, retry/fail, terminate',
  params: clearStuckParams,
  overridable: ['action', 'idleInTransaction', 'terminate'],
  destructive: (p) => p.action !== 'report' || p.terminate,
  async run(ctx, params) {
    const queues = queuesOf(ctx, params);
    if (!queues.length && !params.database)
      throw new InvalidRunError('nothing to look at: give queues (or run opscron on Redis) and/or a database');
    const findings: Finding[] = [];
    let stuckJobs = 0;
    let handled = 0;
    const now = ctx.now().getTime();
    for (const q of queues) {
      const queue = await clearQueue(ctx, params, q, now);
      findings.push(...queue.findings);
      stuckJobs += queue.stuck;
      handled += queue.handled;
    }
    let sessions = 0;
    if (params.database) {
      const idle = await clearIdleSessions(ctx, params, params.database);
      findings.push(...idle.findings);
      sessions = idle.stuck;
      handled += idle.handled;
    }
    return {
      status: statusOf(findings),
      summary:
        stuckJobs + sessions === 0
          ? 'nothing stuck'
          : `${stuckJobs} stuck queue job${stuckJobs === 1 ? '' : 's'}, ${sessions} idle-in-transaction session${sessions === 1 ? '' : 's'}${handled ? `; ${handled} cleared` : ' (reported only)'}`,
      findings,
      metrics: { stuckJobs, idleSessions: sessions, cleared: handled },
    };
  },
});

/** The queues asked for, or opscron's own when it runs on Redis. */
function queuesOf(ctx: JobContext, params: ClearStuckParams): QueueTarget[] {
  return (
    params.queues ??
    (ctx.config.queue.redis
      ? [{ name: ctx.config.queue.name, prefix: ctx.config.queue.prefix, maxActive: 3_600_000 }]
      : [])
  );
}

/** A queue's Redis: its own URL, or opscron's queue's (with its TLS, Sentinel or Cluster). */
function redisOf(ctx: JobContext, q: QueueTarget): RedisEndpoint {
  const own = ctx.config.queue.redis;
  if (q.redisUrl === undefined) {
    if (!own) throw new InvalidRunError(`queues[${q.name}]: no redisUrl and opscron's own queue is not on Redis`);
    return own;
  }
  return q.redisUrl === ctx.config.queue.redisUrl && own ? own : { kind: 'standalone', url: q.redisUrl };
}

/** Why an active job is stuck — no worker holds its lock, or it ran past maxActive — or null if it is not. */
function stuckReason(locked: boolean, activeMs: number, maxActive: number): string | null {
  if (!locked) return `stalled: active for ${Math.round(activeMs / 1000)} s and no worker holds its lock`;
  if (activeMs > maxActive)
    return `active for ${Math.round(activeMs / 1000)} s, longer than ${Math.round(maxActive / 1000)} s`;
  return null;
}

/** One queue's active jobs (the first 1000): the stuck ones reported, or failed (and retried). */
async function clearQueue(ctx: JobContext, params: ClearStuckParams, q: QueueTarget, now: number): Promise<Cleared> {
  const out: Cleared = { findings: [], stuck: 0, handled: 0 };
  await withQueue(redisOf(ctx, q), q.name, q.prefix, async (queue) => {
    for (const job of await queue.active(1000)) {
      const activeMs = now - job.startedAt;
      const why = stuckReason(job.locked, activeMs, q.maxActive);
      if (!why) continue;
      out.stuck++;
      const resource = `queue/${q.name}/${job.id}`;
      if (params.action === 'report') {
        out.findings.push({
          severity: 'warning',
          check: 'queue.stuck-job',
          resource,
          message: `${job.name} (${job.id}) ${why}`,
          evidence: { id: job.id, name: job.name, attemptsMade: job.attemptsMade, activeMs, locked: job.locked },
          remedy:
            'Run clear-stuck with action: retry (or fail) and confirm: true; if workers are alive, find out why they hang first.',
        });
        continue;
      }
      await queue.clear(job.id, `cleared by opscron clear-stuck: ${why}`, params.action === 'retry');
      out.handled++;
      out.findings.push({
        severity: 'info',
        check: params.action === 'retry' ? 'queue.job-retried' : 'queue.job-failed',
        resource,
        message: `${job.name} (${job.id}) ${why}: ${params.action === 'retry' ? 'moved back to waiting' : 'marked failed'}`,
      });
    }
  });
  return out;
}

/** Sessions idle in a transaction for at least idleInTransaction: reported, or ended with pg_terminate_backend. */
async function clearIdleSessions(ctx: JobContext, params: ClearStuckParams, database: string): Promise<Cleared> {
  const db = databaseOf(ctx, database);
  const out: Cleared = { findings: [], stuck: 0, handled: 0 };
  await withSessions(db.url, async (sessions) => {
    for (const s of await sessions.idleInTransaction(params.idleInTransaction / 1000)) {
      out.stuck++;
      const resource = `db/${db.name}/pid/${s.pid}`;
      if (!params.terminate) {
        out.findings.push({
          severity: 'warning',
          check: 'pg.idle-in-transaction',
          resource,
          message: `pid ${s.pid} (${s.user ?? '?'}) idle in transaction for ${Math.round(s.seconds)} s: ${s.query.replace(/\s+/g, ' ')}`,
          remedy: `Run clear-stuck with terminate: true and confirm: true, or select pg_terminate_backend(${s.pid}); and set idle_in_transaction_session_timeout.`,
        });
        continue;
      }
      const ended = await sessions.terminate(s.pid);
      if (ended) out.handled++;
      out.findings.push({
        severity: ended ? 'info' : 'warning',
        check: 'pg.session-terminated',
        resource,
        message: `pid ${s.pid} (${s.user ?? '?'}) idle in transaction for ${Math.round(s.seconds)} s: ${ended ? 'terminated' : 'could not be terminated (permissions?)'}`,
      });
    }
  });
  return out;
}
