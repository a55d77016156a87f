/**
 * The Redis shapes in config (queue and caches[]): one server by URL, a Sentinel set, a
 * Cluster — what each resolves to, what is refused (naming field, value and what is allowed),
 * and that their passwords never reach a log line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../src/configure.js';
import { ConfigError } from '../../src/errors.js';
import { redact } from '../../src/observability/redact.js';
import { tempDir } from '../support/cli.js';

const issues = (input: unknown): string[] => {
  try {
    parseConfig(input);
  } catch (error) {
    return (error as ConfigError).issues;
  }
  throw new Error('accepted');
};

const sentinels = [
  { host: 's1', port: 26379 },
  { host: 's2', port: 26379 },
];

describe('Redis config', () => {
  it('queue.redisUrl keeps working: one server, prefix bull', () => {
    const { queue } = parseConfig({ queue: { redisUrl: 'redis://127.0.0.1:6379/2' } });
    expect(queue.redis).toEqual({ kind: 'standalone', url: 'redis://127.0.0.1:6379/2' });
    expect(queue.prefix).toBe('bull');
    expect(parseConfig({}).queue).toMatchObject({ redis: undefined, prefix: 'bull', name: 'opscron' });
  });

  it('a Sentinel set resolves with its master name, credentials, database and TLS', () => {
    const { queue } = parseConfig({
      queue: {
        sentinels: [...sentinels, 'redis://s3:26380'],
        master: 'mymaster',
        password: 'data-pw',
        sentinelPassword: 'sentinel-pw',
        db: 3,
        tls: { caFile: '/ca.pem' },
      },
    });
    expect(queue.redis).toEqual({
      kind: 'sentinel',
      sentinels: [...sentinels, { host: 's3', port: 26380 }],
      master: 'mymaster',
      db: 3,
      password: 'data-pw',
      sentinelPassword: 'sentinel-pw',
      tls: { caFile: '/ca.pem' },
    });
    expect(queue.prefix).toBe('bull');
  });

  it('a Cluster takes nodes or URLs, TLS from rediss://, and a hash-tagged prefix by default', () => {
    const { queue, caches } = parseConfig({
      queue: { cluster: ['rediss://node-a.example:7000', { host: '10.0.0.2', port: 7001 }], password: 'pw' },
      caches: [{ name: 'sessions', cluster: [{ host: '10.0.0.5', port: 7000 }] }],
    });
    expect(queue.redis).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'node-a.example', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
      password: 'pw',
      tls: {},
    });
    expect(queue.prefix).toBe('{opscron}');
    expect(caches[0]!.redis).toEqual({ kind: 'cluster', nodes: [{ host: '10.0.0.5', port: 7000 }] });
  });

  it('refuses mixed shapes and fields of another shape, by name', () => {
    expect(issues({ queue: { redisUrl: 'redis://h:6379', sentinels, master: 'm' } })).toEqual([
      'queue.sentinels: [{"host":"s1","port":26379},{"host":"s2","port":26379}] — is set together with redisUrl: give one of redisUrl (one server), sentinels + master (Sentinel) or cluster (Cluster nodes)',
    ]);
    expect(issues({ queue: { sentinels } })).toEqual([
      'queue.master: nothing — is missing: sentinels need the master set name they monitor',
    ]);
    expect(issues({ queue: { cluster: [{ host: 'h', port: 7000 }], db: 2 } })).toEqual([
      'queue.db: 2 — is only for sentinels (a URL says /<db>; a Cluster has only database 0)',
    ]);
    expect(issues({ caches: [{ name: 'c', url: 'redis://h:6379', password: 'x' }] })).toEqual([
      'caches[0].password: (hidden) — is only for sentinels or cluster (a URL carries its own)',
    ]);
    expect(issues({ caches: [{ name: 'c' }] })).toEqual([
      'caches[0].url: nothing — is missing: give url, sentinels + master, or cluster',
    ]);
  });

  it('refuses credentials in node URLs, mixed TLS, a bad node, a malformed hash tag', () => {
    expect(issues({ queue: { cluster: ['redis://:hunter2@h:7000'] } })).toEqual([
      'queue.cluster[0]: "redis://:***@h:7000" — carries credentials: put them in username/password (with ${VAR})',
    ]);
    expect(issues({ queue: { cluster: ['redis://a:7000', 'rediss://b:7000'] } })).toEqual([
      'queue.cluster: ["redis://a:7000","rediss://b:7000"] — mixes redis:// and rediss:// nodes: all use TLS or none does',
    ]);
    expect(issues({ queue: { cluster: [{ host: 'a b', port: 70000 }] } })).toHaveLength(2);
    expect(issues({ queue: { redisUrl: 'redis://h:6379', prefix: 'a{b' } })).toEqual([
      'queue.prefix: "a{b" — a { opens a hash tag: write one {tag} with text between the braces, e.g. {opscron}',
    ]);
  });

  it('registers Sentinel and Cluster passwords as secrets; REDIS_URL does not override them', async () => {
    const path = join(tempDir('opscron-redis-config-'), 'c.yaml');
    writeFileSync(
      path,
      [
        'queue:',
        '  sentinels: [{ host: s1, port: 26379 }]',
        '  master: mymaster',
        '  password: ${REDIS_PASSWORD}',
        '  sentinelPassword: ${SENTINEL_PASSWORD}',
        '  sentinelUsername: ${SENTINEL_USER:-}',
        'caches:',
        '  - name: sessions',
        '    cluster: ["redis://c1:7000"]',
        '    password: cache-canary-pw',
        '',
      ].join('\n'),
    );
    const config = await loadConfig({
      path,
      env: { REDIS_PASSWORD: 'queue-canary-pw', SENTINEL_PASSWORD: 'sentinel-canary-pw', REDIS_URL: 'redis://x:1' },
    });
    expect(config.queue.redis).toMatchObject({ kind: 'sentinel', sentinelPassword: 'sentinel-canary-pw' });
    expect(config.queue.redis).not.toHaveProperty('sentinelUsername'); // empty: none
    expect(config.queue.redisUrl).toBeUndefined();
    expect(redact('queue-canary-pw sentinel-canary-pw cache-canary-pw')).toBe('*** *** ***');
  });
});
