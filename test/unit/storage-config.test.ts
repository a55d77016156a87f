/** The storage section: what is refused (each naming the field, the value and what is allowed) and what an S3 section opens. */
import { parseConfig } from '../../src/configure.js';
import { openStorage } from '../../src/integrations/storage-open.js';
import { FileStorage } from '../../src/integrations/storage.js';

const problems = (storage: unknown): string => {
  try {
    parseConfig({ storage });
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('storage config', () => {
  it('refuses an s3 section without a bucket, KMS key without aws:kms, too small parts, bucket fields on filesystem', () => {
    expect(problems({ kind: 's3' })).toContain('storage.bucket: nothing — required with kind: s3');
    expect(
      problems({ kind: 's3', bucket: 'ops-backups', serverSideEncryption: 'AES256', kmsKeyId: 'alias/x' }),
    ).toContain('storage.kmsKeyId: "alias/x" — only with serverSideEncryption: aws:kms (it is AES256)');
    expect(problems({ kind: 's3', bucket: 'ops-backups', partSizeMiB: 4 })).toMatch(
      /storage\.partSizeMiB: 4 — Too small: expected number to be >=5/,
    );
    expect(problems({ kind: 'filesystem', bucket: 'ops-backups' })).toContain(
      'storage.bucket: "ops-backups" — only with kind: s3 (kind is filesystem)',
    );
    expect(problems({ kind: 'gcs' })).toContain('storage.kind: "gcs" — allowed: filesystem, s3');
    expect(problems({ kind: 's3', bucket: 'ab' })).toContain('storage.bucket: "ab" — must be an S3 bucket name');
    const refused = problems({ kind: 's3', bucket: 'ops-backups', accessKeyId: 'AKIAEXAMPLE0123456789' });
    expect(refused).toContain('storage.accessKeyId: (hidden) — credentials are never read from the config file');
    expect(refused).not.toContain('AKIAEXAMPLE0123456789');
  });

  it('opens files by default, and the bucket under <prefix><area>/ with kind: s3', () => {
    expect(openStorage(parseConfig({ reports: { path: '/srv/reports' } }), 'reports')).toBeInstanceOf(FileStorage);
    const config = parseConfig({
      storage: { kind: 's3', bucket: 'ops-backups', prefix: 'prod/eu/', region: 'eu-west-1' },
    });
    expect(openStorage(config, 'backups').location).toBe('s3://ops-backups/prod/eu/backups/');
    expect(openStorage(config, 'reports').location).toBe('s3://ops-backups/prod/eu/reports/');
    expect(openStorage(config, 'backups').keyOf('s3://ops-backups/prod/eu/backups/shop/a.dump.gz')).toBe(
      'shop/a.dump.gz',
    );
    expect(() => openStorage(config, 'backups').keyOf('s3://elsewhere/shop/a.dump.gz')).toThrow(
      '"s3://elsewhere/shop/a.dump.gz" is not under s3://ops-backups/prod/eu/backups/',
    );
  });
});
