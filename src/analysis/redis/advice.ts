/**
 * cache-optimize's advice: whether maxmemory and its eviction policy fit the keys Redis
 * holds (judged on a sample of them), big keys, fragmentation, and where the memory goes
 * by key pattern. Advice with a CONFIG SET names it, for `apply: true` to run; advice to
 * change the policy needs a basis in the sample (enough keys, and keys that show it).
 */
import type { Finding } from '../../model.js';
import { mebibytes, percent, span } from '../format.js';
import {
  isFragmented,
  n,
  policyOf,
  redisMetrics,
  type KeySample,
  type KeySampleResult,
  type RedisMetrics,
  type RedisSnapshot,
} from './metrics.js';
import { keyPattern, memoryByPattern, noTtlByPattern } from './patterns.js';

export interface Advice {
  finding: Finding;
  /** A CONFIG SET it is safe to apply, if there is one. */
  set?: { parameter: string; value: string };
}

/** What every piece of advice reads: the cache, its figures and policy, and the sampled keys' TTLs. */
interface Advised {
  r: string;
  s: RedisSnapshot;
  m: RedisMetrics;
  policy: string;
  sample: KeySample[];
  result: KeySampleResult;
  sampled: number;
  withoutTtl: number;
  /** The share of sampled keys without a TTL (0 with no sample). */
  share: number;
  /** Whether the sample can carry advice on the policy: enough keys, or every key there is. */
  enough: boolean;
  /** "since Redis started 3 d ago": cache-optimize keeps no counters, so its totals are since start. */
  sinceStart: string;
  bigKeyBytes: number;
}

type Adviser = (x: Advised) => Advice | null;

/** At this share of maxmemory under noeviction, the next writes fail. */
const NOEVICTION_FULL = 0.95;
/** Fewer sampled keys than this (in a database that holds more) say nothing about its TTL mix. */
const MIN_SAMPLE = 30;
/**
 * The allkeys policy that takes a volatile one's place when too few keys have a TTL. There is
 * no allkeys-ttl (keys without a TTL have no TTL to order by): volatile-ttl evicts what is
 * nearest its end, and allkeys-lru, what has gone unused longest, is the nearest thing for
 * all keys — and Redis' advice for a cache.
 */
const ALLKEYS_FOR: Record<string, string> = {
  'volatile-lru': 'allkeys-lru',
  'volatile-lfu': 'allkeys-lfu',
  'volatile-random': 'allkeys-random',
  'volatile-ttl': 'allkeys-lru',
};
/** Evidence lists this many big keys, the message the first few. */
const BIG_KEYS_EVIDENCE = 20;
const BIG_KEYS_MESSAGE = 5;

/** A warning, as in cache-health: without a limit a cache never evicts and grows until the kernel kills it. */
const maxmemoryUnset: Adviser = ({ r, m }) =>
  m.maxmemory
    ? null
    : {
        finding: {
          severity: 'warning',
          check: 'redis.maxmemory-unset',
          resource: r,
          message: 'maxmemory is not set: Redis grows until the kernel kills it',
          remedy:
            'CONFIG SET maxmemory to about 75 % of the memory the container or host gives Redis (not applied automatically: opscron cannot know that limit).',
        },
      };

/** Judged on memory now: OOM refusals are a since-start total, context only (a refusal last month is not a full cache). */
const noevictionFull: Adviser = ({ r, m, policy, sinceStart }) =>
  policy === 'noeviction' && m.maxmemory && m.memoryRatio >= NOEVICTION_FULL
    ? {
        finding: {
          severity: 'critical',
          check: 'redis.noeviction-full',
          resource: r,
          message: `maxmemory-policy noeviction at ${percent(m.memoryRatio)} of maxmemory${m.oomErrors ? ` (${m.oomErrors} writes refused with OOM ${sinceStart})` : ''}: writes fail`,
          remedy:
            'For a cache, CONFIG SET maxmemory-policy allkeys-lru; if Redis holds data that must not be lost, raise maxmemory instead.',
        },
        set: { parameter: 'maxmemory-policy', value: 'allkeys-lru' },
      }
    : null;

/** A volatile-* policy can evict only keys with a TTL: with most keys lacking one, it has little to evict. */
const policyMismatch: Adviser = ({ r, m, policy, sampled, withoutTtl, share, enough, sinceStart }) => {
  const allkeys = ALLKEYS_FOR[policy];
  if (!(allkeys && enough && share >= 0.5)) return null;
  const why =
    policy === 'volatile-ttl'
      ? ' (there is no allkeys-ttl: keys without a TTL have none to order by; allkeys-lru evicts what has gone unused longest)'
      : '';
  return {
    finding: {
      severity: 'warning',
      check: 'redis.policy-mismatch',
      resource: r,
      message: `maxmemory-policy ${policy} evicts only keys with a TTL, but ${percent(share)} of ${sampled} sampled keys have none${m.evictedKeys ? ` (${m.evictedKeys} evicted ${sinceStart})` : ''}: at maxmemory, writes will fail`,
      evidence: { sampled, withoutTtl },
      remedy: `CONFIG SET maxmemory-policy ${allkeys}${why}, or set TTLs on the keys.`,
    },
    set: { parameter: 'maxmemory-policy', value: allkeys },
  };
};

/**
 * The converse: under allkeys-*, keys the apps gave no TTL (meant to keep) are evicted
 * along with the rest. Only when the sample shows such keys beside a majority with a TTL —
 * with every key expiring, volatile-* and allkeys-* evict the same keys.
 */
const policyTtl: Adviser = ({ r, m, policy, sampled, withoutTtl, share, enough, sinceStart }) =>
  policy.startsWith('allkeys-') && enough && share > 0 && share < 0.5 && m.evictedKeys > 0
    ? {
        finding: {
          severity: 'info',
          check: 'redis.policy-ttl',
          resource: r,
          message: `${withoutTtl} of ${sampled} sampled keys have no TTL and ${m.evictedKeys} keys were evicted ${sinceStart}: under ${policy} those keys can be evicted too; if the apps mean to keep them, volatile-${policy.slice('allkeys-'.length)} evicts only keys with a TTL`,
          evidence: { sampled, withoutTtl },
        },
      }
    : null;

const bigKeys: Adviser = ({ r, sample, sampled, bigKeyBytes }) => {
  const big = sample.filter((k) => (k.bytes ?? 0) >= bigKeyBytes).sort((a, b) => (b.bytes ?? 0) - (a.bytes ?? 0));
  if (!big.length) return null;
  return {
    finding: {
      severity: 'warning',
      check: 'redis.big-keys',
      resource: r,
      message: `${big.length} of ${sampled} sampled keys are ${mebibytes(bigKeyBytes)} or more: ${big
        .slice(0, BIG_KEYS_MESSAGE)
        .map((k) => `${keyPattern(k.key)} (${mebibytes(k.bytes!)})`)
        .join(', ')}`,
      // Key names are the apps' data (session ids, tokens): shown masked, as the patterns are.
      evidence: big.slice(0, BIG_KEYS_EVIDENCE).map((k) => ({ ...k, key: keyPattern(k.key) })),
      remedy:
        'Big keys block Redis while they are read, written or deleted: split them (hash buckets), and delete them with UNLINK.',
    },
  };
};

const activedefrag: Adviser = ({ r, s, m }) =>
  isFragmented(m) && s.config.activedefrag !== 'yes'
    ? {
        finding: {
          severity: 'warning',
          check: 'redis.activedefrag',
          resource: r,
          message: `fragmentation ${m.fragmentation.toFixed(2)} (${mebibytes(m.fragmentationBytes)}) and activedefrag is off`,
          remedy: 'CONFIG SET activedefrag yes',
        },
        set: { parameter: 'activedefrag', value: 'yes' },
      }
    : null;

const patterns: Adviser = ({ r, result }) => {
  const f = memoryByPattern(r, result);
  return f ? { finding: f } : null;
};
const noTtl: Adviser = ({ r, result }) => {
  const f = noTtlByPattern(r, result);
  return f ? { finding: f } : null;
};

const ADVISERS: Adviser[] = [
  maxmemoryUnset,
  noevictionFull,
  policyMismatch,
  policyTtl,
  bigKeys,
  activedefrag,
  patterns,
  noTtl,
];

/** cache-optimize: advice on the cache's configuration, judged with a sample of its keys. */
export function adviseRedis(
  cache: string,
  s: RedisSnapshot,
  result: KeySampleResult,
  t: { bigKeyBytes: number },
): Advice[] {
  // A key that went away between SCAN and PTTL (-2) is neither with nor without a TTL.
  const sample = result.keys.filter((k) => k.ttl !== -2);
  const sampled = sample.length;
  const withoutTtl = sample.filter((k) => k.ttl === -1).length; // PTTL -1: the key never expires
  const uptime = n(s.info.uptime_in_seconds);
  const advised: Advised = {
    r: `cache/${cache}`,
    s,
    m: redisMetrics(s),
    policy: policyOf(s, 'noeviction'), // Redis' default
    sample: result.keys,
    result,
    sampled,
    withoutTtl,
    share: sampled ? withoutTtl / sampled : 0,
    enough: sampled >= MIN_SAMPLE || (sampled > 0 && sampled >= result.dbsize),
    sinceStart: uptime ? `since Redis started ${span(uptime)} ago` : 'since Redis started',
    bigKeyBytes: t.bigKeyBytes,
  };
  return ADVISERS.map((advise) => advise(advised)).filter((a): a is Advice => a !== null);
}
