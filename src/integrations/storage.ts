/**
 * File storage for what opscron produces (report PDFs, later backups): keys are relative
 * paths under one root. Writes go to a temporary file that is renamed into place, so a
 * reader never sees half a file and a crash leaves no partial object under its key.
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

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

export class FileStorage {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
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
    if (!KEY.test(key) || key.split('/').some((part) => part === '..' || part === '.')) {
      throw new OpscronError(
        'OPSCRON_BAD_STORAGE_KEY',
        `storage key "${key}" — allowed: path segments of letters, digits, . _ - separated by /`,
      );
    }
    const path = join(this.root, ...key.split('/'));
    if (!path.startsWith(this.root + sep))
      throw new OpscronError('OPSCRON_BAD_STORAGE_KEY', `storage key "${key}" is outside ${this.root}`);
    return path;
  }

  /** Streams `data` to `key`, hashing as it goes; the object appears whole or not at all. */
  async put(key: string, data: Buffer | Readable, signal?: AbortSignal): Promise<Stored> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${randomBytes(6).toString('hex')}.partial`;
    const hash = createHash('sha256');
    let bytes = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(
        Buffer.isBuffer(data) ? Readable.from([data]) : data,
        measure,
        createWriteStream(temp, { flags: 'wx' }),
        { signal },
      );
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { key, bytes, sha256: hash.digest('hex') };
  }

  read(key: string): Readable {
    return createReadStream(this.pathOf(key));
  }

  /** A whole (small) object: manifests, PDFs to attach. */
  async readBuffer(key: string): Promise<Buffer> {
    return Buffer.concat(await this.read(key).toArray());
  }

  /** A stored JSON document, or null if there is none (or it does not parse). */
  async readJson<T>(key: string): Promise<T | null> {
    try {
      return JSON.parse((await this.readBuffer(key)).toString('utf8')) as T;
    } catch {
      return null;
    }
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(key))).size;
    } catch {
      return null;
    }
  }

  /** Every key under a prefix (a directory), sorted; partial writes are not objects. */
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
}
