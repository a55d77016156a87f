/**
 * The HTTP surface: liveness, readiness and metrics (routes/probes.ts), the API (api.ts)
 * and the web console (console/), behind the guards every request meets (guards.ts).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { OpscronConfig } from '../config/schema.js';
import type { Feeds } from '../feeds.js';
import type { IncidentManager } from '../incidents/manager.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { RunQueue } from '../queue/types.js';
import type { Scheduler } from '../scheduler.js';
import type { Store } from '../store/index.js';
import type { RunWorker } from '../worker.js';
import { registerApi } from './api.js';
import { consoleRoutes } from './console/index.js';
import { ConsoleSessions } from './console/session.js';
import { authenticate, checkInputs, handleErrors } from './guards.js';
import { probeRoutes } from './routes/probes.js';

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
  /** The process's incident manager, if it runs jobs. */
  incidents?: IncidentManager | null;
}

/** How long a console session lasts from sign-in. */
const SESSION_TTL_MS = 8 * 3_600_000;

export function buildServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: deps.config.http.bodyLimit });
  const { config, store, queue, scheduler, worker, feeds, onMailQueued, metrics } = deps;
  const now = deps.now ?? Date.now;
  const sessions = new ConsoleSessions({ config, store, now }, SESSION_TTL_MS);
  authenticate(app, deps.config, sessions);
  checkInputs(app);
  handleErrors(app, deps.logger);
  const api = {
    config,
    store,
    queue,
    scheduler,
    worker,
    feeds,
    onMailQueued,
    logger: deps.logger,
    now,
    incidents: deps.incidents ?? null,
  };
  registerApi(app, api);
  void app.register(consoleRoutes, {
    ...api,
    sessions,
    heartbeatAgeMs: () => (scheduler ? now() - scheduler.heartbeat : null),
  });
  void app.register(probeRoutes, { store, queue, metrics, scheduler, now });
  return app;
}
