/** /health (liveness: the scheduler's heartbeat is fresh), /ready (store, queue and history keep up), /metrics. */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../../observability/metrics.js';
import type { RunQueue } from '../../queue/types.js';
import type { Scheduler } from '../../scheduler.js';
import type { Store } from '../../store/index.js';

const HEARTBEAT_STALE_MS = 30_000;
/** Run rows waiting longer than this, or more of them than HISTORY_BACKLOG_ROWS, make /ready say so. */
const HISTORY_BACKLOG_MS = 60_000;
const HISTORY_BACKLOG_ROWS = 5_000;

export interface ProbeDeps {
  store: Store;
  queue: RunQueue;
  metrics: Metrics;
  scheduler: Scheduler | null;
  /** The clock /health judges the heartbeat by (tests move it). */
  now: () => number;
}

export async function probeRoutes(app: FastifyInstance, deps: ProbeDeps): Promise<void> {
  app.get('/health', async (_req, reply) => {
    if (!deps.scheduler) return { status: 'ok', role: 'worker' };
    const age = deps.now() - deps.scheduler.heartbeat;
    if (age > HEARTBEAT_STALE_MS)
      return reply
        .code(503)
        .send({ status: 'unhealthy', reason: `scheduler heartbeat is ${Math.round(age / 1000)} s old` });
    return { status: 'ok', heartbeatAgeMs: age };
  });

  app.get('/ready', async (_req, reply) => {
    const checks = await Promise.allSettled([deps.store.ping(), deps.queue.ping()]);
    const [store, queue] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'unreachable'));
    // Run history that cannot get into the store: the runs go on, their rows wait in memory.
    const { backlog, backlogAgeMs } = deps.store.runLog;
    const historyBehind = backlog > HISTORY_BACKLOG_ROWS || backlogAgeMs > HISTORY_BACKLOG_MS;
    const history = historyBehind
      ? `behind: ${backlog} run rows waiting, the oldest for ${Math.round(backlogAgeMs / 1000)} s`
      : 'ok';
    const ready = store === 'ok' && queue === 'ok' && !historyBehind;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', store, queue, history });
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
}
