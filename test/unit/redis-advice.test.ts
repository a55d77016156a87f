/**
 * cache-optimize's advice with a basis in the sample (issue 17): no allkeys-ttl, no policy
 * change from a handful of keys or from keys that do not show the problem, no critical
 * from an OOM refusal since start on a cache that is not full; and memory and TTLs by
 * key pattern from a SCAN sample, extrapolated and saying its size.
 */
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { adviseRedis, byPattern, keyPattern, type KeySample, type RedisSnapshot } from '../../src/analysis/redis.js';
import { parseInfo } from '../../src/integrations/redis-info.js';

const snapshot = (policy: string, info = ''): RedisSnapshot => ({
  info: parseInfo(`uptime_in_seconds:259200\r\nused_memory:104857600\r\nevicted_keys:40\r\n${info}`),
  config: { maxmemory: String(2 ** 30), 'maxmemory-policy': policy, activedefrag: 'no' },
  memoryDoctor: '',
  latencyDoctor: '',
  slowlog: { length: 0, entries: [] },
});
const keys = (withTtl: number, without: number, bytes = 100): KeySample[] => [
  ...Array.from({ length: withTtl }, (_, i) => ({ key: `session:${i}`, ttl: 60_000, bytes, type: 'string' })),
  ...Array.from({ length: without }, (_, i) => ({ key: `user:${i}:profile`, ttl: -1, bytes, type: 'hash' })),
];
const sample = (k: KeySample[], dbsize = k.length) => ({ keys: k, dbsize, stoppedBy: 'done' as const });
const big = { bigKeyBytes: 2 ** 20 };
const policyAdvice = (s: RedisSnapshot, k: ReturnType<typeof sample>) =>
  adviseRedis('sessions', s, k, big).filter(
    (a) => a.finding.check.startsWith('redis.policy') || a.finding.check.startsWith('redis.noeviction'),
  );

describe('policy advice needs a basis', () => {
  it('volatile-ttl over keys without a TTL: allkeys-lru, never the allkeys-ttl that does not exist', () => {
    const [advice] = policyAdvice(snapshot('volatile-ttl'), sample(keys(10, 30)));
    expect(advice!.set).toEqual({ parameter: 'maxmemory-policy', value: 'allkeys-lru' });
    expect(advice!.finding.remedy).toMatch(/^CONFIG SET maxmemory-policy allkeys-lru \(there is no allkeys-ttl/);
    for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl'])
      for (const a of policyAdvice(snapshot(policy), sample(keys(0, 40))))
        expect(a.set?.value).toMatch(/^allkeys-(lru|lfu|random)$/);
  });

  it('no change of policy when every sampled key has a TTL under a volatile policy', () => {
    expect(policyAdvice(snapshot('volatile-lru'), sample(keys(40, 0)))).toEqual([]);
  });

  it('no change of policy from a handful of keys in a big database', () => {
    expect(policyAdvice(snapshot('volatile-lru'), sample(keys(1, 4), 100_000))).toEqual([]);
    // ... but five keys that are the whole database are a basis.
    expect(policyAdvice(snapshot('volatile-lru'), sample(keys(1, 4), 5))).toHaveLength(1);
  });

  it('no volatile-* advice for an allkeys cache whose keys all expire (the policies evict the same keys)', () => {
    expect(policyAdvice(snapshot('allkeys-lru'), sample(keys(40, 0)))).toEqual([]);
    // Some keys without a TTL among many with one, and evictions: those keys are at risk.
    const [f] = policyAdvice(snapshot('allkeys-lru'), sample(keys(35, 5)));
    expect(f!.finding).toMatchObject({ severity: 'info', check: 'redis.policy-ttl' });
    expect(f!.finding.message).toMatch(
      /^5 of 40 sampled keys have no TTL and 40 keys were evicted since Redis started 3 d ago/,
    );
    expect(f!.set).toBeUndefined();
  });

  it('noeviction: critical when full now, not for OOM refusals long ago on a cache with room', () => {
    const roomy = snapshot('noeviction', 'errorstat_OOM:count=37\r\n');
    expect(policyAdvice(roomy, sample(keys(40, 0)))).toEqual([]);
    const full = snapshot('noeviction', `errorstat_OOM:count=37\r\n`);
    full.info.used_memory = String(0.97 * 2 ** 30);
    expect(policyAdvice(full, sample(keys(40, 0)))[0]!.finding.severity).toBe('critical');
  });

  it('maxmemory unset is a warning, as in cache-health', () => {
    const s = snapshot('allkeys-lru');
    s.config.maxmemory = '0';
    expect(adviseRedis('sessions', s, sample([]), big).map((a) => [a.finding.severity, a.finding.check])).toEqual([
      ['warning', 'redis.maxmemory-unset'],
    ]);
  });
});

describe('key patterns', () => {
  it('masks ids and numbers, keeps names', () => {
    expect(
      [
        'session:8f14e45fceea167a5a36dedd4bea2543',
        'user:1234:cart',
        'report:2026-11-30',
        'order:550e8400-e29b-41d4-a716-446655440000',
        '{tenant7}:jobs:01ARZ3NDEKTSV4RRFFQ69G5FAV',
        'config',
        'session_handler_v2',
        'ip:10.0.0.1',
        'login:bob.smith@example.com:attempts',
      ].map(keyPattern),
    ).toEqual([
      'session:*',
      'user:*:cart',
      'report:*',
      'order:*',
      '{tenant*}:jobs:*',
      'config',
      'session_handler_v*',
      'ip:*',
      'login:*:attempts',
    ]);
  });

  it('any key name gives a pattern without digits, of bounded length', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), (key) => {
        const p = keyPattern(key);
        expect(p).not.toMatch(/[0-9]/);
        expect(p.length).toBeLessThanOrEqual(121);
      }),
    );
  });

  it('groups a sample by pattern and type, extrapolated to the database', () => {
    const k = [...keys(6, 2, 1000), { key: 'gone:1', ttl: -2, bytes: null, type: 'none' }];
    const rows = byPattern(sample(k, 800));
    expect(rows).toEqual([
      {
        pattern: 'session:*',
        keys: 6,
        bytes: 6000,
        withoutTtl: 0,
        types: { string: 6 },
        estimatedKeys: 600,
        estimatedBytes: 600_000,
      },
      {
        pattern: 'user:*:profile',
        keys: 2,
        bytes: 2000,
        withoutTtl: 2,
        types: { hash: 2 },
        estimatedKeys: 200,
        estimatedBytes: 200_000,
      },
    ]);
  });

  it('cache-optimize says memory and keys without a TTL by pattern, with the sample size', () => {
    const by = Object.fromEntries(
      adviseRedis('sessions', snapshot('allkeys-lru'), sample(keys(30, 10, 2048), 4000), big).map((a) => [
        a.finding.check,
        a.finding,
      ]),
    );
    expect(by['redis.memory-by-pattern']!.message).toBe(
      'memory by key pattern in a SCAN sample of 40 of 4000 keys (1.0 %): session:* 75.0 % (30 keys, string, ~5.9 MiB estimated in all); user:*:profile 25.0 % (10 keys, hash, ~2.0 MiB estimated in all)',
    );
    expect(by['redis.no-ttl-by-pattern']!.message).toBe(
      '10 keys without a TTL in a SCAN sample of 40 of 4000 keys (1.0 %): user:*:profile 10 of 10',
    );
    const cut = adviseRedis(
      'sessions',
      snapshot('allkeys-lru'),
      { ...sample(keys(30, 10), 4000), stoppedBy: 'time' },
      big,
    );
    expect(cut.find((a) => a.finding.check === 'redis.memory-by-pattern')!.finding.message).toMatch(
      /, cut short by its time bound:/,
    );
  });
});

describe('tokens in key names never reach a finding (issue 17 M4)', () => {
  /** Random bytes as a token generator would draw them (sha256 of a seed: no bias towards "AAAA…"). */
  const random = (seed: number, salt: string) => createHash('sha256').update(`${salt}:${seed}`).digest();
  const b64url = (seed: number, salt: string, length: number) =>
    Buffer.concat([random(seed, salt), random(seed, `${salt}+`)])
      .toString('base64url')
      .slice(0, length);
  const token = fc.oneof(
    // 20–64 letters and digits, as session ids are drawn (16–19: see NAME_WORD's odds, and the fixed ones below)
    fc.tuple(fc.integer(), fc.integer({ min: 20, max: 64 })).map(([seed, length]) =>
      Buffer.concat([random(seed, 'a'), random(seed, 'b'), random(seed, 'c')])
        .toString('base64')
        .replace(/[^A-Za-z0-9]/g, '')
        .slice(0, length),
    ),
    // base64url, with - and _
    fc.tuple(fc.integer(), fc.integer({ min: 20, max: 43 })).map(([seed, length]) => b64url(seed, 'u', length)),
    // a JWT: header.payload.signature
    fc
      .integer()
      .map(
        (seed) =>
          `${Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url')}.${Buffer.from(
            JSON.stringify({ sub: b64url(seed, 's', 12), iat: 1764579600 + (seed % 86_400) }),
          ).toString('base64url')}.${b64url(seed, 'sig', 43)}`,
      ),
  );
  const template = fc.constantFrom('session:%', 'denylist:%', 'user:42:token:%', '{tenant7}:refresh:%:meta', 'csrf|%');
  /** Any 8 characters of the token, found in the text, are a leak (the old masking left letters in place of digits). */
  const leaks = (text: string, t: string) =>
    Array.from({ length: t.length - 7 }, (_, i) => t.slice(i, i + 8)).filter((w) => text.includes(w));

  it('the memory and TTL patterns and the big keys show no part of a token', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(template, token), { minLength: 1, maxLength: 8 }), (drawn) => {
        const k = drawn.map(([t, tok], i) => ({
          key: t.replace('%', tok),
          ttl: i % 2 ? -1 : 60_000,
          bytes: 2 ** 21,
          type: 'string',
        }));
        const text = JSON.stringify(adviseRedis('sessions', snapshot('allkeys-lru'), sample(k), big));
        expect(text).toContain('redis.big-keys');
        for (const [, tok] of drawn) expect(leaks(text, tok)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('16-character tokens, an ULID and a JWT are masked whole', () => {
    expect(
      [
        'session:Xk9fQ2mZpL7rT4wB',
        'session:hJ3kLmNoPqRsTuVw',
        'csrf:aZ-_bY0cX1dW2eV3',
        'jobs:01ARZ3NDEKTSV4RRFFQ69G5FAV',
        'denylist:eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      ].map(keyPattern),
    ).toEqual(['session:*', 'session:*', 'csrf:*', 'jobs:*', 'denylist:*']);
  });

  it('names stay names: camelCase, UPPER_CASE and dotted words of 16 or more characters', () => {
    expect(
      [
        'cache:userProfileSettings',
        'queue:EMAIL_NOTIFICATIONS_HIGH',
        'cfg:feature.flags.checkout_v2',
        'jwt:denylist',
      ].map(keyPattern),
    ).toEqual([
      'cache:userProfileSettings',
      'queue:EMAIL_NOTIFICATIONS_HIGH',
      'cfg:feature.flags.checkout_v*',
      'jwt:denylist',
    ]);
  });
});
