/**
 * A worker's heartbeat: it beats in the store every quarter lease, and each beat closes
 * the runs still marked running whose worker has not beaten within the lease (killed, its
 * machine gone). In an embedded store nobody else can be alive, so the first sweep closes
 * every other worker's runs at once.
 */
import type { Clock } from './clock.js';
import { startLoop, type Loop } from './loop.js';
import type { Logger } from './observability/logger.js';
import type { Store } from './store/index.js';

export interface HeartbeatOptions {
  store: Pick<Store, 'workers' | 'exclusive'>;
  name: string;
  clock: Clock;
  leaseMs: number;
  logger: Logger;
}

export function startHeartbeat(o: HeartbeatOptions): Loop {
  const startedAt = new Date(o.clock.now());
  let first = true;
  return startLoop({
    clock: o.clock,
    intervalMs: o.leaseMs / 4,
    step: async () => {
      const now = o.clock.now();
      await o.store.workers.beat(o.name, new Date(now), startedAt);
      const sole = first && o.store.exclusive;
      first = false;
      const why = sole ? 'opscron stopped while this run was in progress' : undefined;
      const closed = await o.store.workers.closeOrphanedRuns(
        o.name,
        new Date(sole ? now : now - o.leaseMs),
        new Date(now),
        why,
      );
      if (closed.length)
        o.logger.warn(
          { runs: closed.map((r) => r.id), workers: [...new Set(closed.map((r) => r.worker))] },
          'closed runs whose worker stopped mid-run',
        );
    },
    onError: (error) => o.logger.warn({ err: error }, 'worker heartbeat failed; trying again'),
  });
}
