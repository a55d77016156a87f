/**
 * clear-stuck: the runbook's "clear stuck operations". BullMQ jobs that have been active
 * far longer than expected, or whose worker is gone (active with no lock: stalled), in the
 * configured queues — reported, or retried or failed; and PostgreSQL sessions idle in a
 * transaction for longer than a limit — reported, or ended with pg_terminate_backend.
 * Anything but reporting is destructive: confirm, audited.
 */
import { Queue } from 'bullmq';
import { z } from 'zod';
import { duration } from '../config/schema.js';
import { InvalidRunError } from '../errors.js';
import { withClient } from '../integrations/pg-stats.js';
import { redisConnection } from '../integrations/redis.js';
import { databaseOf } from './db-backup.js';
import { defineJob, statusOf, type Finding } from './types.js';

export const clearStuckParams = z.strictObject({
  /** BullMQ queues to look at; default: opscron's own queue (when it runs on Redis). */
  queues: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        prefix: z.string().default('bull'),
        /** Default: queue.redisUrl. */
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

export const clearStuck = defineJob({
  type: 'clear-stuck',
  summary:
    'Stuck BullMQ jobs (active too long, or stalled) and PostgreSQL sessions idle in transaction: report, retry/fail, terminate',
  params: clearStuckParams,
  overridable: ['action', 'idleInTransaction', 'terminate'],
  destructive: (p) => p.action !== 'report' || p.terminate,
  async run(ctx, params) {
    const findings: Finding[] = [];
    const queues =
      params.queues ??
      (ctx.config.queue.redisUrl
        ? [
            {
              name: ctx.config.queue.name,
              prefix: ctx.config.queue.prefix,
              redisUrl: ctx.config.queue.redisUrl,
              maxActive: 3_600_000,
            },
          ]
        : []);
    if (!queues.length && !params.database)
      throw new InvalidRunError('nothing to look at: give queues (or run opscron on Redis) and/or a database');
    let stuckJobs = 0;
    let handled = 0;
    const now = ctx.now().getTime();
    for (const q of queues) {
      const url = q.redisUrl ?? ctx.config.queue.redisUrl;
      if (!url) throw new InvalidRunError(`queues[${q.name}]: no redisUrl and opscron's own queue is not on Redis`);
      const queue = new Queue(q.name, { connection: redisConnection(url, false), prefix: q.prefix });
      try {
        const client = await queue.client;
        for (const job of await queue.getActive(0, 999)) {
          const locked = (await client.get(`${q.prefix}:${q.name}:${job.id}:lock`)) !== null;
          const activeMs = now - (job.processedOn ?? job.timestamp);
          const why = !locked
            ? `stalled: active for ${Math.round(activeMs / 1000)} s and no worker holds its lock`
            : activeMs > q.maxActive
              ? `active for ${Math.round(activeMs / 1000)} s, longer than ${Math.round(q.maxActive / 1000)} s`
              : null;
          if (!why) continue;
          stuckJobs++;
          const resource = `queue/${q.name}/${job.id}`;
          if (params.action === 'report') {
            findings.push({
              severity: 'warning',
              check: 'queue.stuck-job',
              resource,
              message: `${job.name} (${job.id}) ${why}`,
              evidence: { id: job.id, name: job.name, attemptsMade: job.attemptsMade, activeMs, locked },
              remedy:
                'Run clear-stuck with action: retry (or fail) and confirm: true; if workers are alive, find out why they hang first.',
            });
            continue;
          }
          // Token "0": no lock to match — the worker that held it is gone or hung.
          await job.moveToFailed(new Error(`cleared by opscron clear-stuck: ${why}`), '0', false);
          if (params.action === 'retry') await job.retry('failed');
          handled++;
          findings.push({
            severity: 'info',
            check: params.action === 'retry' ? 'queue.job-retried' : 'queue.job-failed',
            resource,
            message: `${job.name} (${job.id}) ${why}: ${params.action === 'retry' ? 'moved back to waiting' : 'marked failed'}`,
          });
        }
      } finally {
        await queue.close();
      }
    }
    let sessions = 0;
    if (params.database) {
      const db = databaseOf(ctx, params.database);
      await withClient(db.url, async (client) => {
        const { rows } = await client.query<{ pid: number; user: string | null; seconds: number; query: string }>(
          `select pid, usename as user, extract(epoch from now() - state_change)::float8 as seconds, left(query, 300) as query from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and state in ('idle in transaction', 'idle in transaction (aborted)') and now() - state_change >= make_interval(secs => $1)`,
          [params.idleInTransaction / 1000],
        );
        for (const s of rows) {
          sessions++;
          const resource = `db/${db.name}/pid/${s.pid}`;
          if (!params.terminate) {
            findings.push({
              severity: 'warning',
              check: 'pg.idle-in-transaction',
              resource,
              message: `pid ${s.pid} (${s.user ?? '?'}) idle in transaction for ${Math.round(s.seconds)} s: ${s.query.replace(/\s+/g, ' ')}`,
              remedy: `Run clear-stuck with terminate: true and confirm: true, or select pg_terminate_backend(${s.pid}); and set idle_in_transaction_session_timeout.`,
            });
            continue;
          }
          const ended =
            (await client.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [s.pid])).rows[0]?.ok ===
            true;
          if (ended) handled++;
          findings.push({
            severity: ended ? 'info' : 'warning',
            check: 'pg.session-terminated',
            resource,
            message: `pid ${s.pid} (${s.user ?? '?'}) idle in transaction for ${Math.round(s.seconds)} s: ${ended ? 'terminated' : 'could not be terminated (permissions?)'}`,
          });
        }
      });
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
