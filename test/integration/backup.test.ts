/**
 * Backups on the suite's private PostgreSQL with the real pg_dump and pg_restore: the
 * backup → restore round trip gives identical data; backup-verify proves a backup in a
 * scratch database and drops it; a corrupted dump and a wrong key fail with clear errors;
 * restore refuses to run without --confirm and is audited.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { join } from 'node:path';
import pg from 'pg';
import { parseConfig } from '../../src/configure.js';
import type { OpscronConfig } from '../../src/config/schema.js';
import { backupVerify, backupVerifyParams } from '../../src/jobs/backup-verify.js';
import { dbBackup, dbBackupParams } from '../../src/jobs/db-backup.js';
import { retain } from '../../src/analysis/retention.js';
import { runOpscron, tempDir, writeConfig } from '../support/cli.js';
import { createDatabase } from '../support/services.mjs';
import { legacyEncryptor } from '../support/legacy-encryptor.js';
import { FileStorage } from '../../src/integrations/storage.js';
import { readManifest, restoreBackup } from '../../src/backup/restore.js';
import { jobContext } from '../support/job-context.js';

async function query<T extends pg.QueryResultRow = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** What a table holds, as one hash: equal data, equal hash. */
const fingerprint = (url: string, table: string, order: string) =>
  query<{ md5: string; n: string }>(
    url,
    `select md5(string_agg(t::text, '|' order by ${order})) as md5, count(*)::text as n from ${table} t`,
  ).then((r) => r[0]);

describe('database backups', () => {
  let source: string;
  let dir: string;
  let config: OpscronConfig;
  const savedKey = process.env.OPSCRON_ENCRYPTION_KEY;

  beforeAll(async () => {
    source = await createDatabase('backup_src');
    await query(
      source,
      `
      create table orders (id bigserial primary key, customer text not null, amount numeric(12, 2), note text, at timestamptz default now());
      insert into orders (customer, amount, note) select 'customer-' || (i % 977), (i * 7 % 100000) / 100.0, md5(i::text) || repeat(chr(65 + i % 26), i % 50) from generate_series(1, 20000) i;
      create table events (kind text, payload jsonb);
      insert into events select 'k' || (i % 5), jsonb_build_object('i', i, 'x', md5(i::text)) from generate_series(1, 3000) i;
      create schema audit;
      create table audit.log (id int primary key, who text);
      insert into audit.log select i, 'user' || i from generate_series(1, 500) i;`,
    );
  });
  beforeEach(() => {
    dir = tempDir('backups-');
    config = parseConfig({ databases: [{ name: 'shop', url: source }], backups: { path: dir } });
    delete process.env.OPSCRON_ENCRYPTION_KEY;
  });
  afterAll(() => {
    if (savedKey === undefined) delete process.env.OPSCRON_ENCRYPTION_KEY;
    else process.env.OPSCRON_ENCRYPTION_KEY = savedKey;
  });

  const backup = async () => {
    const notes: string[] = [];
    const outcome = await dbBackup.run(
      jobContext(config, (_f, note) => notes.push(note ?? '')),
      dbBackupParams.parse({ database: 'shop' }),
    );
    return {
      outcome,
      notes,
      key: outcome.artifacts![0]!.key,
      manifest: JSON.parse(readFileSync(join(dir, `${outcome.artifacts![0]!.key}.json`), 'utf8')),
    };
  };
  const verify = (params: Record<string, unknown> = {}) =>
    backupVerify.run(jobContext(config), backupVerifyParams.parse({ database: 'shop', ...params }));

  it('backs up with a manifest of the snapshot, and restores to identical data through the CLI', async () => {
    const { outcome, notes, key, manifest } = await backup();
    expect(outcome.status).toBe('ok');
    expect(key).toMatch(/^shop\/\d{4}\/\d{2}\/\d{2}\/shop-\d{8}T\d{6}Z\.dump\.gz$/);
    expect(manifest).toMatchObject({
      database: 'shop',
      encrypted: false,
      format: 'pg_dump custom',
      compression: { kind: 'gzip', level: 3 },
      serverVersion: expect.stringMatching(/^15\./),
    });
    expect(manifest.tables).toEqual([
      { table: 'audit.log', rows: 500, sample: expect.stringMatching(/^[0-9a-f]{32}$/) },
      { table: 'public.events', rows: 3000, sample: null },
      { table: 'public.orders', rows: 20000, sample: expect.stringMatching(/^[0-9a-f]{32}$/) },
    ]);
    expect(manifest.bytes).toBe(readFileSync(join(dir, key)).length);
    expect(manifest.bytes).toBeLessThan(manifest.dumpBytes); // compressed
    expect(notes[0]).toBe('counting rows');
    expect(notes.at(-1)).toBe(`stored ${key}`);

    const target = await createDatabase('backup_dst');
    const cwd = tempDir('restore-cli-');
    const file = writeConfig(cwd, { backups: { path: dir } });
    const refused = await runOpscron(['restore', key, '--to', target, '--config', file], { cwd });
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /restore is destructive: it writes shop of .* into 127\.0\.0\.1:\d+\/\w+\. Add --confirm to do it\./,
    );
    // A path outside the backups directory is refused by name; the dump's own path, as `ls` shows it, is the backup.
    const elsewhere = await runOpscron(['restore', '/etc/passwd', '--to', target, '--config', file], { cwd });
    expect(elsewhere).toMatchObject({ code: 3 });
    expect(elsewhere.stderr).toContain(`"/etc/passwd" is not under the backups directory ${dir}`);
    const restored = await runOpscron(
      ['restore', join(dir, key), '--to', target, '--confirm', '--reason', 'drill', '--config', file],
      { cwd },
    );
    expect(restored.stderr).toMatch(/checking the checksum/);
    expect(restored).toMatchObject({ code: 0 });
    expect(restored.stdout).toMatch(/restored shop\/.* \(3 tables, 23500 rows at backup time\)/);
    for (const [table, order] of [
      ['orders', 't.id'],
      ['events', 't.payload::text'],
      ['audit.log', 't.id'],
    ] as const) {
      expect(await fingerprint(target, table, order)).toEqual(await fingerprint(source, table, order));
    }
    const audit = await runOpscron(['audit', '--json', '--config', file], { cwd });
    expect(JSON.parse(audit.stdout)).toEqual([
      expect.objectContaining({
        action: 'restore',
        source: 'cli',
        reason: 'drill',
        params: expect.objectContaining({ backup: key, clean: false }),
      }),
    ]);
  });

  it('backup-verify restores into a scratch database, compares, and drops it', async () => {
    await backup();
    const outcome = await verify();
    expect(outcome.status).toBe('ok');
    expect(outcome.summary).toMatch(/restores: 3 tables and 23500 rows as recorded/);
    expect(await query(source, `select datname from pg_database where datname like 'opscron_verify_%'`)).toEqual([]);
  });

  it('a corrupted dump fails verification with the checksums it compared', async () => {
    const { key } = await backup();
    const path = join(dir, key);
    const bytes = readFileSync(path);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(path, bytes);
    const outcome = await verify();
    expect(outcome.status).toBe('critical');
    expect(outcome.findings[0]).toMatchObject({
      check: 'backup.checksum',
      message: expect.stringMatching(/is corrupted: its SHA-256 is [0-9a-f]{64}, the manifest recorded [0-9a-f]{64}/),
      remedy: expect.any(String),
    });
  });

  it('encrypts with OPSCRON_ENCRYPTION_KEY; the wrong key, or a changed byte, fails to decrypt with a clear error', async () => {
    process.env.OPSCRON_ENCRYPTION_KEY = 'correct horse battery staple 42';
    const { key, manifest } = await backup();
    expect(key).toMatch(/\.dump\.gz\.enc$/);
    expect(manifest.encrypted).toBe(true);
    const file = readFileSync(join(dir, key));
    expect(file.subarray(0, 8).toString()).toBe('OPSCENC2');
    expect(file.includes(Buffer.from('customer-1'))).toBe(false);
    expect((await verify()).status).toBe('ok');

    process.env.OPSCRON_ENCRYPTION_KEY = 'not the key';
    const wrong = await verify();
    expect(wrong).toMatchObject({
      status: 'critical',
      findings: [
        expect.objectContaining({
          check: 'backup.decrypt',
          message: expect.stringMatching(
            /wrong OPSCRON_ENCRYPTION_KEY, or its header was changed \(authentication failed\)/,
          ),
        }),
      ],
    });
    expect(JSON.stringify(wrong)).not.toContain('not the key');

    delete process.env.OPSCRON_ENCRYPTION_KEY;
    expect((await verify()).findings[0]!.message).toMatch(/is encrypted: set OPSCRON_ENCRYPTION_KEY/);

    // A changed byte with a matching checksum (someone rewrote the manifest too) still fails: each segment's tag checks.
    process.env.OPSCRON_ENCRYPTION_KEY = 'correct horse battery staple 42';
    file[file.length - 100] = file[file.length - 100]! ^ 0x01;
    writeFileSync(join(dir, key), file);
    const manifestPath = join(dir, `${key}.json`);
    writeFileSync(
      manifestPath,
      JSON.stringify({ ...manifest, sha256: createHash('sha256').update(file).digest('hex') }),
    );
    expect((await verify()).findings[0]).toMatchObject({
      check: 'backup.decrypt',
      message: expect.stringMatching(
        /segment \d+ does not authenticate as the last segment .*\(authentication failed\)/,
      ),
    });
  });

  it('an old single-stream encrypted backup (OPSCENC1) still verifies and restores', async () => {
    const { key: plainKey, manifest } = await backup();
    const passphrase = 'the key of a backup made by opscron 0.1';
    const key = `${plainKey}.enc`;
    await pipeline(
      createReadStream(join(dir, plainKey)),
      legacyEncryptor(passphrase),
      createWriteStream(join(dir, key)),
    );
    const file = readFileSync(join(dir, key));
    expect(file.subarray(0, 8).toString()).toBe('OPSCENC1');
    rmSync(join(dir, plainKey));
    rmSync(join(dir, `${plainKey}.json`));
    const sha256 = createHash('sha256').update(file).digest('hex');
    writeFileSync(
      join(dir, `${key}.json`),
      JSON.stringify({ ...manifest, key, encrypted: true, bytes: file.length, sha256 }),
    );
    process.env.OPSCRON_ENCRYPTION_KEY = passphrase;
    expect(await verify()).toMatchObject({ status: 'ok' });

    const target = await createDatabase('backup_v1');
    const storage = new FileStorage(dir);
    await restoreBackup({ storage, manifest: await readManifest(storage, key), passphrase, url: target, clean: false });
    expect(await fingerprint(target, 'orders', 't.id')).toEqual(await fingerprint(source, 'orders', 't.id'));

    process.env.OPSCRON_ENCRYPTION_KEY = 'not the key';
    expect((await verify()).findings[0]!.message).toMatch(/wrong OPSCRON_ENCRYPTION_KEY, or the file was changed/);
  });

  it('a file changed between the check and the restore: pg_restore is stopped before it commits anything', async () => {
    const passphrase = 'correct horse battery staple 42';
    process.env.OPSCRON_ENCRYPTION_KEY = passphrase;
    const { key } = await backup();
    const path = join(dir, key);
    const changed = join(dir, 'changed.enc');
    const bytes = readFileSync(path);
    bytes[bytes.length - 40] = bytes[bytes.length - 40]! ^ 0x5a; // in the last segment: pg_restore has had the rest
    writeFileSync(changed, bytes);
    // The check's two reads (checksum, authentication) get the good file; the restore's own
    // read gets the changed one, as if it changed in between.
    class ChangingStorage extends FileStorage {
      reads = 0;
      override async read(k: string): Promise<Readable> {
        return ++this.reads <= 2 ? super.read(k) : createReadStream(changed);
      }
    }
    const storage = new ChangingStorage(dir);
    const manifest = await readManifest(storage, key);
    storage.reads = 0;
    const target = await createDatabase('backup_cut');
    await expect(restoreBackup({ storage, manifest, passphrase, url: target, clean: false })).rejects.toThrow(
      /segment \d+ does not authenticate as the last segment .*authentication failed/,
    );
    expect(storage.reads).toBe(3);
    expect(await query(target, `select to_regclass('public.orders') as t`)).toEqual([{ t: null }]);
  });

  it('verify without any backup is critical and says what to run', async () => {
    expect(await verify()).toMatchObject({
      status: 'critical',
      findings: [{ check: 'backup.missing', remedy: 'Run db-backup for shop (and schedule it).' }],
    });
  });
});

describe('backup retention (grandfather-father-son)', () => {
  it('keeps the newest of each of the last days, weeks and months', () => {
    const days = Array.from({ length: 120 }, (_, i) => ({
      key: `b${i}`,
      at: new Date(Date.UTC(2026, 10, 26, 2) - i * 86_400_000),
    }));
    const twiceToday = [{ key: 'today-early', at: new Date(Date.UTC(2026, 10, 26, 1)) }, ...days];
    const { keep, remove } = retain(twiceToday, { daily: 7, weekly: 4, monthly: 6 });
    const kept = keep.map((b) => b.at.toISOString().slice(0, 10));
    expect(kept.slice(0, 7)).toEqual([
      '2026-11-26',
      '2026-11-25',
      '2026-11-24',
      '2026-11-23',
      '2026-11-22',
      '2026-11-21',
      '2026-11-20',
    ]);
    expect(keep.map((b) => b.key)).not.toContain('today-early'); // the newer one of the same day wins
    expect(kept).toEqual(
      expect.arrayContaining(['2026-11-15', '2026-11-08', '2026-10-31', '2026-09-30', '2026-08-31']),
    );
    expect(keep.length + remove.length).toBe(121);
    expect(keep.length).toBeLessThanOrEqual(7 + 4 + 6);
  });
});
