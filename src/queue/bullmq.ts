/**
 * BullMQ on Redis: one queue (default name `opscron`), job name = configured job id,
 * data = `{params, trigger, requestedBy, reason, scheduledFor}`. Completed ids are kept
 * (`keepCompleted`) so a late scheduler replica adding the same slot is ignored.
 * Retries are the worker's (the same in both queue kinds), so BullMQ attempts stay 1;
 * a worker that dies mid-run is handled by BullMQ's stalled-job recovery.
 *
 * On a Redis Cluster the prefix carries a hash tag (`{opscron}` by default, see
 * src/config/redis.ts): BullMQ's Lua scripts touch several keys of a queue at once, which a
 * Cluster allows only when they all live in one slot.
 */
import { Queue, Worker } from 'bullmq';
import type { Cluster } from 'ioredis';
import type { RedisEndpoint } from '../config/redis.js';
import { bullConnection } from '../integrations/redis.js';
import type { Consumer, EnqueueItem, Processor, RunQueue } from './types.js';

export interface BullOptions {
  /** One server, a Sentinel set or a Cluster (config `queue`). */
  redis: RedisEndpoint;
  name: string;
  prefix: string;
  lockDurationMs: number;
  keepCompletedMs: number;
}

export { redisConnection } from '../integrations/redis.js';

const BULK_CHUNK = 50;

export class BullQueue implements RunQueue {
  readonly kind = 'bullmq' as const;
  readonly queue: Queue;
  private readonly workers = new Set<Worker>();
  /** Cluster clients BullMQ shares but does not close. */
  private readonly clusters = new Set<Cluster>();

  constructor(private readonly options: BullOptions) {
    this.queue = new Queue(options.name, {
      connection: bullConnection(options.redis, false, this.clusters),
      prefix: options.prefix,
    });
    this.queue.on('error', () => {}); // reconnects by itself; failures surface on enqueue
  }

  async enqueue(items: EnqueueItem[], onAdded?: (added: EnqueueItem[]) => void): Promise<void> {
    if (!items.length) return;
    const keep = { age: Math.ceil(this.options.keepCompletedMs / 1000) };
    const jobs = items.map((item) => ({
      name: item.name,
      data: item.data,
      opts: { jobId: item.id, delay: item.delayMs, removeOnComplete: keep, removeOnFail: { age: 7 * 86_400 } },
    }));
    // Chunks sent concurrently: Redis runs the first while Node still packs the next, which
    // measured 27 ms instead of 47 ms (median) for the 1,000 fires of one slot.
    const parts: Promise<void>[] = [];
    for (let i = 0; i < jobs.length; i += BULK_CHUNK) {
      const added = this.queue.addBulk(jobs.slice(i, i + BULK_CHUNK));
      parts.push(added.then(() => onAdded?.(items.slice(i, i + BULK_CHUNK))));
    }
    await Promise.all(parts);
  }

  process(processor: Processor, concurrency: number): Consumer {
    const worker = new Worker(
      this.options.name,
      // Resolves to nothing: BullMQ would store a returned value with the job.
      async (job) => {
        await processor({
          queueId: job.id!,
          name: job.name,
          data: job.data,
          deliveries: Math.max(1, job.attemptsStarted ?? 1),
          enqueuedAt: job.timestamp,
        });
      },
      {
        connection: bullConnection(this.options.redis, true, this.clusters),
        prefix: this.options.prefix,
        concurrency,
        lockDuration: this.options.lockDurationMs,
        stalledInterval: Math.max(1000, Math.floor(this.options.lockDurationMs / 2)),
        maxStalledCount: 3,
      },
    );
    worker.on('error', () => {}); // connection errors: BullMQ reconnects and resumes
    this.workers.add(worker);
    return {
      close: async () => {
        await worker.close();
        this.workers.delete(worker);
      },
    };
  }

  async counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
  }

  async ping(): Promise<void> {
    const client = (await this.queue.client) as unknown as { ping(): Promise<string> };
    await client.ping();
  }

  async close(): Promise<void> {
    await Promise.all([...this.workers].map((w) => w.close()));
    await this.queue.close();
    for (const client of this.clusters) client.disconnect();
    this.clusters.clear();
  }
}
