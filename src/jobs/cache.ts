/**
 * The runbook's cache procedures on Redis: cache-health here (INFO, MEMORY DOCTOR, LATENCY
 * DOCTOR, SLOWLOG), cache-optimize (cache-optimize.ts) and cache-clear (cache-clear.ts).
 * A cache is one server, a Sentinel set (its current primary is read) or a Cluster (every
 * primary is read, each reported as `cache/<name>/<host:port>`, the figures combined).
 */
import { z } from 'zod';
import {
  asKept,
  combineNodeMetrics,
  intervalMetrics,
  judgeRedisHealth,
  redisInterval,
  redisKept,
  redisMetrics,
  type RedisInterval,
} from '../analysis/redis.js';
import type { RedisMetrics } from '../analysis/redis/metrics.js';
import type { RedisEndpoint } from '../config/redis.js';
import { InvalidRunError } from '../errors.js';
import { readRedis, withRedisNodes, type RedisNode } from '../integrations/redis-info.js';
import { defineJob, statusOf, type Finding, type JobContext } from './types.js';

export function cacheOf(ctx: JobContext, name: string): { name: string; redis: RedisEndpoint } {
  const cache = ctx.config.caches.find((c) => c.name === name);
  if (!cache)
    throw new InvalidRunError(
      `cache "${name}" is not in config.caches (have: ${ctx.config.caches.map((c) => c.name).join(', ') || 'none'})`,
    );
  return cache;
}

/**
 * What findings call one server of the cache: the cache's name, or on a Cluster
 * `<name>/<host:port>` (the node's own figures differ from its siblings').
 */
export function nodeName(cache: { name: string; redis: RedisEndpoint }, node: RedisNode): string {
  return cache.redis.kind === 'cluster' ? `${cache.name}/${node.address}` : cache.name;
}

/** How the summary names what was read: a Sentinel set's primary, a Cluster's primaries. */
export function servedBy(cache: { redis: RedisEndpoint }, nodes: RedisNode[]): string {
  if (cache.redis.kind === 'sentinel') return ` (primary ${nodes[0]!.address})`;
  if (cache.redis.kind === 'cluster') return ` (cluster, ${nodes.length} primar${nodes.length === 1 ? 'y' : 'ies'})`;
  return '';
}

export const cacheHealthParams = z.strictObject({
  cache: z.string(),
  hitRatio: z.number().min(0).max(1).default(0.8),
  memoryWarn: z.number().min(0).max(1).default(0.9),
  memoryCritical: z.number().min(0).max(1).default(0.98),
  /** Seconds a replica may lag behind this primary before it is a warning. */
  replicaLag: z.number().min(0).max(86_400).default(10),
});

/** The summary's words for what was judged, and the checks that were not all clear. */
function healthSummary(name: string, m: RedisMetrics, i: RedisInterval, findings: Finding[]): string {
  const open = findings.filter((f) => f.severity !== 'info').map((f) => f.check);
  const ratio = i.hitRatio === null ? 'no lookups' : `hit ratio ${(i.hitRatio * 100).toFixed(1)} %`;
  return `${name}: ${ratio} and ${i.evicted} evicted ${i.text}; ${(m.usedMemory / 2 ** 20).toFixed(1)} MiB${m.maxmemory ? ` of ${(m.maxmemory / 2 ** 20).toFixed(0)} MiB` : ''}, ${m.keys} keys${open.length ? `; ${open.join(', ')}` : ''}`;
}

export const cacheHealth = defineJob({
  type: 'cache-health',
  summary:
    'Redis health from INFO, MEMORY DOCTOR and LATENCY DOCTOR: hit ratio and evictions since the previous run, memory, fragmentation, clients, slowlog, persistence, replication',
  params: cacheHealthParams,
  // The hit ratio over each run's interval: the since-start ratio barely moves once Redis has run a while.
  feeds: { cacheHitRatio: { hits: 'intervalHits', misses: 'intervalMisses' } },
  overridable: ['hitRatio', 'memoryWarn', 'memoryCritical', 'replicaLag'],
  async run(ctx, params) {
    const cache = cacheOf(ctx, params.cache);
    return withRedisNodes(cache.redis, async (nodes) => {
      const now = ctx.now();
      const findings: Finding[] = [];
      const summaries: string[] = [];
      const metrics: Record<string, number>[] = [];
      for (const node of nodes) {
        const name = nodeName(cache, node);
        const snapshot = await readRedis(node.client);
        // Counters are judged by what changed since this job's previous run on the server.
        const kept = redisKept(snapshot, now);
        const interval = redisInterval(asKept((await ctx.state.get(name))?.value), kept, snapshot);
        const judged = judgeRedisHealth(name, snapshot, params, interval, now);
        await ctx.state.put(name, kept);
        const m = redisMetrics(snapshot);
        findings.push(...judged);
        summaries.push(healthSummary(name, m, interval, judged));
        // Since-start totals as INFO gives them (hits, evictedKeys, ...), and the interval's
        // (intervalHits, ...): kept with every run so the performance report can chart them.
        metrics.push({ ...m, ...intervalMetrics(interval) });
      }
      const [first, ...rest] = summaries;
      return {
        status: statusOf(findings),
        summary: rest.length
          ? `${cache.name}${servedBy(cache, nodes)}: ${summaries.join('; ')}`
          : first! + servedBy(cache, nodes),
        findings,
        metrics: combineNodeMetrics(metrics),
      };
    });
  },
});
