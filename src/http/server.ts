/**
 * The HTTP surface. For now: liveness (`/health`: the scheduler's heartbeat is fresh),
 * readiness (`/ready`: store and queue answer) and `/metrics`. The API builds on this.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Metrics } from '../observability/metrics.js';
import type { RunQueue } from '../queue/types.js';
import type { Scheduler } from '../scheduler.js';
import type { Store } from '../store/index.js';

const HEARTBEAT_STALE_MS = 30_000;

export interface HttpDeps {
  store: Store;
  queue: RunQueue;
  metrics: Metrics;
  scheduler: Scheduler | null;
  now?: () => number;
}

export function buildServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  const now = deps.now ?? Date.now;

  app.get('/health', async (_req, reply) => {
    if (!deps.scheduler) return { status: 'ok', role: 'worker' };
    const age = now() - deps.scheduler.heartbeat;
    if (age > HEARTBEAT_STALE_MS) return reply.code(503).send({ status: 'unhealthy', reason: `scheduler heartbeat is ${Math.round(age / 1000)} s old` });
    return { status: 'ok', heartbeatAgeMs: age };
  });

  app.get('/ready', async (_req, reply) => {
    const checks = await Promise.allSettled([deps.store.ping(), deps.queue.ping()]);
    const [store, queue] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'unreachable'));
    const ready = store === 'ok' && queue === 'ok';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', store, queue });
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });

  return app;
}
