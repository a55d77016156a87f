/**
 * Backups on object storage, against a real S3-protocol server (s3rver, test/support/s3.mjs)
 * and the suite's PostgreSQL with the real pg_dump and pg_restore: a database backup streams
 * to the bucket in a multipart upload (nothing written to disk), backup-verify and
 * `opscron restore` stream it back; config backups and both retentions delete by prefix in
 * the bucket; the S3 credentials come from the environment and never appear in what
 * opscron prints, logs or returns.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { parseConfig } from '../../src/configure.js';
import { readConfigManifest, restoreConfig } from '../../src/backup/config-restore.js';
import { backupVerify, backupVerifyParams } from '../../src/jobs/backup-verify.js';
import { configBackup, configBackupParams } from '../../src/jobs/config-backup.js';
import { dbBackup, dbBackupParams } from '../../src/jobs/db-backup.js';
import { kubeFor } from '../../src/integrations/kube.js';
import { openStorage } from '../../src/integrations/storage-open.js';
import { runOpscron, tempDir, writeConfig } from '../support/cli.js';
import { FakeKube } from '../support/fake-kube.js';
import { jobContext } from '../support/job-context.js';
import { startS3, type S3Server } from '../support/s3.mjs';
import { createDatabase } from '../support/services.mjs';
import { eventually } from '../support/target.js';

async function query<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}
const fingerprint = (url: string) =>
  query(url, `select md5(string_agg(t::text, '|' order by t.id)) as md5, count(*)::text as n from items t`);

const KEY = 'object storage backup key 2026';

describe('backups on S3-compatible object storage', () => {
  let s3: S3Server;
  let source: string;
  let client: S3Client;
  let cwd: string;
  const saved = { ...process.env };

  const settings = (prefix = 'prod/') => ({
    kind: 's3',
    bucket: s3.bucket,
    prefix,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    partSizeMiB: 5,
    queueSize: 2,
  });
  const config = (over: Record<string, unknown> = {}) =>
    parseConfig({
      databases: [{ name: 'shop', url: source }],
      storage: settings(),
      backups: { path: join(cwd, 'no-backups-here') },
      ...over,
    });
  const configFile = () => ({
    databases: [{ name: 'shop', url: source }],
    storage: settings(),
    jobs: [{ id: 'nightly', type: 'db-backup', params: { database: 'shop' } }],
  });
  const objects = async (prefix: string) =>
    ((await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? []).map(
      (o) => o.Key!,
    );

  beforeAll(async () => {
    s3 = await startS3('opscron-backups');
    Object.assign(process.env, s3.env);
    client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
    source = await createDatabase('s3_backup_src');
    // About 11 MB of poorly compressible rows: the gzipped dump takes more than one 5 MiB part.
    await query(
      source,
      `create extension if not exists pgcrypto;
       create table items (id bigserial primary key, body text);
       insert into items (body) select encode(gen_random_bytes(1000), 'base64') from generate_series(1, 8000);`,
    );
  });
  beforeEach(() => {
    cwd = tempDir('s3-backup-');
    process.env.OPSCRON_ENCRYPTION_KEY = KEY;
  });
  afterAll(async () => {
    client.destroy();
    await s3.stop();
    process.env = saved;
  });

  it('db-backup streams to the bucket in parts; backup-verify and `opscron restore` read it back into identical data', async () => {
    const cfg = config();
    const outcome = await dbBackup.run(jobContext(cfg), dbBackupParams.parse({ database: 'shop' }));
    expect(outcome.status).toBe('ok');
    const key = outcome.artifacts![0]!.key;
    expect(key).toMatch(/^shop\/\d{4}\/\d{2}\/\d{2}\/shop-\d{8}T\d{6}Z\.dump\.gz\.enc$/);
    expect((await objects('prod/backups/shop/')).sort()).toEqual([`prod/backups/${key}`, `prod/backups/${key}.json`]);
    expect(outcome.artifacts![0]!.bytes).toBeGreaterThan(5 * 2 ** 20); // more than one part
    expect(s3.pendingUploads()).toEqual([]);
    expect(existsSync(join(cwd, 'no-backups-here'))).toBe(false); // no file on the way

    const verified = await backupVerify.run(jobContext(cfg), backupVerifyParams.parse({ database: 'shop' }));
    expect(verified).toMatchObject({
      status: 'ok',
      summary: expect.stringMatching(/restores: 1 tables and 8000 rows/),
    });

    const target = await createDatabase('s3_backup_dst');
    const file = writeConfig(cwd, { storage: settings(), store: { path: join(cwd, 'db') } });
    const env = { ...s3.env, OPSCRON_ENCRYPTION_KEY: KEY, LOG_LEVEL: 'debug' };
    const restored = await runOpscron(
      ['restore', `s3://${s3.bucket}/prod/backups/${key}`, '--to', target, '--confirm', '--config', file],
      { cwd, env },
    );
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.stdout).toContain(`restored ${key} (1 tables, 8000 rows at backup time)`);
    expect(await fingerprint(target)).toEqual(await fingerprint(source));
    for (const text of [restored.stdout, restored.stderr, JSON.stringify(outcome), JSON.stringify(verified)])
      expect(text).not.toContain(s3.env.AWS_SECRET_ACCESS_KEY);

    const listed = await runOpscron(['backups', '--json', '--config', file], { cwd, env });
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ key, kind: 'database', encryption: 'all' })]);
  });

  it('retention deletes old backups from the bucket by prefix', async () => {
    const cfg = config({
      storage: settings('retention/'),
      backups: { path: join(cwd, 'none'), keep: { daily: 1, weekly: 0, monthly: 0 } },
    });
    const at = (iso: string) => jobContext(cfg, () => {}, { now: () => new Date(iso) });
    await dbBackup.run(at('2026-11-20T03:00:00Z'), dbBackupParams.parse({ database: 'shop', compressionLevel: 1 }));
    const second = await dbBackup.run(
      at('2026-11-21T03:00:00Z'),
      dbBackupParams.parse({ database: 'shop', compressionLevel: 1 }),
    );
    expect(second.summary).toMatch(/1 old backup removed/);
    expect((await objects('retention/')).sort()).toEqual([
      'retention/backups/shop/2026/11/21/shop-20261121T030000Z.dump.gz.enc',
      'retention/backups/shop/2026/11/21/shop-20261121T030000Z.dump.gz.enc.json',
    ]);
  });

  // s3rver checks that the access key exists, not the SigV4 signature: a key it does not know
  // is the refusal it can give. The secret beside it must not show anywhere.
  it('refused credentials fail with the bucket, the key and the service’s answer — and no secret', async () => {
    const secret = 'wrong-secret-value-that-must-never-show-1234';
    const refused = { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWNKEY0000000', AWS_SECRET_ACCESS_KEY: secret };
    Object.assign(process.env, refused);
    try {
      const failed = dbBackup.run(jobContext(config()), dbBackupParams.parse({ database: 'shop' }));
      await expect(failed).rejects.toMatchObject({
        code: 'OPSCRON_STORAGE',
        message: expect.stringMatching(
          /^cannot (write|list) s3:\/\/opscron-backups\/prod\/backups\/shop.*: InvalidAccessKeyId \(HTTP 403\)/,
        ),
      });
      const error = (await failed.catch((e: unknown) => e)) as Error;
      expect(`${String(error)} ${JSON.stringify(error)} ${String(error.stack)}`).not.toContain(secret);
      expect(s3.pendingUploads()).toEqual([]);
      // pg_dump was stopped, not left blocked on a pipe nobody reads.
      await eventually(
        async () =>
          (
            await query<{ n: number }>(
              source,
              `select count(*)::int as n from pg_stat_activity where application_name = 'pg_dump'`,
            )
          )[0]!.n === 0,
        'pg_dump to exit',
        10_000,
      );
    } finally {
      Object.assign(process.env, s3.env);
    }
    const file = writeConfig(cwd, { ...configFile(), store: { path: join(cwd, 'db') } });
    const cli = await runOpscron(['run', 'nightly', '--json', '--config', file], {
      cwd,
      env: { ...s3.env, ...refused, LOG_LEVEL: 'debug' },
    });
    expect(cli.code).toBe(3);
    expect(`${cli.stdout}${cli.stderr}`).toMatch(/InvalidAccessKeyId \(HTTP 403\)/);
    expect(`${cli.stdout}${cli.stderr}`).not.toContain(secret);
  });

  describe('config backups', () => {
    let kube: FakeKube;
    let kubeconfig: string;
    beforeAll(async () => {
      kube = await new FakeKube().start();
      kubeconfig = kube.kubeconfig(tempDir('s3-kc-'));
      kube.add({ kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'shop' }, data: { LOG_LEVEL: 'info' } });
      kube.add({
        kind: 'Secret',
        metadata: { name: 'db-creds', namespace: 'shop' },
        type: 'Opaque',
        data: { password: Buffer.from('hunter2-hunter2').toString('base64') },
      });
    });
    afterAll(() => kube.stop());

    it('go to the bucket (secrets encrypted), restore from it, and retention deletes whole backups by prefix', async () => {
      const cfg = config({
        kubernetes: { kubeconfig, namespaces: ['shop'] },
        backups: { path: join(cwd, 'none'), keep: { daily: 1, weekly: 0, monthly: 0 } },
      });
      const run = (iso: string) =>
        configBackup.run(
          jobContext(cfg, () => {}, { now: () => new Date(iso) }),
          configBackupParams.parse({}),
        );
      expect(await run('2026-11-20T03:00:00Z')).toMatchObject({ status: 'ok', metrics: { objects: 2 } });
      const second = await run('2026-11-21T03:00:00Z');
      expect(second).toMatchObject({ status: 'ok', metrics: { removed: 1 } });
      const left = await objects('prod/backups/config/shop/');
      expect(left.sort()).toEqual([
        'prod/backups/config/shop/2026/11/21/20261121T030000Z/configmaps.yaml',
        'prod/backups/config/shop/2026/11/21/20261121T030000Z/manifest.json',
        'prod/backups/config/shop/2026/11/21/20261121T030000Z/secrets.yaml.enc',
      ]);
      const storage = openStorage(cfg, 'backups');
      const secrets = await storage.readBuffer('config/shop/2026/11/21/20261121T030000Z/secrets.yaml.enc');
      expect(secrets.subarray(0, 8).toString()).toBe('OPSCENC2');
      expect(secrets.includes(Buffer.from('hunter2'))).toBe(false);

      kube.add({
        kind: 'ConfigMap',
        metadata: { name: 'app-config', namespace: 'shop' },
        data: { LOG_LEVEL: 'debug' },
      });
      const manifest = await readConfigManifest(storage, 'config/shop/2026/11/21/20261121T030000Z');
      const dry = await restoreConfig({ storage, manifest, kube: await kubeFor(cfg), passphrase: KEY, apply: false });
      expect(dry.changes).toEqual(['configmap/shop/app-config: LOG_LEVEL will change from "debug" to "info"']);
      expect(
        (await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: 'prod/' }))).Uploads ?? [],
      ).toEqual([]);
    });
  });
});
