/**
 * Redis judged from INFO and key samples: cache-health's findings and cache-optimize's advice. Pure.
 *
 * Under redis/: metrics.ts (what is read, and the figures from it), interval.ts (counters
 * judged by their change since the previous run), health.ts (cache-health), doctors.ts
 * (MEMORY and LATENCY DOCTOR), state.ts (persistence, replication), advice.ts
 * (cache-optimize), patterns.ts (memory and TTLs by key pattern), nodes.ts (a Cluster's
 * primaries as one cache).
 */
export { redisMetrics, type KeySample, type KeySampleResult, type RedisSnapshot } from './redis/metrics.js';
export {
  asKept,
  intervalMetrics,
  redisInterval,
  redisKept,
  type RedisInterval,
  type RedisKept,
} from './redis/interval.js';
export { judgeRedisHealth } from './redis/health.js';
export { adviseRedis, type Advice } from './redis/advice.js';
export { byPattern, keyPattern } from './redis/patterns.js';
export { combineNodeMetrics } from './redis/nodes.js';
