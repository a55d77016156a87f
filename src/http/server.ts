/**
 * The HTTP surface. For now: liveness (`/health`: the scheduler's heartbeat is fresh),
 * readiness (`/ready`: store and queue answer) and `/metrics`. The API builds on this.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { OpscronConfig } from '../config/schema.js';
import { OpscronError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { redact } from '../observability/redact.js';
import type { RunQueue } from '../queue/types.js';
import type { Scheduler } from '../scheduler.js';
import type { Store } from '../store/index.js';
import type { RunWorker } from '../worker.js';
import { registerApi } from './api.js';
import { authenticator } from './auth.js';

const HEARTBEAT_STALE_MS = 30_000;

export interface HttpDeps {
  config: OpscronConfig;
  store: Store;
  queue: RunQueue;
  metrics: Metrics;
  scheduler: Scheduler | null;
  worker: RunWorker | null;
  logger: Logger;
  /** The clock /health judges the heartbeat by (tests move it). */
  now?: () => number;
  onMailQueued?: () => void;
}

const STATUS_OF_CODE: Record<string, number> = { OPSCRON_UNKNOWN_JOB: 404, OPSCRON_INVALID_RUN: 400, OPSCRON_NOT_FOUND: 404, OPSCRON_BAD_PERIOD: 400 };

export function buildServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: deps.config.http.bodyLimit });
  const now = deps.now ?? Date.now;

  // Without tokens the server listens on loopback only (see app.ts), and the local caller acts as "local".
  const authenticate = deps.config.http.tokens.length ? authenticator(deps.config.http.tokens) : null;
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api')) return;
    if (!authenticate) {
      request.principal = { name: 'local', scope: 'admin' };
      return;
    }
    const result = authenticate(request.headers.authorization);
    if (!result.ok) return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: result.reason });
    request.principal = result.principal;
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    const status = error instanceof OpscronError ? (STATUS_OF_CODE[error.code] ?? 500) : (error.statusCode ?? 500);
    const message = redact(status >= 500 && !(error instanceof OpscronError) ? 'internal error (see the opscron log)' : error.message);
    if (status >= 500) deps.logger.error({ err: error, url: _request.url }, 'HTTP request failed');
    const label = status === 413 ? 'payload too large' : status === 404 ? 'not found' : status >= 500 ? 'internal error' : 'bad request';
    void reply.code(status).send({ error: label, message });
  });

  registerApi(app, { config: deps.config, store: deps.store, queue: deps.queue, scheduler: deps.scheduler, worker: deps.worker, onMailQueued: deps.onMailQueued });

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
