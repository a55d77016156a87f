/**
 * cache-health's findings: Redis judged from INFO, CONFIG, the slow log, its own MEMORY
 * DOCTOR and LATENCY DOCTOR (doctors.ts), persistence and replication (state.ts). Each
 * check gives at most one finding. Counters Redis totals since it started (hits, misses,
 * evictions, rejections, OOM refusals, slow commands) are judged by their change over the
 * interval (interval.ts), and every such finding says which interval.
 */
import type { Finding } from '../../model.js';
import { mebibytes, percent } from '../format.js';
import { latencyDoctor, latencyMonitorOff, memoryDoctor } from './doctors.js';
import type { RedisInterval } from './interval.js';
import { isFragmented, policyOf, redisMetrics } from './metrics.js';
import { persistence, persistenceFailing, replication } from './state.js';
import type { Check, Judged, RedisHealthThresholds } from './judged.js';
import type { RedisSnapshot } from './metrics.js';

export type { RedisHealthThresholds } from './judged.js';

/** Below this many lookups in the interval a hit ratio says nothing (a quiet hour, a cache just started). */
const MIN_LOOKUPS = 1000;
/** Connected clients at this share of maxclients: the next burst of connections is rejected. */
const CLIENTS_WARN = 0.8;

/** An interval's hit ratio worth judging: enough lookups, and below the threshold. */
const lowHitRatio = (i: RedisInterval, t: RedisHealthThresholds): i is RedisInterval & { hitRatio: number } =>
  i.hits + i.misses >= MIN_LOOKUPS && i.hitRatio !== null && i.hitRatio < t.hitRatio;

const hitRatio: Check = ({ r, i, t }) =>
  lowHitRatio(i, t)
    ? {
        severity: 'warning',
        check: 'redis.hit-ratio',
        resource: r,
        message: `hit ratio ${percent(i.hitRatio)} ${i.text} (${i.hits} hits, ${i.misses} misses), below ${percent(t.hitRatio)}`,
        evidence: { hits: i.hits, misses: i.misses, from: i.change.from, to: i.change.to },
        remedy:
          'Misses cost a trip to the database: check the TTLs the apps set, and whether evictions (below) throw keys out before they are read.',
      }
    : null;

/**
 * Under an allkeys-* or volatile-* policy evicting is the cache doing its job (dropping the
 * least useful keys to make room): info, unless the interval's hit ratio is below `hitRatio`
 * — then the evictions are costing hits, a warning. Under noeviction (or a policy not read)
 * it stays a warning as before: rejected writes are that policy's signal.
 */
const evictions: Check = ({ r, s, m, i, t }) => {
  if (i.evicted <= 0) return null;
  const policy = policyOf(s, '?');
  const evicting = /^(allkeys|volatile)-/.test(policy);
  const costly = lowHitRatio(i, t);
  const said = `${i.evicted} keys evicted ${i.text} under ${policy} (maxmemory ${mebibytes(m.maxmemory)})`;
  const evidence = { evicted: i.evicted, from: i.change.from, to: i.change.to };
  if (evicting && !costly)
    return {
      severity: 'info',
      check: 'redis.evictions',
      resource: r,
      message: `${said}: the cache making room`,
      evidence,
    };
  return {
    severity: 'warning',
    check: 'redis.evictions',
    resource: r,
    message: costly
      ? `${said}: evictions are costing hits (hit ratio ${percent(i.hitRatio)}, below ${percent(t.hitRatio)})`
      : said,
    evidence,
    remedy:
      'The data does not fit: raise maxmemory, or give keys TTLs; cache-optimize says whether the policy fits the keys.',
  };
};

/**
 * Without maxmemory there is no ratio to judge, only the warning that nothing stops growth.
 * A warning here as in cache-optimize (one verdict for one fact): a cache with no limit
 * never evicts, so it grows until the kernel kills it and every key is lost at once —
 * a failure waiting to happen, which one CONFIG SET clears.
 */
const memory: Check = ({ r, s, m, t }) => {
  if (!m.maxmemory)
    return {
      severity: 'warning',
      check: 'redis.no-maxmemory',
      resource: r,
      message: `no maxmemory: Redis uses ${mebibytes(m.usedMemory)} and will grow until the machine runs out`,
      remedy: 'Set maxmemory below what the host or container allows (cache-optimize).',
    };
  return m.memoryRatio >= t.memoryWarn
    ? {
        severity: m.memoryRatio >= t.memoryCritical ? 'critical' : 'warning',
        check: 'redis.memory',
        resource: r,
        message: `${mebibytes(m.usedMemory)} used of ${mebibytes(m.maxmemory)} maxmemory (${percent(m.memoryRatio)})`,
        evidence: { used: m.usedMemory, max: m.maxmemory },
        remedy:
          policyOf(s, '?') === 'noeviction'
            ? 'At maxmemory with noeviction, writes fail: raise maxmemory or clear stale keys (cache-clear).'
            : 'Raise maxmemory or expect evictions.',
      }
    : null;
};

const fragmentation: Check = ({ r, m }) =>
  isFragmented(m)
    ? {
        severity: 'warning',
        check: 'redis.fragmentation',
        resource: r,
        message: `memory fragmentation ${m.fragmentation.toFixed(2)} (${mebibytes(m.fragmentationBytes)} more resident than used)`,
        remedy: 'CONFIG SET activedefrag yes (cache-optimize apply: true does it), or restart a replica and fail over.',
      }
    : null;

/** Rejections already happened; a client count near maxclients is the warning before them. */
const clients: Check = ({ r, m, i }) => {
  if (i.rejected > 0)
    return {
      severity: 'warning',
      check: 'redis.rejected-connections',
      resource: r,
      message: `${i.rejected} connections rejected ${i.text} (maxclients ${m.maxclients})`,
      evidence: { rejected: i.rejected, from: i.change.from, to: i.change.to },
      remedy:
        'Clients hit maxclients: pool connections in the apps, or raise maxclients (and the file-descriptor limit).',
    };
  return m.maxclients && m.connectedClients / m.maxclients >= CLIENTS_WARN
    ? {
        severity: 'warning',
        check: 'redis.clients',
        resource: r,
        message: `${m.connectedClients} of ${m.maxclients} clients connected`,
        remedy: 'Pool connections in the apps before maxclients rejects new ones.',
      }
    : null;
};

const blockedClients: Check = ({ r, m }) =>
  m.blockedClients > 0
    ? {
        severity: 'info',
        check: 'redis.blocked-clients',
        resource: r,
        message: `${m.blockedClients} clients blocked (BLPOP and friends)`,
        evidence: { blocked: m.blockedClients },
      }
    : null;

const oomErrors: Check = ({ r, i }) =>
  i.oom > 0
    ? {
        severity: 'critical',
        check: 'redis.oom-errors',
        resource: r,
        message: `${i.oom} commands refused with OOM ${i.text}`,
        evidence: { refused: i.oom, from: i.change.from, to: i.change.to },
        remedy: 'Writes are failing: raise maxmemory or switch maxmemory-policy from noeviction (cache-optimize).',
      }
    : null;

const slowlog: Check = ({ r, i }) =>
  i.slow > 0
    ? {
        severity: 'info',
        check: 'redis.slowlog',
        resource: r,
        message: `${i.slow} slow commands logged ${i.text}${i.slowEntries.length ? '; latest: ' : ''}${i.slowEntries
          .map((e) => `${e.command} (${(e.micros / 1000).toFixed(1)} ms)`)
          .slice(0, 3)
          .join(', ')}`,
        evidence: i.slowEntries,
        remedy: 'Look for O(N) commands on big keys (KEYS, SMEMBERS, HGETALL, LRANGE 0 -1) in the apps.',
      }
    : null;

const CHECKS: Check[] = [
  hitRatio,
  evictions,
  memory,
  fragmentation,
  clients,
  blockedClients,
  oomErrors,
  slowlog,
  memoryDoctor,
  latencyDoctor,
  latencyMonitorOff,
  persistenceFailing,
  persistence,
  replication,
];

/** cache-health: every check's finding on the cache, in a fixed order; counters judged over `interval`. */
export function judgeRedisHealth(
  cache: string,
  s: RedisSnapshot,
  t: RedisHealthThresholds,
  interval: RedisInterval,
  now: Date,
): Finding[] {
  const judged: Judged = { r: `cache/${cache}`, s, m: redisMetrics(s), t, i: interval, now };
  return CHECKS.map((check) => check(judged)).filter((f): f is Finding => f !== null);
}
