/**
 * The S3 storage itself, against a real S3-protocol server (s3rver, test/support/s3.mjs): a
 * write interrupted midway — its source fails, or its signal aborts — leaves no object and
 * no multipart upload behind (ListMultipartUploads, and s3rver's own directory); reports are
 * stored in the bucket, served by GET /api/reports/:id/pdf from it, attached to mail from it
 * and deleted from it by retention; a bad storage section is refused by `opscron validate`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { simpleParser } from 'mailparser';
import { startOpscron, type Opscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { openStorage } from '../../src/integrations/storage-open.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { runOpscron, tempDir, writeConfig } from '../support/cli.js';
import { startS3, type S3Server } from '../support/s3.mjs';
import { createDatabase } from '../support/services.mjs';
import { eventually } from '../support/target.js';

const MIB = 2 ** 20;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('S3 storage', () => {
  let s3: S3Server;
  let client: S3Client;
  const saved = { ...process.env };
  const storage = (prefix: string) =>
    openStorage(
      parseConfig({
        storage: {
          kind: 's3',
          bucket: s3.bucket,
          prefix,
          endpoint: s3.endpoint,
          forcePathStyle: true,
          partSizeMiB: 5,
          queueSize: 2,
        },
      }),
      'backups',
    );
  const objects = async (prefix: string) =>
    ((await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }))).Contents ?? []).map(
      (o) => o.Key!,
    );
  const uploads = async (prefix: string) =>
    (await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: prefix }))).Uploads ?? [];

  /**
   * Random bytes, 1 MiB a read, for ever; once `after` MiB are out and s3rver holds a part
   * of the upload, `then()` is called (the failure under test) — so the upload is really under way.
   */
  const endless = (after: number, then: (stream: Readable) => void) => {
    let sent = 0;
    let fired = false;
    return new Readable({
      read() {
        if (sent < after * MIB) {
          sent += MIB;
          this.push(randomBytes(MIB));
          return;
        }
        if (fired) return;
        fired = true;
        void eventually(async () => s3.pendingUploads().some((u) => u.parts > 0), 'a part in s3rver', 20_000).then(() =>
          then(this),
        );
      },
    });
  };

  beforeAll(async () => {
    s3 = await startS3('opscron-storage');
    Object.assign(process.env, s3.env);
    client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
  });
  afterAll(async () => {
    client.destroy();
    await s3.stop();
    process.env = saved;
  });

  it('a source that fails midway leaves no object, and its multipart upload is aborted', async () => {
    const put = storage('cut/').put(
      'shop/2026/12/01/shop.dump.gz',
      endless(12, (s) => s.destroy(new Error('pg_dump failed (exit 1): connection lost'))),
    );
    await expect(put).rejects.toThrow('pg_dump failed (exit 1): connection lost');
    expect(await objects('cut/')).toEqual([]);
    expect(await uploads('cut/')).toEqual([]);
    expect(s3.pendingUploads()).toEqual([]);
    expect(await storage('cut/').size('shop/2026/12/01/shop.dump.gz')).toBeNull();
  });

  it('an aborted write (timeout, cancel) leaves no object, and its multipart upload is aborted', async () => {
    const controller = new AbortController();
    const reason = new Error('run exceeded its timeout of 1000 ms');
    const put = storage('abort/').put(
      'shop/x.dump.gz',
      endless(6, () => controller.abort(reason)),
      controller.signal,
    );
    await expect(put).rejects.toBe(reason);
    expect(await objects('abort/')).toEqual([]);
    expect(await uploads('abort/')).toEqual([]);
    expect(s3.pendingUploads()).toEqual([]);
  });

  it('a whole write of several parts reads back byte for byte, with its size and checksum', async () => {
    const data = randomBytes(11 * MIB + 123);
    const s = storage('whole/');
    const stored = await s.put('a/b.bin', Readable.from([data.subarray(0, 6 * MIB), data.subarray(6 * MIB)]));
    expect(stored).toEqual({ key: 'a/b.bin', bytes: data.length, sha256: sha256(data) });
    expect(await s.size('a/b.bin')).toBe(data.length);
    expect(sha256(await s.readBuffer('a/b.bin'))).toBe(sha256(data));
    expect(await s.list('a')).toEqual(['a/b.bin']);
    expect(await s.list('')).toEqual(['a/b.bin']);
    await expect(s.put('../escape', Buffer.from('x'))).rejects.toMatchObject({ code: 'OPSCRON_BAD_STORAGE_KEY' });
    await expect(s.read('a/missing.bin')).rejects.toMatchObject({ code: 'OPSCRON_NOT_FOUND' });
    expect(await s.removeUnder('a')).toBe(1);
    expect(await objects('whole/')).toEqual([]);
  });

  describe('reports in the bucket', () => {
    let app: Opscron | null = null;
    afterEach(async () => {
      await app?.stop();
      app = null;
    });

    it('are stored there, served by the PDF endpoint, attached to mail and deleted by retention', async () => {
      const outbox = tempDir('s3-outbox-');
      const cfg = parseConfig({
        store: { databaseUrl: await createDatabase('s3_reports') },
        storage: { kind: 's3', bucket: s3.bucket, prefix: 'ops/', endpoint: s3.endpoint, forcePathStyle: true },
        reports: {
          path: join(tempDir('s3-unused-'), 'reports'),
          maxAdhoc: 2,
          recipients: { health: ['ops@example.com'] },
        },
        email: { outbox },
        http: {
          port: 0,
          host: '127.0.0.1',
          tokens: [{ name: 'ops', token: 'trigger-token-0123456789', scope: 'trigger' }],
        },
      });
      app = await startOpscron({ config: cfg, logger: silentLogger, metrics: new Metrics() });
      const headers = { authorization: 'Bearer trigger-token-0123456789', 'content-type': 'application/json' };
      const build = async (email: boolean) => {
        const res = await fetch(`${app!.address}/api/reports`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ kind: 'health', email }),
        });
        expect(res.status).toBe(201);
        return (await res.json()) as { id: string; sha256: string; pdf: string };
      };
      const first = await build(true);
      expect(await objects('ops/reports/health/')).toEqual([expect.stringMatching(new RegExp(`/${first.id}\\.pdf$`))]);

      const pdf = await fetch(`${app.address}${first.pdf}`, { headers });
      expect(pdf.status).toBe(200);
      expect(pdf.headers.get('content-type')).toBe('application/pdf');
      const bytes = Buffer.from(await pdf.arrayBuffer());
      expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
      expect(sha256(bytes)).toBe(first.sha256);

      const eml = await eventually(async () => readdirSync(outbox).find((f) => f.endsWith('.eml')), 'the mail');
      const mail = await simpleParser(readFileSync(join(outbox, eml)));
      expect(sha256(mail.attachments[0]!.content)).toBe(first.sha256);

      const second = await build(false);
      await build(false);
      // maxAdhoc 2 (reports built by hand): the first report's PDF is gone from the bucket with its index row.
      const left = await objects('ops/reports/health/');
      expect(left).toHaveLength(2);
      expect(left.some((k) => k.includes(first.id))).toBe(false);
      expect((await fetch(`${app.address}${first.pdf}`, { headers })).status).toBe(404);

      // Indexed, but removed from the bucket behind opscron's back: 410, naming where it looked.
      const key = left.find((k) => k.includes(second.id))!;
      await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
      const gone = await fetch(`${app.address}${second.pdf}`, { headers });
      expect(gone.status).toBe(410);
      expect(((await gone.json()) as { message: string }).message).toContain(`s3://${s3.bucket}/ops/reports/`);
    });
  });

  it('`opscron validate` refuses a bad storage section, naming the field, the value and what is allowed', async () => {
    const cwd = tempDir('s3-validate-');
    const file = writeConfig(cwd, {
      storage: {
        kind: 's3',
        bucket: 'My_Bucket',
        prefix: '/abs',
        serverSideEncryption: 'aws:kms2',
        secretAccessKey: 'config-file-secret-0123456789',
      },
    });
    const result = await runOpscron(['validate', '--config', file], { cwd });
    expect(result.code).not.toBe(0);
    const out = `${result.stdout}${result.stderr}`;
    expect(out).toContain(
      'storage.secretAccessKey: (hidden) — credentials are never read from the config file: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
    expect(out).toContain('storage.bucket: "My_Bucket" — must be an S3 bucket name: 3-63 characters');
    expect(out).toContain('storage.prefix: "/abs" — must be empty or path segments');
    expect(out).toContain('storage.serverSideEncryption: "aws:kms2" — allowed: AES256, aws:kms');
    expect(out).not.toContain('config-file-secret-0123456789');
  });
});
