/**
 * The HTTP surface. For now: liveness (`/health`: the scheduler's heartbeat is fresh),
 * readiness (`/ready`: store and queue answer) and `/metrics`. The API builds on this.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { OpscronConfig } from '../config/schema.js';
import type { Feeds } from '../feeds.js';
import { isUnreachable, OpscronError } from '../errors.js';
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
  /** What each job type feeds to reports. */
  feeds: Feeds;
  onMailQueued?: () => void;
}

const LABELS: Record<number, string> = {
  400: 'bad request',
  403: 'forbidden',
  404: 'not found',
  409: 'conflict',
  413: 'payload too large',
  422: 'unprocessable',
  429: 'busy',
  502: 'bad gateway',
  503: 'unavailable',
  504: 'timeout',
};

/** Run rows waiting longer than this, or more of them than HISTORY_BACKLOG_ROWS, make /ready say so. */
const HISTORY_BACKLOG_MS = 60_000;
const HISTORY_BACKLOG_ROWS = 5_000;

export function buildServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: deps.config.http.bodyLimit });
  const now = deps.now ?? Date.now;

  // Without tokens the server listens on loopback only (see app.ts), and the local caller acts as "local".
  const authenticate = deps.config.http.tokens.length ? authenticator(deps.config.http.tokens) : null;
  app.addHook('onRequest', async (request, reply) => {
    // The route that matched, not the raw URL: the router decodes /%61pi/... to /api/...
    // A request that matches no route gets a plain 404 and learns nothing.
    if (!request.routeOptions.url?.startsWith('/api')) return;
    if (!authenticate) {
      request.principal = { name: 'local', scope: 'admin' };
      return;
    }
    const result = authenticate(request.headers.authorization);
    if (!result.ok)
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: result.reason });
    request.principal = result.principal;
  });

  // Path and query values end up in SQL parameters and messages: text PostgreSQL can hold
  // (no NUL, no lone surrogate), no control characters, and not without end.
  app.addHook('preValidation', async (request, reply) => {
    for (const [where, values] of [
      ['path', request.params],
      ['query', request.query],
    ] as const) {
      for (const [key, raw] of Object.entries((values ?? {}) as Record<string, unknown>)) {
        for (const value of Array.isArray(raw) ? raw : [raw]) {
          if (typeof value !== 'string') continue;
          const problem =
            value.length > 2000
              ? `is ${value.length} characters long; at most 2000 are allowed`
              : !value.isWellFormed() || /[\u0000-\u001f\u007f]/.test(value)
                ? 'must not contain control characters or unpaired surrogates'
                : null;
          if (problem)
            return reply
              .code(400)
              .send({ error: 'bad request', code: 'OPSCRON_BAD_REQUEST', message: `${where}.${key}: ${problem}` });
        }
      }
    }
  });

  // Errors carry their code and status (the catalogue in errors.ts) to the client; a 5xx
  // that is not ours says nothing of its insides, and the log has it.
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    let status = 500;
    let body: { error: string; code?: string; message: string } = {
      error: 'internal error',
      message: 'internal error (see the opscron log)',
    };
    try {
      const ours = error instanceof OpscronError;
      const down = !ours && isUnreachable(error);
      const statusCode = (error as { statusCode?: unknown }).statusCode;
      status = ours
        ? error.status
        : down
          ? 503
          : typeof statusCode === 'number' && statusCode >= 400 && statusCode < 600
            ? statusCode
            : 500;
      const message = down
        ? 'the store or the queue is not reachable just now; nothing was done — try again'
        : status >= 500 && !ours
          ? body.message
          : redact(String(error?.message ?? error));
      const code = down ? 'OPSCRON_UNAVAILABLE' : typeof error?.code === 'string' ? error.code : undefined;
      body = {
        error: LABELS[status] ?? (status >= 500 ? 'internal error' : 'bad request'),
        ...(code ? { code } : {}),
        message,
      };
      if (status >= 500) deps.logger.error({ err: error, url: request.url }, 'HTTP request failed');
    } catch {
      // Whatever went wrong describing the error, the client still gets JSON.
    }
    void reply.code(status).send(body);
  });

  registerApi(app, {
    config: deps.config,
    store: deps.store,
    queue: deps.queue,
    scheduler: deps.scheduler,
    worker: deps.worker,
    feeds: deps.feeds,
    onMailQueued: deps.onMailQueued,
  });

  app.get('/health', async (_req, reply) => {
    if (!deps.scheduler) return { status: 'ok', role: 'worker' };
    const age = now() - deps.scheduler.heartbeat;
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

  return app;
}
