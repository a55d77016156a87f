/**
 * A Redis Cluster's figures as one: each primary holds its own keys, memory and clients, so
 * counts add up; a ratio is recomputed from the sums (hit ratio) or is the worst node's
 * (memory, fragmentation: the fullest node is the one that evicts or rejects writes first).
 */

/** Metrics that are ratios or limits, and how nodes combine for each. */
const WORST: ReadonlySet<string> = new Set(['memoryRatio', 'fragmentation', 'intervalSeconds']);
const LEAST: ReadonlySet<string> = new Set(['maxclients']);

/** Per-node run metrics (redisMetrics + intervalMetrics) as the cache's, plus `nodes`. */
export function combineNodeMetrics(perNode: Record<string, number>[]): Record<string, number> {
  if (perNode.length === 1) return { ...perNode[0]! };
  const out: Record<string, number> = {};
  for (const metrics of perNode)
    for (const [name, value] of Object.entries(metrics)) {
      const prior = out[name];
      if (prior === undefined) out[name] = value;
      else if (WORST.has(name)) out[name] = Math.max(prior, value);
      else if (LEAST.has(name)) out[name] = Math.min(prior, value);
      else out[name] = prior + value;
    }
  const ratio = (hits: string, misses: string) => {
    const lookups = (out[hits] ?? 0) + (out[misses] ?? 0);
    return lookups ? (out[hits] ?? 0) / lookups : null;
  };
  out.hitRatio = ratio('hits', 'misses') ?? 1;
  const interval = ratio('intervalHits', 'intervalMisses');
  if (interval === null) delete out.intervalHitRatio;
  else out.intervalHitRatio = interval;
  out.nodes = perNode.length;
  return out;
}
