/** What each cache-health check reads, and the shape of a check. */
import type { Finding } from '../../model.js';
import type { RedisInterval } from './interval.js';
import type { RedisMetrics, RedisSnapshot } from './metrics.js';

export type RedisHealthThresholds = {
  hitRatio: number;
  memoryWarn: number;
  memoryCritical: number;
  /** Seconds a replica may lag behind the primary before it is a warning. */
  replicaLag: number;
};

/** The cache's resource name, the snapshot, its figures, the thresholds, the counters' interval and the run's clock. */
export interface Judged {
  r: string;
  s: RedisSnapshot;
  m: RedisMetrics;
  t: RedisHealthThresholds;
  i: RedisInterval;
  now: Date;
}

export type Check = (x: Judged) => Finding | null;
