/**
 * Redis judged from INFO and key samples: cache-health's findings and cache-optimize's advice. Pure.
 *
 * Under redis/: metrics.ts (what is read, and the figures from it), health.ts (cache-health),
 * advice.ts (cache-optimize).
 */
export { redisMetrics, type KeySample, type RedisSnapshot } from './redis/metrics.js';
export { judgeRedisHealth } from './redis/health.js';
export { adviseRedis, type Advice } from './redis/advice.js';
