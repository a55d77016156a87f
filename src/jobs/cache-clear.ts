/**
 * cache-clear: the runbook's clear-cache.sh --service. Count first, then SCAN + UNLINK in
 * batches; never KEYS, never FLUSHALL (all: true is FLUSHDB ASYNC of the one database).
 * Destructive unless a dry run: confirm, audited. On a Cluster every primary is cleared
 * (SCAN and FLUSHDB see only the node they are sent to), and each is named in the findings.
 */
import { z } from 'zod';
import { unlinkKeys, withRedisNodes, type RedisNode } from '../integrations/redis-info.js';
import { cacheOf, nodeName, servedBy } from './cache.js';
import { defineJob, type Finding, type JobContext } from './types.js';

export const cacheClearParams = z
  .strictObject({
    cache: z.string(),
    /** A SCAN MATCH pattern: `session:*`, `svc:checkout:*`. */
    pattern: z.string().min(1).optional(),
    /** Count only (the default); false deletes. */
    dryRun: z.boolean().default(true),
    /** The whole database (FLUSHDB ASYNC; every primary of a Cluster): only with this and confirm. */
    all: z.boolean().default(false),
    batch: z.number().int().min(1).max(10_000).default(500),
  })
  .refine((p) => p.all !== (p.pattern !== undefined), {
    error: 'give a pattern, or all: true to empty the whole database',
  })
  .refine((p) => p.pattern !== '*' || p.all, {
    error: 'pattern "*" is everything: say all: true if that is what you mean',
  });

type Params = z.output<typeof cacheClearParams>;

interface Cleared {
  matched: number;
  deleted: number;
  sample: string[];
}

/** One server's keys matching the pattern: counted, and (not a dry run) unlinked batch by batch. */
async function clearNode(
  ctx: JobContext,
  params: Params,
  node: RedisNode,
  cluster: boolean,
  done: () => number,
): Promise<Cleared> {
  const out: Cleared = { matched: 0, deleted: 0, sample: [] };
  let cursor = '0';
  do {
    const [next, keys] = await node.client.scan(cursor, 'MATCH', params.pattern!, 'COUNT', params.batch);
    cursor = next;
    out.matched += keys.length;
    if (out.sample.length < 10) out.sample.push(...keys.slice(0, 10 - out.sample.length));
    if (!params.dryRun && keys.length) out.deleted += await unlinkKeys(node.client, keys, cluster);
    if (!params.dryRun) ctx.progress(0.5, `${done() + out.deleted} keys deleted`);
    if (ctx.signal.aborted) throw ctx.signal.reason;
  } while (cursor !== '0');
  return out;
}

/** all: true — each server's database emptied (FLUSHDB ASYNC), or counted on a dry run. */
async function emptyAll(params: Params, name: string, resource: (n: RedisNode) => string, nodes: RedisNode[]) {
  const findings: Finding[] = [];
  let size = 0;
  for (const node of nodes) {
    const keys = await node.client.dbsize();
    size += keys;
    if (!params.dryRun) await node.client.flushdb('ASYNC');
    findings.push({
      severity: 'info',
      check: 'cache.clear',
      resource: resource(node),
      message: `${params.dryRun ? 'would delete' : 'deleted'} all ${keys} keys`,
    });
  }
  const where = nodes.length > 1 ? `the database on ${nodes.length} primaries` : 'the database';
  return {
    status: 'ok' as const,
    summary: params.dryRun
      ? `${name}: would empty ${where} (${size} keys); run with dryRun: false and confirm`
      : `${name}: emptied ${where} (${size} keys, FLUSHDB ASYNC)`,
    findings,
    metrics: { matched: size, deleted: params.dryRun ? 0 : size },
  };
}

export const cacheClear = defineJob({
  type: 'cache-clear',
  summary: "Clear cache keys by pattern (the runbook's clear-cache.sh): count first, then SCAN + UNLINK in batches",
  params: cacheClearParams,
  overridable: ['dryRun', 'batch'],
  destructive: (p) => !p.dryRun,
  async run(ctx, params) {
    const cache = cacheOf(ctx, params.cache);
    const cluster = cache.redis.kind === 'cluster';
    return withRedisNodes(cache.redis, async (nodes) => {
      const name = `${cache.name}${servedBy(cache, nodes)}`;
      const resource = (node: RedisNode) => `cache/${nodeName(cache, node)}`;
      if (params.all) return emptyAll(params, name, resource, nodes);
      let matched = 0;
      let deleted = 0;
      const findings: Finding[] = [];
      for (const node of nodes) {
        const part = await clearNode(ctx, params, node, cluster, () => deleted);
        matched += part.matched;
        deleted += part.deleted;
        findings.push({
          severity: 'info',
          check: 'cache.clear',
          resource: resource(node),
          message: `${params.dryRun ? 'would delete' : 'deleted'} ${params.dryRun ? part.matched : part.deleted} keys matching ${params.pattern}`,
          evidence: { sample: part.sample },
        });
      }
      return {
        status: 'ok',
        summary: params.dryRun
          ? `${name}: ${matched} keys match ${params.pattern} (dry run; dryRun: false and confirm to delete)`
          : `${name}: deleted ${deleted} keys matching ${params.pattern}`,
        findings,
        metrics: { matched, deleted },
      };
    });
  },
});
