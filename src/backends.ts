/** The store and the queue a configuration asks for: PostgreSQL or SQLite, BullMQ on Redis or in-process. */
import type { OpscronConfig } from './config/schema.js';
import { BullQueue } from './queue/bullmq.js';
import { InlineQueue } from './queue/inline.js';
import { MemoryLocks, RedisLocks, type RunLocks } from './queue/locks.js';
import type { RunQueue } from './queue/types.js';
import { openStore, type Store } from './store/index.js';

export interface Backends {
  store: Store;
  queue: RunQueue;
  locks: RunLocks;
}

/** Opens the store and the queue the configuration asks for: PostgreSQL/SQLite, BullMQ/in-process. */
export async function openBackends(config: OpscronConfig): Promise<Backends> {
  const store = await openStore({
    databaseUrl: config.store.databaseUrl,
    path: config.store.path,
    poolMode: config.store.poolMode,
  });
  const redis = config.queue.redis;
  if (!redis) return { store, queue: new InlineQueue(config.queue.keepCompleted), locks: new MemoryLocks() };
  const queue = new BullQueue({
    redis,
    name: config.queue.name,
    prefix: config.queue.prefix,
    lockDurationMs: config.queue.lockDuration,
    keepCompletedMs: config.queue.keepCompleted,
  });
  // Beside the queue's keys, under its prefix: on a Cluster, in the queue's hash slot.
  const locks = new RedisLocks(redis, `${config.queue.prefix}:${config.queue.name}`);
  return { store, queue, locks };
}
