/**
 * cache-optimize: concrete Redis settings advice with its reason; with apply: true (and
 * confirm) the safe CONFIG SET changes are made. On a Cluster each primary is advised (and
 * changed) on its own: CONFIG and the key sample are per node, and the sample's bounds are
 * shared out between the primaries.
 */
import { z } from 'zod';
import { adviseRedis } from '../analysis/redis.js';
import { readRedis, sampleKeys, withRedisNodes, type RedisNode } from '../integrations/redis-info.js';
import { cacheOf, nodeName, servedBy } from './cache.js';
import { defineJob, statusOf, type Finding, type JobContext } from './types.js';

export const cacheOptimizeParams = z.strictObject({
  cache: z.string(),
  /** Keys sampled by SCAN for the TTL mix, big keys and memory by pattern (over all primaries of a Cluster). */
  sample: z.number().int().min(1).max(100_000).default(1000),
  /** Milliseconds the SCAN sample may take (over all primaries); it stops there and says so. */
  sampleMs: z.number().int().min(100).max(60_000).default(5000),
  bigKeyBytes: z
    .number()
    .int()
    .min(1)
    .default(1024 * 1024),
  /** Apply the safe CONFIG SET changes (destructive: needs confirm). */
  apply: z.boolean().default(false),
});

type Params = z.output<typeof cacheOptimizeParams>;

/** Key names held while sampling, at most (a key name can be 512 MB). */
const SAMPLE_KEY_BYTES = 8 * 2 ** 20;

interface NodeResult {
  findings: Finding[];
  /** Findings the status is judged on: what was not applied, and what was refused. */
  open: Finding[];
  applied: string[];
  metrics: { sampled: number; dbsize: number; withoutTtl: number };
}

/** One server: its advice, and (apply) the changes made or refused. */
async function optimizeNode(
  ctx: JobContext,
  params: Params,
  name: string,
  node: RedisNode,
  share: number,
): Promise<NodeResult> {
  const { client } = node;
  const snapshot = await readRedis(client);
  const sample = await sampleKeys(client, {
    keys: Math.max(1, Math.ceil(params.sample / share)),
    ms: Math.max(50, Math.floor(params.sampleMs / share)),
    keyBytes: Math.floor(SAMPLE_KEY_BYTES / share),
    signal: ctx.signal,
  });
  const advice = adviseRedis(name, snapshot, sample, params);
  const findings: Finding[] = advice.map((a) => a.finding);
  const refused: Finding[] = [];
  const applied: string[] = [];
  for (const a of params.apply ? advice : []) {
    if (!a.set) continue;
    const before = ((await client.config('GET', a.set.parameter)) as string[])[1];
    try {
      await client.config('SET', a.set.parameter, a.set.value);
    } catch (error) {
      const finding: Finding = {
        severity: 'warning',
        check: 'redis.config-refused',
        resource: `cache/${name}`,
        message: `CONFIG SET ${a.set.parameter} ${a.set.value} was refused: ${(error as Error).message}`,
        remedy: 'Change it where Redis is configured (redis.conf, the operator or the managed service), or leave it.',
      };
      findings.push(finding);
      refused.push(finding);
      continue;
    }
    const after = ((await client.config('GET', a.set.parameter)) as string[])[1];
    applied.push(`${a.set.parameter} ${before} → ${after}`);
    findings.push({
      severity: 'info',
      check: 'redis.config-applied',
      resource: `cache/${name}`,
      message: `CONFIG SET ${a.set.parameter} ${a.set.value} (was ${before}, now ${after})`,
      evidence: { parameter: a.set.parameter, before, after },
    });
  }
  return {
    findings,
    // What was applied is fixed; the status is what is left.
    open: [...advice.filter((a) => !(params.apply && a.set)).map((a) => a.finding), ...refused],
    applied,
    metrics: {
      sampled: sample.keys.length,
      dbsize: sample.dbsize,
      withoutTtl: sample.keys.filter((k) => k.ttl === -1).length,
    },
  };
}

export const cacheOptimize = defineJob({
  type: 'cache-optimize',
  summary:
    'Concrete Redis settings advice with the reason; apply: true (with confirm) makes the safe CONFIG SET changes',
  params: cacheOptimizeParams,
  overridable: ['sample', 'sampleMs', 'bigKeyBytes', 'apply'],
  destructive: (p) => p.apply,
  async run(ctx, params) {
    const cache = cacheOf(ctx, params.cache);
    return withRedisNodes(cache.redis, async (nodes) => {
      const results: NodeResult[] = [];
      for (const node of nodes)
        results.push(await optimizeNode(ctx, params, nodeName(cache, node), node, nodes.length));
      const all = results.flatMap((r) => r.findings);
      const open = all.filter((f) => f.severity !== 'info' && f.check !== 'redis.config-refused');
      const applied = results.flatMap((r) => r.applied);
      const sampled = results.reduce((sum, r) => sum + r.metrics.sampled, 0);
      const checks = [...new Set(open.map((f) => f.check))];
      return {
        status: statusOf(results.flatMap((r) => r.open)),
        summary: `${cache.name}${servedBy(cache, nodes)}: ${checks.join(', ') || `nothing to change (${sampled} keys sampled)`}${applied.length ? `; applied ${applied.join(', ')}` : ''}`,
        findings: all,
        metrics: {
          sampled,
          dbsize: results.reduce((sum, r) => sum + r.metrics.dbsize, 0),
          withoutTtl: results.reduce((sum, r) => sum + r.metrics.withoutTtl, 0),
          applied: applied.length,
          ...(nodes.length > 1 ? { nodes: nodes.length } : {}),
        },
      };
    });
  },
});
