/**
 * Another BullMQ queue, seen from outside (clear-stuck): its active jobs with whether a
 * worker still holds their lock, and the one repair BullMQ allows for a job whose worker is
 * gone — fail it (and put it back). Not opscron's queue module: any queue on any Redis.
 */
import { Queue } from 'bullmq';
import type { Cluster } from 'ioredis';
import type { RedisEndpoint } from '../config/redis.js';
import { bullConnection } from './redis.js';

/** An active job as clear-stuck judges it. */
export interface ActiveJob {
  id: string;
  name: string;
  attemptsMade: number;
  /** When a worker took it (or when it was added, if BullMQ did not record that). */
  startedAt: number;
  /** A worker holds its lock: it is alive, if maybe slow. */
  locked: boolean;
}

export interface QueueAdmin {
  /** The first `limit` active jobs. */
  active(limit: number): Promise<ActiveJob[]>;
  /** Marks an active job failed with `reason`; with `retry`, moves it back to waiting. */
  clear(id: string, reason: string, retry: boolean): Promise<void>;
}

/** Runs `fn` against queue `name` (key prefix `prefix`) on the Redis at `redis`, closed after. */
export async function withQueue<T>(
  redis: RedisEndpoint,
  name: string,
  prefix: string,
  fn: (queue: QueueAdmin) => Promise<T>,
): Promise<T> {
  const clusters = new Set<Cluster>();
  const queue = new Queue(name, { connection: bullConnection(redis, false, clusters), prefix });
  try {
    const client = await queue.client;
    return await fn({
      async active(limit) {
        const jobs = await queue.getActive(0, limit - 1);
        return Promise.all(
          jobs.map(async (job) => ({
            id: String(job.id),
            name: job.name,
            attemptsMade: job.attemptsMade,
            startedAt: job.processedOn ?? job.timestamp,
            locked: (await client.get(`${prefix}:${name}:${job.id}:lock`)) !== null,
          })),
        );
      },
      async clear(id, reason, retry) {
        const job = await queue.getJob(id);
        if (!job) return;
        // Token "0": no lock to match — the worker that held it is gone or hung.
        await job.moveToFailed(new Error(reason), '0', false);
        if (retry) await job.retry('failed');
      },
    });
  } finally {
    await queue.close();
    for (const client of clusters) client.disconnect();
  }
}
