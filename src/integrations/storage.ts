/**
 * Where opscron keeps what it produces (report PDFs, database and config backups): a
 * `Storage` of objects under keys (relative, `/`-separated paths). Two kinds: files under a
 * directory (FileStorage, the embedded default) and an S3-compatible bucket (S3Storage,
 * s3-storage.ts), chosen by `storage.kind` (storage-open.ts). Either way a write appears
 * whole or not at all, and what is written is hashed on its way.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OpscronError } from '../errors.js';

export interface Stored {
  key: string;
  bytes: number;
  sha256: string;
}

/** What jobs, reports and restores need of a place to keep objects. */
export interface Storage {
  /** Where it is, for messages: a directory, or s3://bucket/prefix. */
  readonly location: string;
  /** The key an operator's argument names: a key as it is, or a path/URL under this storage. */
  keyOf(keyOrPath: string): string;
  /** Streams `data` to `key`, hashing as it goes; the object appears whole or not at all. */
  put(key: string, data: Buffer | Readable, signal?: AbortSignal): Promise<Stored>;
  /** The object's bytes as a stream; rejects (OPSCRON_NOT_FOUND) if there is none. */
  read(key: string): Promise<Readable>;
  /** A whole (small) object: manifests, PDFs to attach. */
  readBuffer(key: string): Promise<Buffer>;
  /** A stored JSON document, or null if there is none (or it does not parse). */
  readJson<T>(key: string): Promise<T | null>;
  /** The object's size in bytes, or null if there is none. */
  size(key: string): Promise<number | null>;
  /** Every key under a prefix (a directory: `shop` lists `shop/...`), sorted; partial writes are not objects. */
  list(prefix: string): Promise<string[]>;
  /** Deletes one object (nothing if it is not there). */
  remove(key: string): Promise<void>;
  /** Deletes every object under a prefix (a directory); returns how many. */
  removeUnder(prefix: string): Promise<number>;
}

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/** Whether `key` is path segments of letters, digits, . _ - separated by / (none of them . or ..). */
export const isKey = (key: string): boolean =>
  KEY.test(key) && !key.split('/').some((part) => part === '..' || part === '.');

/** Throws unless `key` is a key (isKey). */
export function checkKey(key: string): string {
  if (!isKey(key))
    throw new OpscronError(
      'OPSCRON_BAD_STORAGE_KEY',
      `storage key "${key.slice(0, 200)}" — allowed: path segments of letters, digits, . _ - separated by /`,
    );
  return key;
}

/** A pass-through that counts and hashes what goes through it. */
export function hashingTap(): Transform & { result(): { bytes: number; sha256: string } } {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return Object.assign(tap, { result: () => ({ bytes, sha256: hash.digest('hex') }) });
}

/** A stored JSON document parsed, or null if it does not parse. */
export function parseJson<T>(bytes: Buffer): T | null {
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch {
    return null;
  }
}

const notFound = (key: string, where: string) => new OpscronError('OPSCRON_NOT_FOUND', `no object ${key} in ${where}`);

/**
 * Files under one root directory. Writes go to a temporary file that is renamed into place,
 * so a reader never sees half a file and a crash leaves no partial object under its key.
 */
export class FileStorage implements Storage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  get location(): string {
    return this.root;
  }

  /**
   * The key `keyOrPath` names: a key as it is; a file path (absolute, or relative to the
   * working directory, as `ls` shows it) under the root, as its key. A path elsewhere is refused.
   */
  keyOf(keyOrPath: string): string {
    const path = resolve(keyOrPath);
    if (path.startsWith(this.root + sep))
      return path
        .slice(this.root.length + 1)
        .split(sep)
        .join('/');
    if (isAbsolute(keyOrPath) || keyOrPath.startsWith('./') || keyOrPath.startsWith('../'))
      throw new OpscronError(
        'OPSCRON_BAD_STORAGE_KEY',
        `"${keyOrPath}" is not under the backups directory ${this.root}`,
      );
    return keyOrPath;
  }

  /** The file a key names; keys that could climb out of the root are refused. */
  pathOf(key: string): string {
    const path = join(this.root, ...checkKey(key).split('/'));
    if (!path.startsWith(this.root + sep))
      throw new OpscronError('OPSCRON_BAD_STORAGE_KEY', `storage key "${key}" is outside ${this.root}`);
    return path;
  }

  async put(key: string, data: Buffer | Readable, signal?: AbortSignal): Promise<Stored> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}.partial`;
    const tap = hashingTap();
    try {
      await pipeline(
        Buffer.isBuffer(data) ? Readable.from([data]) : data,
        tap,
        createWriteStream(temp, { flags: 'wx' }),
        {
          signal,
        },
      );
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { key, ...tap.result() };
  }

  async read(key: string): Promise<Readable> {
    const path = this.pathOf(key);
    if (!(await stat(path).catch(() => null))?.isFile()) throw notFound(key, this.root);
    // Reads of 1 MiB: whole encrypted segments per chunk, few copies of the one that straddles two.
    return createReadStream(path, { highWaterMark: 2 ** 20 });
  }

  async readBuffer(key: string): Promise<Buffer> {
    return Buffer.concat(await (await this.read(key)).toArray());
  }

  async readJson<T>(key: string): Promise<T | null> {
    return parseJson<T>(await this.readBuffer(key).catch(() => Buffer.alloc(0)));
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(key))).size;
    } catch {
      return null;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const root = prefix ? this.pathOf(prefix) : this.root;
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    return entries
      .filter((e) => e.isFile() && !e.name.endsWith('.partial'))
      .map((e) =>
        join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)
          .slice(this.root.length + 1)
          .split(sep)
          .join('/'),
      )
      .sort();
  }

  /** Deletes the object and any directories it leaves empty. */
  async remove(key: string): Promise<void> {
    const path = this.pathOf(key);
    await rm(path, { force: true });
    for (let dir = dirname(path); dir.startsWith(this.root + sep); dir = dirname(dir)) {
      if ((await readdir(dir).catch(() => ['?'])).length) break;
      await rmdir(dir).catch(() => {});
    }
  }

  async removeUnder(prefix: string): Promise<number> {
    const keys = await this.list(checkKey(prefix));
    for (const key of keys) await this.remove(key);
    return keys.length;
  }
}
