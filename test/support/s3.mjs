/**
 * A private S3-protocol server for the tests and benchmarks: s3rver (npm), a real S3 server
 * written in Node that keeps objects in a temp directory, on a free port on loopback, with a
 * bucket made and an access key of its own (so a test can look for its secret in output).
 *
 * s3rver 3.7 implements multipart uploads (create, upload part, complete) but not two calls
 * around them: ListMultipartUploads and AbortMultipartUpload answer NotImplemented / 405.
 * The middleware below adds those two over s3rver's own store, on disk, as S3 defines them
 * (an abort deletes the upload's parts; the listing shows each upload not yet completed or
 * aborted). `pendingUploadDirs()` reads the same directory directly, so a test does not have
 * to trust the added listing alone.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account.js';
import { freePort } from './services.mjs';

const xml = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function uploadsDir(server, bucket) {
  return server.store.getResourcePath(bucket, undefined, 'uploads');
}

function pending(server, bucket) {
  const dir = uploadsDir(server, bucket);
  let ids = [];
  try {
    ids = readdirSync(dir);
  } catch {
    return [];
  }
  return ids.map((id) => ({
    id,
    key: readFileSync(join(dir, id, 'key'), 'utf8'),
    parts: readdirSync(join(dir, id)).filter((f) => /^\d+$/.test(f)).length,
  }));
}

/** ListMultipartUploads and AbortMultipartUpload, which s3rver lacks (path-style requests only). */
function multipartAdmin(server) {
  return async (ctx, next) => {
    const [, bucket, ...rest] = ctx.path.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (ctx.method === 'GET' && bucket && !key && 'uploads' in ctx.query) {
      const uploads = pending(server, bucket).filter((u) => u.key.startsWith(String(ctx.query.prefix ?? '')));
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult><Bucket>${xml(bucket)}</Bucket><IsTruncated>false</IsTruncated>${uploads
        .map((u) => `<Upload><Key>${xml(u.key)}</Key><UploadId>${xml(u.id)}</UploadId></Upload>`)
        .join('')}</ListMultipartUploadsResult>`;
      return;
    }
    if (ctx.method === 'DELETE' && bucket && key && typeof ctx.query.uploadId === 'string') {
      const upload = pending(server, bucket).find((u) => u.id === ctx.query.uploadId && u.key === key);
      if (!upload) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>`;
        return;
      }
      rmSync(join(uploadsDir(server, bucket), upload.id), { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    await next();
  };
}

let keys = 0;

/**
 * Starts s3rver with `bucket` made. Returns its endpoint, the credentials to give the SDK
 * (through the environment, as opscron takes them), and `stop()`.
 */
export async function startS3(bucket = 'opscron-test') {
  const port = await freePort();
  const directory = mkdtempSync(join(tmpdir(), 'opscron-s3-'));
  const accessKeyId = `OPSCRONTEST${++keys}${process.pid}`;
  const secretAccessKey = `s3-secret-${process.pid}-${Date.now().toString(36)}-never-printed`;
  AWSAccount.DUMMY_ACCOUNT.createKeyPair(accessKeyId, secretAccessKey);
  const server = new S3rver({
    port,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  server.middleware.unshift(multipartAdmin(server));
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    directory,
    env: { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_REGION: 'us-east-1' },
    /** Multipart uploads begun and neither completed nor aborted, read from s3rver's directory. */
    pendingUploads: () => pending(server, bucket),
    async stop() {
      await server.close();
      AWSAccount.DUMMY_ACCOUNT.revokeAccessKey(accessKeyId);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
