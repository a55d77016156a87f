/**
 * Restoring a backup, checked before a byte reaches the database: the file's SHA-256 must
 * match its manifest and, when encrypted, the whole file must authenticate with the key.
 * Only then is it decrypted, gunzipped and streamed into pg_restore. The second read is
 * authenticated too: a segmented file releases a segment only once its tag checks, and if
 * one fails (the file changed between the two reads) pg_restore is killed before it sees the
 * end of its input, so its single transaction never commits a prefix.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { OpscronError } from '../errors.js';
import type { Storage } from '../integrations/storage.js';
import { pgConnection, runTool } from '../integrations/pg-tools.js';
import type { Manifest } from './backup.js';
import { byteMeter } from './meter.js';
import { decryptedStream, verifyEncrypted } from './crypto.js';

export class BackupCheckError extends OpscronError {
  constructor(message: string) {
    super('OPSCRON_BACKUP_CHECK', message);
  }
}

export async function readManifest(storage: Storage, key: string): Promise<Manifest> {
  const manifestKey = key.endsWith('.json') ? key : `${key}.json`;
  const manifest = await storage.readJson<Manifest>(manifestKey);
  if (!manifest)
    throw new BackupCheckError(
      `no manifest ${manifestKey} in ${storage.location}: not an opscron backup, or it was removed`,
    );
  return manifest;
}

/** Throws unless the stored file is the one the manifest describes and (if encrypted) the key opens it. */
export async function checkBackup(
  storage: Storage,
  manifest: Manifest,
  passphrase: string | undefined,
  progress?: (note: string) => void,
): Promise<void> {
  progress?.('checking the checksum');
  const hash = createHash('sha256');
  try {
    await pipeline(await storage.read(manifest.key), hash);
  } catch (error) {
    throw new BackupCheckError(
      `cannot read ${manifest.key}: ${error instanceof OpscronError ? error.message : ((error as NodeJS.ErrnoException).code ?? (error as Error).message)}`,
    );
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== manifest.sha256)
    throw new BackupCheckError(
      `${manifest.key} is corrupted: its SHA-256 is ${sha256}, the manifest recorded ${manifest.sha256}`,
    );
  if (manifest.encrypted) {
    progress?.('authenticating the encrypted file');
    await verifyEncrypted(await storage.read(manifest.key), manifest.key, passphrase);
  }
}

/** The pg_dump custom-format bytes of a (checked) backup. */
export async function dumpStream(
  storage: Storage,
  manifest: Manifest,
  passphrase: string | undefined,
): Promise<Readable> {
  const stored = await storage.read(manifest.key);
  const raw = manifest.encrypted ? await decryptedStream(stored, manifest.key, passphrase) : stored;
  const gunzip = createGunzip();
  raw.on('error', (e: Error) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

export interface RestoreOptions {
  storage: Storage;
  manifest: Manifest;
  passphrase?: string;
  /** Target database URL. */
  url: string;
  /** Drop the objects the dump recreates first (a restore over an existing database). */
  clean: boolean;
  signal?: AbortSignal;
  progress?: (fraction: number, note: string) => void;
}

export async function restoreBackup(o: RestoreOptions): Promise<void> {
  await checkBackup(o.storage, o.manifest, o.passphrase, (note) => o.progress?.(0.05, note));
  const conn = pgConnection(o.url);
  const restore = runTool(
    'pg_restore',
    [
      '--no-owner',
      '--no-privileges',
      '--exit-on-error',
      '--single-transaction',
      ...(o.clean ? ['--clean', '--if-exists'] : []),
      '--no-password',
      ...conn.args,
    ],
    conn.env,
    o.signal,
  );
  const meter = byteMeter((fed) =>
    o.progress?.(
      Math.min(0.95, 0.1 + (fed / Math.max(1, o.manifest.dumpBytes)) * 0.85),
      `${(fed / 2 ** 20).toFixed(0)} of ${(o.manifest.dumpBytes / 2 ** 20).toFixed(0)} MiB restored`,
    ),
  );
  const dump = await dumpStream(o.storage, o.manifest, o.passphrase);
  // Registered before pipeline's own listeners, so pg_restore dies before its stdin is closed.
  dump.once('error', () => restore.child.kill('SIGKILL'));
  const feeding = pipeline(dump, meter, restore.child.stdin).catch((error: NodeJS.ErrnoException) => {
    // pg_restore stopping early closes its stdin: its own error says why.
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  });
  const [fed, restored] = await Promise.allSettled([feeding, restore.done]);
  // A bad segment is the cause when there is one; pg_restore's death by our SIGKILL is its effect.
  if (fed.status === 'rejected') throw fed.reason;
  if (restored.status === 'rejected') throw restored.reason;
  o.progress?.(1, `restored into ${conn.database}`);
}
