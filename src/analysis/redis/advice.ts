/**
 * cache-optimize's advice: whether maxmemory and its eviction policy fit the keys Redis
 * holds (judged on a sample of them), big keys, and fragmentation. Advice with a CONFIG SET
 * names it, for `apply: true` to run.
 */
import type { Finding } from '../../model.js';
import { mebibytes, percent } from '../format.js';
import { isFragmented, redisMetrics, type KeySample, type RedisMetrics, type RedisSnapshot } from './metrics.js';

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
  sampled: number;
  withoutTtl: number;
  /** The share of sampled keys without a TTL (0 with no sample). */
  share: number;
  bigKeyBytes: number;
}

type Adviser = (x: Advised) => Advice | null;

/** At this share of maxmemory under noeviction, the next writes fail. */
const NOEVICTION_FULL = 0.95;
/** Evidence lists this many big keys, the message the first few. */
const BIG_KEYS_EVIDENCE = 20;
const BIG_KEYS_MESSAGE = 5;

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

const noevictionFull: Adviser = ({ r, m, policy }) =>
  policy === 'noeviction' && (m.oomErrors > 0 || (m.maxmemory && m.memoryRatio >= NOEVICTION_FULL))
    ? {
        finding: {
          severity: 'critical',
          check: 'redis.noeviction-full',
          resource: r,
          message: `maxmemory-policy noeviction at ${percent(m.memoryRatio)} of maxmemory${m.oomErrors ? ` and ${m.oomErrors} writes refused with OOM` : ''}: writes fail`,
          remedy:
            'For a cache, CONFIG SET maxmemory-policy allkeys-lru; if Redis holds data that must not be lost, raise maxmemory instead.',
        },
        set: { parameter: 'maxmemory-policy', value: 'allkeys-lru' },
      }
    : null;

/** A volatile-* policy can evict only keys with a TTL: with most keys lacking one, it has little to evict. */
const policyMismatch: Adviser = ({ r, m, policy, sampled, withoutTtl, share }) => {
  if (!(sampled && policy.startsWith('volatile-') && share >= 0.5)) return null;
  const allkeys = `allkeys-${policy.slice('volatile-'.length)}`;
  return {
    finding: {
      severity: 'warning',
      check: 'redis.policy-mismatch',
      resource: r,
      message: `maxmemory-policy ${policy} evicts only keys with a TTL, but ${percent(share)} of ${sampled} sampled keys have none${m.evictedKeys ? ` (${m.evictedKeys} evicted so far)` : ''}: at maxmemory, writes will fail`,
      evidence: { sampled, withoutTtl },
      remedy: `CONFIG SET maxmemory-policy ${allkeys}, or set TTLs on the keys.`,
    },
    set: { parameter: 'maxmemory-policy', value: allkeys },
  };
};

/** The converse: every key expires anyway, so evicting among all of them throws out keys before their time. */
const policyTtl: Adviser = ({ r, m, policy, sampled, share }) =>
  sampled && policy.startsWith('allkeys-') && share === 0 && m.evictedKeys > 0
    ? {
        finding: {
          severity: 'info',
          check: 'redis.policy-ttl',
          resource: r,
          message: `every sampled key has a TTL and keys are being evicted: volatile-${policy.slice('allkeys-'.length)} would keep keys the apps meant to keep`,
          evidence: { sampled },
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
        .map((k) => `${k.key} (${mebibytes(k.bytes!)})`)
        .join(', ')}`,
      evidence: big.slice(0, BIG_KEYS_EVIDENCE),
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

const ADVISERS: Adviser[] = [maxmemoryUnset, noevictionFull, policyMismatch, policyTtl, bigKeys, activedefrag];

/** cache-optimize: advice on the cache's configuration, judged with a sample of its keys. */
export function adviseRedis(
  cache: string,
  s: RedisSnapshot,
  sample: KeySample[],
  t: { bigKeyBytes: number },
): Advice[] {
  const sampled = sample.length;
  const withoutTtl = sample.filter((k) => k.ttl === -1).length; // PTTL -1: the key never expires
  const advised: Advised = {
    r: `cache/${cache}`,
    s,
    m: redisMetrics(s),
    policy: s.config['maxmemory-policy'] ?? 'noeviction', // Redis' default
    sample,
    sampled,
    withoutTtl,
    share: sampled ? withoutTtl / sampled : 0,
    bigKeyBytes: t.bigKeyBytes,
  };
  return ADVISERS.map((advise) => advise(advised)).filter((a): a is Advice => a !== null);
}
