/**
 * Per-job run locks for the overlap policy (concurrency: forbid | replace). In Redis the
 * lock is a key with a TTL that the holder renews, so a worker killed mid-run frees it
 * by expiry; `cancel` reaches the holder on whichever worker it runs, through pub/sub.
 *
 * Each script touches one key (KEYS[1]), so it runs on a Cluster as is; the keys sit under
 * the queue's prefix, so with the Cluster's hash-tagged prefix they share the queue's slot.
 * PUBLISH on a Cluster reaches subscribers on every node.
 */
import type { Cluster, Redis } from 'ioredis';
import type { RedisEndpoint } from '../config/redis.js';
import { openRedis } from '../integrations/redis.js';

export interface RunLocks {
  /** Takes the job's lock for `owner`; true if taken (or already held by the same owner). */
  acquire(jobId: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends a held lock; false if it was lost. */
  renew(jobId: string, owner: string, ttlMs: number): Promise<boolean>;
  release(jobId: string, owner: string): Promise<void>;
  /** Asks whoever holds the job's lock to cancel its run. */
  cancel(jobId: string): Promise<void>;
  onCancel(listener: (jobId: string) => void): void;
  close(): Promise<void>;
}

export class MemoryLocks implements RunLocks {
  private readonly held = new Map<string, { owner: string; until: number }>();
  private readonly listeners: ((jobId: string) => void)[] = [];

  async acquire(jobId: string, owner: string, ttlMs: number): Promise<boolean> {
    const current = this.held.get(jobId);
    if (current && current.owner !== owner && current.until > Date.now()) return false;
    this.held.set(jobId, { owner, until: Date.now() + ttlMs });
    return true;
  }
  async renew(jobId: string, owner: string, ttlMs: number): Promise<boolean> {
    const current = this.held.get(jobId);
    if (current?.owner !== owner) return false;
    current.until = Date.now() + ttlMs;
    return true;
  }
  async release(jobId: string, owner: string): Promise<void> {
    if (this.held.get(jobId)?.owner === owner) this.held.delete(jobId);
  }
  async cancel(jobId: string): Promise<void> {
    for (const l of this.listeners) l(jobId);
  }
  onCancel(listener: (jobId: string) => void): void {
    this.listeners.push(listener);
  }
  async close(): Promise<void> {}
}

const ACQUIRE = `local v = redis.call('get', KEYS[1])
if v == false or v == ARGV[1] then redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[2]) return 1 end
return 0`;
const RENEW = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

export class RedisLocks implements RunLocks {
  private readonly client: Redis | Cluster;
  private subscriber: Redis | Cluster | null = null;
  private readonly channel: string;

  constructor(
    endpoint: RedisEndpoint,
    private readonly prefix: string,
  ) {
    this.client = openRedis(endpoint, 'locks');
    this.client.on('error', () => {});
    this.channel = `${prefix}:cancel`;
  }

  private key(jobId: string): string {
    return `${this.prefix}:lock:${jobId}`;
  }
  async acquire(jobId: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.client.eval(ACQUIRE, 1, this.key(jobId), owner, ttlMs)) === 1;
  }
  async renew(jobId: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.client.eval(RENEW, 1, this.key(jobId), owner, ttlMs)) === 1;
  }
  async release(jobId: string, owner: string): Promise<void> {
    await this.client.eval(RELEASE, 1, this.key(jobId), owner);
  }
  async cancel(jobId: string): Promise<void> {
    await this.client.publish(this.channel, jobId);
  }
  onCancel(listener: (jobId: string) => void): void {
    if (!this.subscriber) {
      this.subscriber = this.client.duplicate();
      this.subscriber.on('error', () => {});
      void this.subscriber.subscribe(this.channel).catch(() => {});
    }
    this.subscriber.on('message', (_channel: string, jobId: string) => listener(jobId));
  }
  async close(): Promise<void> {
    this.subscriber?.disconnect();
    this.client.disconnect();
  }
}
