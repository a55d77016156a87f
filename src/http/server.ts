/**
 * The HTTP surface: liveness, readiness and metrics (routes/probes.ts), and the API
 * (api.ts), behind the guards every request meets (guards.ts).
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

export function buildServer(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: deps.config.http.bodyLimit });
  authenticate(app, deps.config);
  checkInputs(app);
  handleErrors(app, deps.logger);
  const { config, store, queue, scheduler, worker, feeds, onMailQueued, metrics } = deps;
  const now = deps.now ?? Date.now;
  registerApi(app, {
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
  });
  void app.register(probeRoutes, { store, queue, metrics, scheduler, now });
  return app;
}
