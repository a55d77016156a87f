/** Connection options for Redis (ioredis, as BullMQ takes them) from a redis:// or rediss:// URL. */
import type { ConnectionOptions } from 'bullmq';

/**
 * `worker`: a connection that blocks on Redis and must wait through an outage. Producers
 * fail fast instead, so the scheduler keeps its cursor and catches the slot up rather than
 * hanging.
 */
export function redisConnection(url: string, worker: boolean): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: worker ? null : 1,
    enableOfflineQueue: worker,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}
