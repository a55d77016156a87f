/** What `opscron backups` finds in backups.path, and how it says it, from manifests written as the jobs write them. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { storedBackups } from '../../src/backup/catalogue.js';
import type { BackupListing } from '../../src/backups.js';
import { ageText, backupsView, bytesText } from '../../src/cli/views.js';
import { FileStorage } from '../../src/integrations/storage.js';
import { tempDir } from '../support/cli.js';

function put(root: string, key: string, value: unknown): void {
  mkdirSync(dirname(join(root, key)), { recursive: true });
  writeFileSync(join(root, key), typeof value === 'string' ? value : JSON.stringify(value));
}

function dump(root: string, database: string, at: string, encrypted: boolean, bytes: number): string {
  const stamp = at.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const key = `${database}/${at.slice(0, 4)}/${at.slice(5, 7)}/${at.slice(8, 10)}/${database}-${stamp}.dump.gz${encrypted ? '.enc' : ''}`;
  put(root, key, 'x'.repeat(bytes));
  put(root, `${key}.json`, { version: 1, database, key, createdAt: at, bytes, encrypted, tables: [] });
  return key;
}

describe('the backups catalogue', () => {
  it('lists database and config backups newest first, with size and what is encrypted', async () => {
    const root = tempDir('catalogue-');
    const older = dump(root, 'shop', '2026-11-30T02:00:00.000Z', false, 2048);
    const newer = dump(root, 'shop', '2026-12-01T02:00:00.000Z', true, 3 * 2 ** 20);
    const other = dump(root, 'billing', '2026-11-29T02:00:00.000Z', true, 100);
    const prefix = 'config/prod/2026/11/30/20261130T030000Z';
    put(root, `${prefix}/manifest.json`, {
      version: 1,
      kind: 'config',
      namespace: 'prod',
      createdAt: '2026-11-30T03:00:00.000Z',
      prefix,
      files: [
        {
          key: `${prefix}/configmaps.yaml`,
          kind: 'ConfigMap',
          encrypted: false,
          objects: ['a'],
          bytes: 300,
          sha256: '',
        },
        { key: `${prefix}/secrets.yaml.enc`, kind: 'Secret', encrypted: true, objects: ['b'], bytes: 200, sha256: '' },
      ],
    });
    // Not backups opscron can restore: a manifest that does not parse, a dump without one, a partial write.
    put(root, 'shop/2026/11/28/shop-20261128T020000Z.dump.gz.json', '{not json');
    put(root, 'shop/2026/11/27/shop-20261127T020000Z.dump.gz', 'orphan');
    put(root, 'shop/2026/11/26/shop-20261126T020000Z.dump.gz.json.abc.partial', '{}');

    const storage = new FileStorage(root);
    const all = await storedBackups(storage);
    expect(all.map((b) => [b.key, b.kind, b.source, b.bytes, b.encryption])).toEqual([
      [newer, 'database', 'shop', 3 * 2 ** 20, 'all'],
      [prefix, 'config', 'config/prod', 500, 'secrets'],
      [older, 'database', 'shop', 2048, 'none'],
      [other, 'database', 'billing', 100, 'all'],
    ]);
    expect((await storedBackups(storage, 'shop')).map((b) => b.key)).toEqual([newer, older]);
    expect((await storedBackups(storage, 'config')).map((b) => b.key)).toEqual([prefix]);
    expect((await storedBackups(storage, 'config/prod')).map((b) => b.key)).toEqual([prefix]);
    expect(await storedBackups(storage, 'nothing-here')).toEqual([]);
    await expect(storedBackups(storage, '../etc')).rejects.toThrow(
      'database "../etc" — must be a database name, config, or config/<namespace>',
    );
  });

  it('prints each with its age, size, encryption, verification and the path restore takes', () => {
    const root = join(process.cwd(), 'var', 'backups');
    const now = Date.parse('2026-12-01T05:00:00Z');
    const backups: BackupListing[] = [
      {
        key: 'shop/2026/12/01/shop-20261201T020000Z.dump.gz.enc',
        kind: 'database',
        source: 'shop',
        createdAt: new Date('2026-12-01T02:00:00Z'),
        bytes: 3 * 2 ** 20,
        encryption: 'all',
        verification: { runId: 'v1', jobId: 'verify', status: 'ok', at: new Date('2026-12-01T03:00:00Z'), summary: '' },
      },
      {
        key: 'config/prod/2026/11/30/20261130T030000Z',
        kind: 'config',
        source: 'config/prod',
        createdAt: new Date('2026-11-30T03:00:00Z'),
        bytes: 500,
        encryption: 'secrets',
        verification: null,
      },
      {
        key: 'shop/2026/11/20/shop-20261120T020000Z.dump.gz',
        kind: 'database',
        source: 'shop',
        createdAt: new Date('2026-11-20T02:00:00Z'),
        bytes: 2048,
        encryption: 'none',
        verification: null,
      },
    ];
    expect(backupsView(backups, root, false, now).split('\n')).toEqual([
      'CREATED               AGE  OF           SIZE     ENCRYPTED  VERIFIED                 PATH',
      '2026-12-01T02:00:00Z  3h   shop         3.0 MiB  yes        ok 2026-12-01T03:00:00Z  var/backups/shop/2026/12/01/shop-20261201T020000Z.dump.gz.enc',
      '2026-11-30T03:00:00Z  1d   config/prod  500 B    secrets    -                        var/backups/config/prod/2026/11/30/20261130T030000Z',
      '2026-11-20T02:00:00Z  11d  shop         2.0 KiB  no         never                    var/backups/shop/2026/11/20/shop-20261120T020000Z.dump.gz',
    ]);
    expect(JSON.parse(backupsView(backups, '/elsewhere', true, now))[1]).toMatchObject({
      path: '/elsewhere/config/prod/2026/11/30/20261130T030000Z',
      encryption: 'secrets',
    });
  });

  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [5 * 2 ** 30, '5.0 GiB'],
  ])('bytesText(%d) is %s', (n, text) => expect(bytesText(n)).toBe(text));

  it.each([
    [59_000, '59s'],
    [61_000, '1m'],
    [3 * 3_600_000 + 5, '3h'],
    [49 * 3_600_000, '2d'],
    [-5_000, '0s'],
  ])('ageText of %d ms ago is %s', (ms, text) =>
    expect(ageText(new Date(1_000_000_000 - ms), 1_000_000_000)).toBe(text),
  );
});
