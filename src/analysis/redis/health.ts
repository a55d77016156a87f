/**
 * cache-health's findings: Redis judged from INFO, CONFIG, the slow log and its own
 * MEMORY DOCTOR and LATENCY DOCTOR. Each check gives at most one finding.
 */
import type { Finding } from '../../model.js';
import { mebibytes, percent } from '../format.js';
import { isFragmented, redisMetrics, type RedisMetrics, type RedisSnapshot } from './metrics.js';

export type RedisHealthThresholds = { hitRatio: number; memoryWarn: number; memoryCritical: number };

/** What every check reads: the cache's resource name, the snapshot, its figures and the thresholds. */
interface Judged {
  r: string;
  s: RedisSnapshot;
  m: RedisMetrics;
  t: RedisHealthThresholds;
}

type Check = (x: Judged) => Finding | null;

/** Below this many lookups a hit ratio says nothing (a cache just started). */
const MIN_LOOKUPS = 1000;
/** Connected clients at this share of maxclients: the next burst of connections is rejected. */
const CLIENTS_WARN = 0.8;

const hitRatio: Check = ({ r, m, t }) =>
  m.hits + m.misses >= MIN_LOOKUPS && m.hitRatio < t.hitRatio
    ? {
        severity: 'warning',
        check: 'redis.hit-ratio',
        resource: r,
        message: `hit ratio ${percent(m.hitRatio)} (${m.hits} hits, ${m.misses} misses), below ${percent(t.hitRatio)}`,
        evidence: { hits: m.hits, misses: m.misses },
        remedy:
          'Misses cost a trip to the database: check the TTLs the apps set, and whether evictions (below) throw keys out before they are read.',
      }
    : null;

const evictions: Check = ({ r, s, m }) =>
  m.evictedKeys > 0
    ? {
        severity: 'warning',
        check: 'redis.evictions',
        resource: r,
        message: `${m.evictedKeys} keys evicted under ${s.config['maxmemory-policy'] ?? '?'} (maxmemory ${mebibytes(m.maxmemory)})`,
        evidence: { evicted: m.evictedKeys },
        remedy:
          'The data does not fit: raise maxmemory, or give keys TTLs; cache-optimize says whether the policy fits the keys.',
      }
    : null;

/** Without maxmemory there is no ratio to judge, only the warning that nothing stops growth. */
const memory: Check = ({ r, s, m, t }) => {
  if (!m.maxmemory)
    return {
      severity: 'info',
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
          s.config['maxmemory-policy'] === 'noeviction'
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
const clients: Check = ({ r, m }) => {
  if (m.rejectedConnections > 0)
    return {
      severity: 'warning',
      check: 'redis.rejected-connections',
      resource: r,
      message: `${m.rejectedConnections} connections rejected (maxclients ${m.maxclients})`,
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

const oomErrors: Check = ({ r, m }) =>
  m.oomErrors > 0
    ? {
        severity: 'critical',
        check: 'redis.oom-errors',
        resource: r,
        message: `${m.oomErrors} commands refused with OOM since start`,
        remedy: 'Writes are failing: raise maxmemory or switch maxmemory-policy from noeviction (cache-optimize).',
      }
    : null;

const slowlog: Check = ({ r, s }) =>
  s.slowlog.length > 0
    ? {
        severity: 'info',
        check: 'redis.slowlog',
        resource: r,
        message: `${s.slowlog.length} slow commands logged; slowest recent: ${s.slowlog.entries
          .map((e) => `${e.command} (${(e.micros / 1000).toFixed(1)} ms)`)
          .slice(0, 3)
          .join(', ')}`,
        evidence: s.slowlog.entries,
        remedy: 'Look for O(N) commands on big keys (KEYS, SMEMBERS, HGETALL, LRANGE 0 -1) in the apps.',
      }
    : null;

/** The doctors' reports on one line, short enough for a message. */
const oneLine = (report: string) => report.replace(/\s+/g, ' ').slice(0, 400);

/** MEMORY DOCTOR addresses Sam; its all-clear is passed over. */
const memoryDoctor: Check = ({ r, s }) =>
  !/can't find any memory issue|no memory issue|Hi Sam, I can't find/i.test(s.memoryDoctor) &&
  /Sam,/.test(s.memoryDoctor)
    ? { severity: 'info', check: 'redis.memory-doctor', resource: r, message: oneLine(s.memoryDoctor) }
    : null;

/** LATENCY DOCTOR addresses Dave. */
const latencyDoctor: Check = ({ r, s }) =>
  /latency spike|Dave, I have observed/i.test(s.latencyDoctor)
    ? { severity: 'info', check: 'redis.latency-doctor', resource: r, message: oneLine(s.latencyDoctor) }
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
];

/** cache-health: every check's finding on the cache, in a fixed order. */
export function judgeRedisHealth(cache: string, s: RedisSnapshot, t: RedisHealthThresholds): Finding[] {
  const judged: Judged = { r: `cache/${cache}`, s, m: redisMetrics(s), t };
  return CHECKS.map((check) => check(judged)).filter((f): f is Finding => f !== null);
}
