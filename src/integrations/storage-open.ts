/**
 * The storage of an area (reports or backups) as the configuration says: files under
 * `reports.path`/`backups.path`, or the bucket of `storage` under `<prefix><area>/`. One S3
 * client per configuration, so its connections are reused.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { OpscronConfig } from '../config/schema.js';
import { s3Settings } from '../config/storage.js';
import { S3Storage } from './s3-storage.js';
import { FileStorage, type Storage } from './storage.js';

type StorageConfig = Pick<OpscronConfig, 'storage' | 'reports' | 'backups'>;

const clients = new WeakMap<object, S3Client>();

function clientFor(storage: OpscronConfig['storage'], env: NodeJS.ProcessEnv): S3Client {
  let client = clients.get(storage);
  if (!client) {
    const s = s3Settings(storage);
    client = new S3Client({
      region: s.region ?? (env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1'),
      endpoint: s.endpoint,
      forcePathStyle: s.forcePathStyle,
      // Checksums only where S3 requires them: many S3-compatible services refuse the
      // SDK's newer default trailers; opscron hashes every object itself (SHA-256).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    clients.set(storage, client);
  }
  return client;
}

/** Where `area`'s objects are kept. */
export function openStorage(
  config: StorageConfig,
  area: 'reports' | 'backups',
  env: NodeJS.ProcessEnv = process.env,
): Storage {
  if (config.storage.kind === 'filesystem') return new FileStorage(config[area].path);
  const s = s3Settings(config.storage);
  return new S3Storage({
    client: clientFor(config.storage, env),
    bucket: s.bucket,
    prefix: `${s.prefix}${area}/`,
    serverSideEncryption: s.serverSideEncryption,
    kmsKeyId: s.kmsKeyId,
    partSize: s.partSize,
    queueSize: s.queueSize,
  });
}
