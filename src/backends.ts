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
  if (!config.queue.redisUrl)
    return { store, queue: new InlineQueue(config.queue.keepCompleted), locks: new MemoryLocks() };
  const queue = new BullQueue({
    url: config.queue.redisUrl,
    name: config.queue.name,
    prefix: config.queue.prefix,
    lockDurationMs: config.queue.lockDuration,
    keepCompletedMs: config.queue.keepCompleted,
    tls: config.queue.tls,
  });
  const locks = new RedisLocks(config.queue.redisUrl, `${config.queue.prefix}:${config.queue.name}`, config.queue.tls);
  return { store, queue, locks };
}
