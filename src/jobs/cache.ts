/**
 * The runbook's cache procedures on Redis: cache-health (INFO, MEMORY DOCTOR, LATENCY
 * DOCTOR, SLOWLOG), cache-optimize (advice with its reason; applies the safe CONFIG SET
 * changes with apply: true and confirm) and cache-clear (the runbook's clear-cache.sh
 * --service: count first, then SCAN + UNLINK in batches; never KEYS, never FLUSHALL).
 */
import { z } from 'zod';
import {
  adviseRedis,
  asKept,
  intervalMetrics,
  judgeRedisHealth,
  redisInterval,
  redisKept,
  redisMetrics,
  type RedisInterval,
} from '../analysis/redis.js';
import type { RedisMetrics } from '../analysis/redis/metrics.js';
import { InvalidRunError } from '../errors.js';
import { readRedis, sampleKeys, withRedis, type RedisTarget } from '../integrations/redis-info.js';
import { defineJob, statusOf, type Finding, type JobContext } from './types.js';

function cacheOf(ctx: JobContext, name: string): RedisTarget & { name: string } {
  const cache = ctx.config.caches.find((c) => c.name === name);
  if (!cache)
    throw new InvalidRunError(
      `cache "${name}" is not in config.caches (have: ${ctx.config.caches.map((c) => c.name).join(', ') || 'none'})`,
    );
  return cache;
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
    const snapshot = await withRedis(cache, readRedis);
    const now = ctx.now();
    // Counters are judged by what changed since this job's previous run on the cache.
    const kept = redisKept(snapshot, now);
    const interval = redisInterval(asKept((await ctx.state.get(cache.name))?.value), kept, snapshot);
    const findings = judgeRedisHealth(cache.name, snapshot, params, interval, now);
    await ctx.state.put(cache.name, kept);
    const m = redisMetrics(snapshot);
    return {
      status: statusOf(findings),
      summary: healthSummary(cache.name, m, interval, findings),
      findings,
      // Kept with every run so the performance report can chart them: since-start totals as
      // INFO gives them (hits, evictedKeys, ...), and the interval's (intervalHits, ...).
      metrics: { ...m, ...intervalMetrics(interval) },
    };
  },
});

export const cacheOptimizeParams = z.strictObject({
  cache: z.string(),
  /** Keys sampled by SCAN for the TTL mix, big keys and memory by pattern. */
  sample: z.number().int().min(1).max(100_000).default(1000),
  /** Milliseconds the SCAN sample may take; it stops there and says so. */
  sampleMs: z.number().int().min(100).max(60_000).default(5000),
  bigKeyBytes: z
    .number()
    .int()
    .min(1)
    .default(1024 * 1024),
  /** Apply the safe CONFIG SET changes (destructive: needs confirm). */
  apply: z.boolean().default(false),
});

/** Key names held while sampling, at most (a key name can be 512 MB). */
const SAMPLE_KEY_BYTES = 8 * 2 ** 20;

export const cacheOptimize = defineJob({
  type: 'cache-optimize',
  summary:
    'Concrete Redis settings advice with the reason; apply: true (with confirm) makes the safe CONFIG SET changes',
  params: cacheOptimizeParams,
  overridable: ['sample', 'sampleMs', 'bigKeyBytes', 'apply'],
  destructive: (p) => p.apply,
  async run(ctx, params) {
    const cache = cacheOf(ctx, params.cache);
    return withRedis(cache, async (client) => {
      const snapshot = await readRedis(client);
      const sample = await sampleKeys(client, {
        keys: params.sample,
        ms: params.sampleMs,
        keyBytes: SAMPLE_KEY_BYTES,
        signal: ctx.signal,
      });
      const advice = adviseRedis(cache.name, snapshot, sample, params);
      const findings: Finding[] = advice.map((a) => a.finding);
      const applied: string[] = [];
      if (params.apply) {
        for (const a of advice) {
          if (!a.set) continue;
          const before = ((await client.config('GET', a.set.parameter)) as string[])[1];
          try {
            await client.config('SET', a.set.parameter, a.set.value);
          } catch (error) {
            findings.push({
              severity: 'warning',
              check: 'redis.config-refused',
              resource: `cache/${cache.name}`,
              message: `CONFIG SET ${a.set.parameter} ${a.set.value} was refused: ${(error as Error).message}`,
              remedy:
                'Change it where Redis is configured (redis.conf, the operator or the managed service), or leave it.',
            });
            continue;
          }
          const after = ((await client.config('GET', a.set.parameter)) as string[])[1];
          applied.push(`${a.set.parameter} ${before} → ${after}`);
          findings.push({
            severity: 'info',
            check: 'redis.config-applied',
            resource: `cache/${cache.name}`,
            message: `CONFIG SET ${a.set.parameter} ${a.set.value} (was ${before}, now ${after})`,
            evidence: { parameter: a.set.parameter, before, after },
          });
        }
      }
      const open = advice.filter((a) => a.finding.severity !== 'info');
      return {
        // What was applied is fixed; the status is what is left.
        status: statusOf([
          ...advice.filter((a) => !(params.apply && a.set)).map((a) => a.finding),
          ...findings.filter((f) => f.check === 'redis.config-refused'),
        ]),
        summary: `${cache.name}: ${open.map((a) => a.finding.check).join(', ') || `nothing to change (${sample.keys.length} keys sampled)`}${applied.length ? `; applied ${applied.join(', ')}` : ''}`,
        findings,
        metrics: {
          sampled: sample.keys.length,
          dbsize: sample.dbsize,
          withoutTtl: sample.keys.filter((k) => k.ttl === -1).length,
          applied: applied.length,
        },
      };
    });
  },
});

export const cacheClearParams = z
  .strictObject({
    cache: z.string(),
    /** A SCAN MATCH pattern: `session:*`, `svc:checkout:*`. */
    pattern: z.string().min(1).optional(),
    /** Count only (the default); false deletes. */
    dryRun: z.boolean().default(true),
    /** The whole database (FLUSHDB ASYNC): only with this and confirm. */
    all: z.boolean().default(false),
    batch: z.number().int().min(1).max(10_000).default(500),
  })
  .refine((p) => p.all !== (p.pattern !== undefined), {
    error: 'give a pattern, or all: true to empty the whole database',
  })
  .refine((p) => p.pattern !== '*' || p.all, {
    error: 'pattern "*" is everything: say all: true if that is what you mean',
  });

export const cacheClear = defineJob({
  type: 'cache-clear',
  summary: "Clear cache keys by pattern (the runbook's clear-cache.sh): count first, then SCAN + UNLINK in batches",
  params: cacheClearParams,
  overridable: ['dryRun', 'batch'],
  destructive: (p) => !p.dryRun,
  async run(ctx, params) {
    const cache = cacheOf(ctx, params.cache);
    const resource = `cache/${cache.name}`;
    return withRedis(cache, async (client) => {
      if (params.all) {
        const size = await client.dbsize();
        if (!params.dryRun) await client.flushdb('ASYNC');
        return {
          status: 'ok',
          summary: params.dryRun
            ? `${cache.name}: would empty the database (${size} keys); run with dryRun: false and confirm`
            : `${cache.name}: emptied the database (${size} keys, FLUSHDB ASYNC)`,
          findings: [
            {
              severity: 'info',
              check: 'cache.clear',
              resource,
              message: `${params.dryRun ? 'would delete' : 'deleted'} all ${size} keys`,
            },
          ],
          metrics: { matched: size, deleted: params.dryRun ? 0 : size },
        };
      }
      let matched = 0;
      let deleted = 0;
      let cursor = '0';
      const sample: string[] = [];
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', params.pattern!, 'COUNT', params.batch);
        cursor = next;
        matched += keys.length;
        if (sample.length < 10) sample.push(...keys.slice(0, 10 - sample.length));
        if (!params.dryRun && keys.length) deleted += await client.unlink(...keys);
        if (!params.dryRun) ctx.progress(0.5, `${deleted} keys deleted`);
        if (ctx.signal.aborted) throw ctx.signal.reason;
      } while (cursor !== '0');
      return {
        status: 'ok',
        summary: params.dryRun
          ? `${cache.name}: ${matched} keys match ${params.pattern} (dry run; dryRun: false and confirm to delete)`
          : `${cache.name}: deleted ${deleted} keys matching ${params.pattern}`,
        findings: [
          {
            severity: 'info',
            check: 'cache.clear',
            resource,
            message: `${params.dryRun ? 'would delete' : 'deleted'} ${params.dryRun ? matched : deleted} keys matching ${params.pattern}`,
            evidence: { sample },
          },
        ],
        metrics: { matched, deleted },
      };
    });
  },
});
