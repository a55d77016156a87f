/**
 * TLS everywhere, against real servers with certificates the real openssl made for the test:
 * a PostgreSQL with ssl=on that refuses TCP without TLS (the store, db-backup's own
 * connection, pg_dump and pg_restore, all with sslmode=verify-full and sslrootcert, or
 * libpq's PGSSL* environment), and a redis-server on --tls-port only that requires a client
 * certificate (the queue, its locks, a cache). A CA that did not sign the server is refused.
 */
import pg from 'pg';
import { backupDatabase } from '../../src/backup/backup.js';
import { readManifest, restoreBackup } from '../../src/backup/restore.js';
import { pgClientConfig } from '../../src/config/pg-ssl.js';
import { parseConfig } from '../../src/configure.js';
import { ConfigError } from '../../src/errors.js';
import { pgConnection, runTool } from '../../src/integrations/pg-tools.js';
import { readRedis, withRedis } from '../../src/integrations/redis-info.js';
import { healthCheck, healthCheckParams } from '../../src/jobs/health-check.js';
import { FileStorage } from '../../src/integrations/storage.js';
import { BullQueue } from '../../src/queue/bullmq.js';
import { RedisLocks } from '../../src/queue/locks.js';
import { openStore } from '../../src/store/index.js';
import { privatePki, type Pki } from '../support/certificate.js';
import { tempDir } from '../support/cli.js';
import { jobContext } from '../support/job-context.js';
import { startPostgres, startRedis, type PostgresCluster, type RedisServer } from '../support/services.mjs';

async function rows<T extends pg.QueryResultRow>(config: pg.ClientConfig, text: string): Promise<T[]> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('PostgreSQL with sslmode=verify-full', () => {
  let pki: Pki;
  let stranger: Pki;
  let cluster: PostgresCluster;
  const verified = (db: string, ca = pki.caFile) =>
    `${cluster.url(db)}?sslmode=verify-full&sslrootcert=${encodeURIComponent(ca)}`;

  beforeAll(async () => {
    const dir = tempDir('pg-tls-');
    pki = privatePki(dir, 'pg');
    stranger = privatePki(dir, 'stranger');
    cluster = await startPostgres({ ssl: { certFile: pki.serverCert, keyFile: pki.serverKey } });
    await rows(pgClientConfig(verified('postgres')), 'create database shop');
    await rows(pgClientConfig(verified('postgres')), 'create database shop_copy');
    await rows(pgClientConfig(verified('postgres')), 'create database store');
    await rows(
      pgClientConfig(verified('shop')),
      `create table orders (id int primary key, note text);
       insert into orders select i, md5(i::text) from generate_series(1, 5000) i`,
    );
  });
  afterAll(() => cluster?.stop());

  it('the server refuses TCP without TLS (so every pass below went over TLS)', async () => {
    await expect(rows({ connectionString: cluster.url('shop') }, 'select 1')).rejects.toThrow(
      /pg_hba\.conf rejects connection .* no encryption/,
    );
  });

  it('the store opens, migrates and answers over verify-full, its session encrypted', async () => {
    const store = await openStore({ databaseUrl: verified('store'), path: tempDir('unused-') });
    try {
      await store.ping();
      const {
        rows: [me],
      } = await store.sql.query<{ ssl: boolean }>('select ssl from pg_stat_ssl where pid = pg_backend_pid()');
      expect(me).toEqual({ ssl: true });
    } finally {
      await store.close();
    }
  });

  it('a CA that did not sign the server certificate is refused', async () => {
    await expect(rows(pgClientConfig(verified('shop', stranger.caFile)), 'select 1')).rejects.toThrow(
      /self[- ]signed certificate in certificate chain|unable to (get local issuer|verify)/,
    );
    const conn = pgConnection(verified('shop', stranger.caFile));
    const dump = runTool('pg_dump', ['--schema-only', '--no-password', ...conn.args], conn.env);
    dump.child.stdin.end();
    dump.child.stdout.resume();
    await expect(dump.done).rejects.toThrow(/certificate verify failed/);
  });

  it('db-backup and restore: pg_dump and pg_restore get the URL as PGSSLMODE and PGSSLROOTCERT', async () => {
    expect(pgConnection(verified('shop')).env).toEqual({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: pki.caFile });
    const storage = new FileStorage(tempDir('tls-backups-'));
    const manifest = await backupDatabase({
      database: { name: 'shop', url: verified('shop') },
      storage,
      compressionLevel: 1,
    });
    expect(manifest.tables).toEqual([{ table: 'public.orders', rows: 5000, sample: expect.any(String) }]);
    await restoreBackup({
      storage,
      manifest: await readManifest(storage, manifest.key),
      url: verified('shop_copy'),
      clean: false,
    });
    expect(await rows(pgClientConfig(verified('shop_copy')), 'select count(*)::int as n from orders')).toEqual([
      { n: 5000 },
    ]);
  });

  it("libpq's environment instead of URL parameters: PGSSLMODE=verify-full and PGSSLROOTCERT", async () => {
    const env = { PGSSLMODE: 'verify-full', PGSSLROOTCERT: pki.caFile };
    expect(
      await rows(pgClientConfig(cluster.url('shop'), env), 'select ssl from pg_stat_ssl where pid = pg_backend_pid()'),
    ).toEqual([{ ssl: true }]);
    await expect(
      rows(pgClientConfig(cluster.url('shop'), { ...env, PGSSLROOTCERT: stranger.caFile }), 'select 1'),
    ).rejects.toThrow(/self[- ]signed|unable to (get local issuer|verify)/);
    expect(() => pgClientConfig(cluster.url('shop'), { ...env, PGSSLROOTCERT: '/nonexistent/ca.pem' })).toThrow(
      'cannot read PGSSLROOTCERT /nonexistent/ca.pem: ENOENT',
    );
  });
});

describe('Redis over rediss:// with a CA file and a client certificate', () => {
  let pki: Pki;
  let stranger: Pki;
  let redis: RedisServer;
  let tls: { caFile: string; certFile: string; keyFile: string };

  beforeAll(async () => {
    const dir = tempDir('redis-tls-');
    pki = privatePki(dir, 'redis');
    stranger = privatePki(dir, 'stranger');
    tls = { caFile: pki.caFile, certFile: pki.clientCert, keyFile: pki.clientKey };
    redis = await startRedis(undefined, [], {
      tls: {
        certFile: pki.serverCert,
        keyFile: pki.serverKey,
        caFile: pki.caFile,
        clientCertFile: pki.clientCert,
        clientKeyFile: pki.clientKey,
      },
    });
  });
  afterAll(() => redis?.stop());

  it('the queue: a job enqueued over TLS is run by a worker over TLS; locks work too', async () => {
    const config = parseConfig({ queue: { redisUrl: redis.url, tls, prefix: 'tlsq' } });
    expect(config.queue.tls).toEqual(tls);
    const queue = new BullQueue({
      redis: config.queue.redis!,
      name: 'opscron',
      prefix: 'tlsq',
      lockDurationMs: 30_000,
      keepCompletedMs: 60_000,
    });
    const locks = new RedisLocks(config.queue.redis!, 'tlsq:opscron');
    try {
      await queue.ping();
      const ran = new Promise<string>((resolve) => {
        const consumer = queue.process(async (job) => {
          resolve(job.name);
          void consumer;
        }, 1);
      });
      await queue.enqueue([{ id: 'tls-check__1', name: 'tls-check', data: { params: {} } }]);
      expect(await ran).toBe('tls-check');
      expect(await locks.acquire('tls-check', 'me', 10_000)).toBe(true);
      expect(await locks.acquire('tls-check', 'someone-else', 10_000)).toBe(false);
    } finally {
      await locks.close();
      await queue.close();
    }
  });

  it('a cache job reads INFO over TLS, with the cache entry as configured', async () => {
    const config = parseConfig({ caches: [{ name: 'sessions', url: redis.url, tls }] });
    const snapshot = await withRedis(config.caches[0]!.redis, readRedis);
    expect(snapshot.info.redis_version).toMatch(/^7\./);
  });

  it('without the client certificate, or trusting another CA, the connection is refused', async () => {
    const attempt = (t: typeof tls | { caFile: string }) =>
      withRedis({ kind: 'standalone', url: redis.url, tls: t }, (c) => c.ping());
    await expect(attempt({ caFile: pki.caFile })).rejects.toThrow(/certificate|closed|ECONNRESET/i);
    await expect(attempt({ ...tls, caFile: stranger.caFile })).rejects.toThrow(
      /self[- ]signed certificate in certificate chain|unable to (get local issuer|verify)/,
    );
  });

  it("health-check's rediss:// dependency probe uses the TLS files configured for that server", async () => {
    const dependencyFailures = async (caches: unknown[]) => {
      const config = parseConfig({
        services: [{ name: 'shop', url: 'http://127.0.0.1:1', dependencies: [redis.url] }],
        caches,
      });
      const outcome = await healthCheck.run(jobContext(config), healthCheckParams.parse({ service: 'shop' }));
      return outcome.findings.filter((f) => f.check === 'dependency.redis').map((f) => f.message);
    };
    // The cache entry for the same server carries the CA and the client certificate.
    expect(await dependencyFailures([{ name: 'sessions', url: redis.url, tls }])).toEqual([]);
    // Without it, only the system's CAs: the private CA's certificate is refused.
    expect(await dependencyFailures([])).toEqual([
      expect.stringMatching(/which does not answer: .*(SELF_SIGNED|self[- ]signed|UNABLE_TO|certificate)/i),
    ]);
  });

  it('config: tls with a redis:// URL, or a certificate without its key, is an error that says so', () => {
    const issues = (input: unknown) => {
      try {
        parseConfig(input);
      } catch (error) {
        return (error as ConfigError).issues;
      }
      throw new Error('accepted');
    };
    expect(issues({ queue: { redisUrl: 'redis://:hunter2@127.0.0.1:6379', tls: { caFile: '/ca.pem' } } })).toEqual([
      'queue.tls: {"caFile":"/ca.pem"} — is set, but redisUrl is a redis:// URL, which does not use TLS: use rediss:// (or remove tls)',
    ]);
    expect(
      issues({ caches: [{ name: 'c', url: 'rediss://127.0.0.1:6380', tls: { certFile: '/client.pem' } }] }),
    ).toEqual(['caches[0].tls.keyFile: nothing — must be set with certFile: a client certificate needs its key']);
  });
});
