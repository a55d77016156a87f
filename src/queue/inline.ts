/**
 * The embedded queue: in-process, nothing to install. Same contract as BullMQ's:
 * an id is delivered once while remembered (`keepMs`), delays are honoured, at most
 * `concurrency` processors run at once. Work does not survive the process: the
 * scheduler's catch-up covers scheduled slots after a restart.
 */
import type { Consumer, EnqueueItem, Processor, QueuedJob, RunQueue } from './types.js';

export class InlineQueue implements RunQueue {
  readonly kind = 'inline' as const;
  private readonly seen = new Map<string, number>();
  private readonly waiting: QueuedJob[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<unknown>>();
  private processor: Processor | null = null;
  private concurrency = 1;
  private completed = 0;

  constructor(private readonly keepMs = 86_400_000) {}

  async enqueue(items: EnqueueItem[], onAdded?: (added: EnqueueItem[]) => void): Promise<void> {
    const now = Date.now();
    this.forget(now);
    for (const item of items) {
      if (this.seen.has(item.id)) continue;
      this.seen.set(item.id, now);
      const job: QueuedJob = {
        queueId: item.id,
        name: item.name,
        data: structuredClone(item.data),
        deliveries: 1,
        enqueuedAt: now,
      };
      if (item.delayMs && item.delayMs > 0) {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          this.waiting.push(job);
          this.pump();
        }, item.delayMs);
        this.timers.add(timer);
      } else {
        this.waiting.push(job);
      }
    }
    onAdded?.(items);
    this.pump();
  }

  process(processor: Processor, concurrency: number): Consumer {
    this.processor = processor;
    this.concurrency = concurrency;
    this.pump();
    return {
      close: async () => {
        this.processor = null;
        await Promise.allSettled([...this.running]);
      },
    };
  }

  async counts(): Promise<Record<string, number>> {
    return {
      waiting: this.waiting.length,
      delayed: this.timers.size,
      active: this.running.size,
      completed: this.completed,
    };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.processor = null;
    await Promise.allSettled([...this.running]);
  }

  private pump(): void {
    while (this.processor && this.running.size < this.concurrency && this.waiting.length) {
      const job = this.waiting.shift()!;
      const task = this.processor(job)
        .catch(() => {}) // the processor records its own failures
        .finally(() => {
          this.running.delete(task);
          this.completed++;
          this.pump();
        });
      this.running.add(task);
    }
  }

  private forget(now: number): void {
    if (this.seen.size < 10_000) return;
    for (const [id, at] of this.seen) if (now - at > this.keepMs) this.seen.delete(id);
  }
}
