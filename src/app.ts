/**
 * Wiring: config → store → queue → worker and scheduler → HTTP. `startOpscron` returns a
 * handle whose `stop()` drains in order: stop firing, let running jobs finish within the
 * grace period (then cancel them), close HTTP, queue and store.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from './clock.js';
import { describeEndpoint } from './config/redis.js';
import type { OpscronConfig } from './config/schema.js';
import { OpscronError } from './errors.js';
import { buildServer, type HttpDeps } from './http/server.js';
import type { Logger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { openBackends, type Backends } from './backends.js';
import type { RunQueue } from './queue/types.js';
import { IncidentManager } from './incidents/manager.js';
import { DeliveryWorker } from './reports/deliver/outbox.js';
import { Reverter } from './reverts/reverter.js';
import { Scheduler } from './scheduler.js';
import type { Store } from './store/index.js';
import { jobFeeds } from './jobs/index.js';
import { auditStats } from './store/audit.js';
import { startLoop, type Loop } from './loop.js';
import { advertiseApi, urlOf } from './local-api.js';
import { RunWorker } from './worker.js';

export type Role = 'all' | 'scheduler' | 'worker';

/** A running opscron: what the HTTP server is built from, and the server itself. */
export interface Opscron extends Omit<HttpDeps, 'logger' | 'now'> {
  http: FastifyInstance | null;
  deliveries: DeliveryWorker | null;
  incidents: IncidentManager | null;
  /** Where the HTTP server listens, e.g. http://127.0.0.1:8080. */
  address: string | null;
  stop(): Promise<void>;
}

export interface StartOptions {
  config: OpscronConfig;
  logger: Logger;
  role?: Role;
  /** false: no HTTP server (tests, benchmarks). */
  http?: boolean;
  clock?: Clock;
  metrics?: Metrics;
}

/** The parts one process runs, by role: a scheduler-only process has no worker, and so on. */
interface Parts extends Backends {
  metrics: Metrics;
  worker: RunWorker | null;
  scheduler: Scheduler | null;
  deliveries: DeliveryWorker | null;
  incidents: IncidentManager | null;
  reverter: Reverter | null;
  retention: Loop | null;
  http: FastifyInstance | null;
  /** Takes back the note that says where this process serves the embedded store's API (local-api.ts). */
  withdrawApi: (() => void) | null;
}

function assemble(options: StartOptions, role: Role, clock: Clock, metrics: Metrics, backends: Backends): Parts {
  const { config, logger } = options;
  const { store, queue, locks } = backends;
  const runsJobs = role !== 'scheduler';
  // Report emails and incident alerts go out from the processes that run jobs; incidents
  // follow the outcomes those processes see.
  const deliveries = runsJobs ? new DeliveryWorker({ config, store, logger, metrics, clock }) : null;
  const kick = () => deliveries?.kick();
  const incidents = runsJobs
    ? new IncidentManager({ config, store, queue, logger, feeds: jobFeeds, clock, onMailQueued: kick })
    : null;
  const worker = runsJobs
    ? new RunWorker({
        config,
        store,
        queue,
        locks,
        logger,
        metrics,
        clock,
        onRunFinished: (row, job) => incidents?.observe(row, job),
        onMailQueued: kick,
      })
    : null;
  const scheduler = role === 'worker' ? null : new Scheduler({ config, store, queue, logger, metrics, clock });
  // Temporary changes (debug-logging) are put back on time by the processes that run jobs.
  const reverter = runsJobs && config.kubernetes ? new Reverter({ config, store, logger, clock }) : null;
  const http =
    options.http === false
      ? null
      : buildServer({
          config,
          store,
          queue,
          metrics,
          scheduler,
          worker,
          logger,
          feeds: jobFeeds,
          onMailQueued: kick,
          incidents,
        });
  return {
    ...backends,
    metrics,
    worker,
    scheduler,
    deliveries,
    incidents,
    reverter,
    retention: null,
    http,
    withdrawApi: null,
  };
}

/** Stops every part in order, each even if the one before failed to (and says so). */
async function stopParts(parts: Parts, config: OpscronConfig, logger: Logger): Promise<void> {
  const steps: [string, () => Promise<unknown> | undefined][] = [
    ['retention', () => parts.retention?.stop()],
    ['scheduler', () => parts.scheduler?.stop()],
    ['worker', () => parts.worker?.stop(config.scheduler.shutdownGrace)],
    ['incidents', () => parts.incidents?.stop()],
    ['reverter', () => parts.reverter?.stop()],
    ['deliveries', () => parts.deliveries?.stop()],
    ['http', () => parts.http?.close()],
    ['local-api', async () => parts.withdrawApi?.()],
    ['queue', () => parts.queue.close()],
    ['locks', () => parts.locks.close()],
    ['store', () => parts.store.close()],
  ];
  for (const [name, step] of steps) {
    try {
      await step();
    } catch (error) {
      logger.error({ err: error, part: name }, 'could not stop cleanly');
    }
  }
  logger.info('opscron stopped');
}

/**
 * The port first: a process that cannot serve its API (port taken) must not go on as a
 * headless worker; it fails before any job runs. Then the loops.
 */
async function run(parts: Parts, options: StartOptions, clock: Clock, role: Role): Promise<string | null> {
  const { config, logger } = options;
  let address: string | null = null;
  if (parts.http) {
    const secured = config.http.tokens.length > 0;
    const host = secured ? (config.http.host ?? '0.0.0.0') : '127.0.0.1';
    if (!secured)
      logger.warn(
        { host },
        'no API token configured (http.tokens or OPSCRON_API_TOKEN): the HTTP server listens on loopback only and /api is open to local callers',
      );
    address = await parts.http.listen({ port: config.http.port, host });
    parts.withdrawApi = advertise(parts.http, config, logger);
  }
  await parts.worker?.start();
  parts.deliveries?.start();
  parts.incidents?.followUps.start();
  parts.reverter?.start();
  parts.scheduler?.on('error', () => {}); // logged by the scheduler; the loop goes on
  await parts.scheduler?.start();
  parts.retention =
    role === 'worker'
      ? null
      : startLoop({
          clock,
          intervalMs: 3_600_000,
          immediate: false,
          step: async () => {
            const n = await parts.store.runs.prune(new Date(clock.now() - config.store.retention));
            if (n) logger.info({ deleted: n }, 'pruned run history past retention');
          },
          onError: (error) => logger.warn({ err: error }, 'could not prune run history'),
        });
  return address;
}

/**
 * The embedded store is this process's alone: a second command on it asks this API instead,
 * found by the note written beside the store. Without the note it still runs; commands on
 * its store are then refused as they are while it starts.
 */
function advertise(http: FastifyInstance, config: OpscronConfig, logger: Logger): (() => void) | null {
  if (config.store.databaseUrl || config.store.path.startsWith('memory://')) return null;
  try {
    return advertiseApi(config.store.path, urlOf(http.server.address() as AddressInfo));
  } catch (error) {
    logger.warn({ err: error }, 'could not note where the API listens beside the embedded store');
    return null;
  }
}

export async function startOpscron(options: StartOptions): Promise<Opscron> {
  const { config, logger } = options;
  const role = options.role ?? 'all';
  if (role !== 'all' && (!config.queue.redis || !config.store.databaseUrl)) {
    throw new OpscronError(
      'OPSCRON_ROLE_NEEDS_SHARED',
      `--role ${role} needs a shared queue and store: set REDIS_URL and DATABASE_URL (the embedded ones live inside one process, so use --role all)`,
    );
  }
  const metrics = options.metrics ?? new Metrics({ defaultMetrics: true });
  const clock = options.clock ?? systemClock;
  const backends = await openBackends(config);
  watchBackends(metrics, backends.store, backends.queue);
  const parts = assemble(options, role, clock, metrics, backends);
  let stopping: Promise<void> | null = null;
  const stop = () => (stopping ??= stopParts(parts, config, logger));
  let address: string | null;
  try {
    address = await run(parts, options, clock, role);
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info(
    {
      role,
      queue: parts.queue.kind,
      // Where the queue's Redis is (hosts and ports, never a password): one server, Sentinel or Cluster.
      ...(config.queue.redis ? { redis: describeEndpoint(config.queue.redis) } : {}),
      store: parts.store.kind,
      jobs: config.jobs.length,
      http: address,
    },
    'opscron started',
  );
  const { store, queue, scheduler, worker, deliveries, incidents, http } = parts;
  return {
    config,
    store,
    queue,
    metrics,
    scheduler,
    worker,
    deliveries,
    incidents,
    http,
    address,
    feeds: jobFeeds,
    stop,
  };
}

/** Gauges and counters read from the store and the queue when /metrics is scraped. */
function watchBackends(metrics: Metrics, store: Store, queue: RunQueue): void {
  metrics.queueJobs.collect = async function collect() {
    // Read at scrape time; a queue that does not answer leaves the last values.
    const counts = await queue.counts().catch(() => null);
    if (counts) for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
  };
  metrics.incidentsOpen.collect = async function collect() {
    const rows = await store.incidents.openSignals().catch(() => null);
    if (!rows) return;
    this.reset();
    for (const r of rows) this.set({ service: r.service, signal: r.signal }, 1);
  };
  metrics.historyWriteErrors.collect = function collect() {
    this.reset();
    const runs = store.runLog.stats;
    for (const [log, stats] of [
      ['runs', { retried: runs.writeErrors, repaired: runs.repaired, dropped: runs.dropped }],
      ['audit', { retried: auditStats.writeErrors, repaired: auditStats.repaired, dropped: auditStats.dropped }],
    ] as const) {
      for (const [outcome, n] of Object.entries(stats)) this.inc({ log, outcome }, n);
    }
  };
  metrics.historyBacklog.collect = function collect() {
    this.set(store.runLog.backlog);
  };
  metrics.historyBytes.collect = async function collect() {
    const bytes = await store.runs.bytes().catch(() => null);
    if (bytes !== null) this.set(bytes);
  };
}
