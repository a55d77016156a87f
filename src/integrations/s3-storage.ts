/**
 * Objects in an S3-compatible bucket, under a prefix. Writes are multipart uploads
 * (@aws-sdk/lib-storage) fed from the stream as it comes: no temporary file, and memory
 * bounded by partSize × (queueSize + 1) whatever the object's size. A write that fails or
 * is aborted midway never completes its upload, and the upload is aborted (its parts
 * deleted) before put() settles, so no partial object is ever visible under the key.
 * Errors name the bucket, the key and the service's answer — never a credential, which
 * this module never sees (the SDK's default provider chain reads them).
 */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { OpscronError } from '../errors.js';
import { redact } from '../observability/redact.js';
import { checkKey, hashingTap, isKey, parseJson, type Storage, type Stored } from './storage.js';

export interface S3StorageOptions {
  client: S3Client;
  bucket: string;
  /** Every key is stored under it: empty or ending in `/`. */
  prefix: string;
  serverSideEncryption?: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
  /** Bytes per part of a multipart upload (at least 5 MiB). */
  partSize: number;
  /** Parts in flight at once. */
  queueSize: number;
}

const CONTENT_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  json: 'application/json',
  yaml: 'application/yaml',
};

interface ServiceError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const isMissing = (error: unknown) =>
  (error as ServiceError).name === 'NoSuchKey' ||
  (error as ServiceError).name === 'NotFound' ||
  (error as ServiceError).$metadata?.httpStatusCode === 404;

export class S3Storage implements Storage {
  constructor(private readonly o: S3StorageOptions) {}

  get location(): string {
    return `s3://${this.o.bucket}/${this.o.prefix}`;
  }

  /** A key, or an s3://bucket/prefix/key URL of this storage, as its key. */
  keyOf(keyOrPath: string): string {
    if (keyOrPath.startsWith(this.location)) return keyOrPath.slice(this.location.length);
    if (keyOrPath.startsWith('s3://'))
      throw new OpscronError('OPSCRON_BAD_STORAGE_KEY', `"${keyOrPath}" is not under ${this.location}`);
    return keyOrPath;
  }

  private objectKey(key: string): string {
    return this.o.prefix + checkKey(key);
  }

  /** The service's refusal, said with where and what (no request ids, no credentials). */
  private failure(error: unknown, what: string, key: string): Error {
    if (error instanceof OpscronError || !(error as ServiceError).$metadata) return error as Error;
    const e = error as ServiceError;
    return new OpscronError(
      'OPSCRON_STORAGE',
      redact(
        `${what} s3://${this.o.bucket}/${key}: ${e.name ?? 'error'}${e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : ''}: ${e.message ?? ''}`.trim(),
      ),
      { cause: error },
    );
  }

  async put(key: string, data: Buffer | Readable, signal?: AbortSignal): Promise<Stored> {
    const Key = this.objectKey(key);
    signal?.throwIfAborted();
    const tap = hashingTap();
    const source = Buffer.isBuffer(data) ? Readable.from([data]) : data;
    // An error in the source, or the signal, ends the body with an error: the upload then
    // fails, aborts its multipart upload, and only then settles.
    source.once('error', (error) => tap.destroy(error));
    source.pipe(tap);
    const onAbort = () => {
      source.unpipe(tap);
      source.destroy();
      tap.destroy(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const upload = new Upload({
      client: this.o.client,
      params: {
        Bucket: this.o.bucket,
        Key,
        Body: tap,
        ContentType: CONTENT_TYPES[key.split('.').pop() ?? ''] ?? 'application/octet-stream',
        ServerSideEncryption: this.o.serverSideEncryption,
        SSEKMSKeyId: this.o.kmsKeyId,
      },
      partSize: this.o.partSize,
      queueSize: this.o.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      // The bucket refused or failed: stop the source too (pg_dump must not wait on a full pipe).
      source.unpipe(tap);
      source.destroy();
      tap.destroy();
      if (signal?.aborted) throw signal.reason;
      throw this.failure(error, 'cannot write', Key);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return { key, ...tap.result() };
  }

  async read(key: string): Promise<Readable> {
    const Key = this.objectKey(key);
    try {
      const answer = await this.o.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key }));
      return answer.Body as Readable;
    } catch (error) {
      if (isMissing(error)) throw new OpscronError('OPSCRON_NOT_FOUND', `no object ${key} in ${this.location}`);
      throw this.failure(error, 'cannot read', Key);
    }
  }

  async readBuffer(key: string): Promise<Buffer> {
    return Buffer.concat(await (await this.read(key)).toArray());
  }

  async readJson<T>(key: string): Promise<T | null> {
    try {
      return parseJson<T>(await this.readBuffer(key));
    } catch (error) {
      if ((error as OpscronError).code === 'OPSCRON_NOT_FOUND') return null;
      throw error;
    }
  }

  async size(key: string): Promise<number | null> {
    const Key = this.objectKey(key);
    try {
      const head = await this.o.client.send(new HeadObjectCommand({ Bucket: this.o.bucket, Key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isMissing(error)) return null;
      throw this.failure(error, 'cannot look up', Key);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const Prefix = prefix ? `${this.objectKey(prefix)}/` : this.o.prefix;
    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      let page;
      try {
        page = await this.o.client.send(
          new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix, ContinuationToken, MaxKeys: 1000 }),
        );
      } catch (error) {
        throw this.failure(error, 'cannot list', Prefix);
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.o.prefix.length);
        // Objects someone else put in the bucket under names opscron would refuse are not its own.
        if (key && isKey(key)) keys.push(key);
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return keys.sort();
  }

  async remove(key: string): Promise<void> {
    const Key = this.objectKey(key);
    try {
      await this.o.client.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key }));
    } catch (error) {
      if (!isMissing(error)) throw this.failure(error, 'cannot delete', Key);
    }
  }

  async removeUnder(prefix: string): Promise<number> {
    const keys = await this.list(checkKey(prefix));
    for (const key of keys) await this.remove(key);
    return keys.length;
  }
}
