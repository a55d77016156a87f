/**
 * The queue seen by the scheduler and the worker: BullMQ on Redis when REDIS_URL is set,
 * an in-process executor otherwise. Both deliver each id once while it is remembered,
 * honour delays, run a bounded number at a time and drain on close.
 */
export interface QueuedJob {
  /** Queue job id; for scheduled fires `<job id>__<slot ms>`, so replicas dedupe. */
  queueId: string;
  /** The configured job id. */
  name: string;
  /** Untrusted until the worker has parsed it. */
  data: unknown;
  /** Deliveries so far including this one: above 1 means an earlier worker died mid-run. */
  deliveries: number;
  enqueuedAt: number;
}

export interface EnqueueItem {
  id: string;
  name: string;
  data: Record<string, unknown>;
  delayMs?: number;
}

/** Handles one job; what it resolves to is not kept. */
export type Processor = (job: QueuedJob) => Promise<unknown>;

export interface Consumer {
  /** Stops taking work and waits for running processors. */
  close(): Promise<void>;
}

export interface RunQueue {
  readonly kind: 'bullmq' | 'inline';
  /**
   * Adds all items; ids already known are ignored. `onAdded` is told as each part is in
   * the queue (BullMQ sends large batches in concurrent chunks), so callers can time each.
   */
  enqueue(items: EnqueueItem[], onAdded?: (added: EnqueueItem[]) => void): Promise<void>;
  process(processor: Processor, concurrency: number): Consumer;
  counts(): Promise<Record<string, number>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
