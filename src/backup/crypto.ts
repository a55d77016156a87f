/**
 * Backups encrypted at rest, streamed, under OPSCRON_ENCRYPTION_KEY. New files are written in
 * the segmented format of stream-aead.ts ("OPSCENC2": 64 KiB segments, each AES-256-GCM
 * with its own nonce and tag, no size limit); files of the single-stream format before it
 * ("OPSCENC1", crypto-legacy.ts) still read. The format is told by the file's first 8 bytes.
 * The passphrase is stretched with scrypt and the file's salt; HKDF then derives the file's
 * keys from that. A wrong key or a changed byte fails authentication.
 */
import { scryptSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Writable, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LEGACY_MAGIC, legacyDecryptedStream } from './crypto-legacy.js';
import { DecryptError, STREAM_MAGIC, openStream, sealStream, type KeySource } from './stream-aead.js';

/** scrypt of the passphrase with a file's salt: the input key material of that file. */
export const passphraseKey =
  (passphrase: string): KeySource =>
  (salt) =>
    scryptSync(passphrase, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });

/** A transform that encrypts what goes through it into the segmented format. */
export function encryptor(passphrase: string, segmentSize?: number): Transform {
  return sealStream(passphraseKey(passphrase), segmentSize);
}

async function magicOf(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, 8, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * The plaintext of an encrypted file as a stream. Segmented files: each segment is released
 * only once authenticated, and the stream errors at the first bad one. Old single-stream
 * files: the stream errors at the end, so read them whole once first (verifyEncrypted).
 */
export async function decryptedStream(path: string, passphrase: string | undefined): Promise<Readable> {
  if (!passphrase)
    throw new DecryptError(`${path} is encrypted: set OPSCRON_ENCRYPTION_KEY to the key it was written with`);
  const magic = await magicOf(path);
  if (magic.equals(LEGACY_MAGIC)) return legacyDecryptedStream(path, passphraseKey(passphrase));
  if (!magic.subarray(0, 7).equals(STREAM_MAGIC.subarray(0, 7)))
    throw new DecryptError(
      magic.length < 8
        ? `${path} is too short to be an encrypted backup (${magic.length} bytes)`
        : `${path} is not an opscron encrypted backup`,
    );
  // Reads of 1 MiB: whole segments per chunk, few copies of the one that straddles two reads.
  const body = createReadStream(path, { highWaterMark: 2 ** 20 });
  const out = openStream(passphraseKey(passphrase), path);
  body.on('error', (e: Error) => out.destroy(e));
  return body.pipe(out);
}

/** Reads the whole encrypted file once, to /dev/null: throws unless key and bytes are right. */
export async function verifyEncrypted(path: string, passphrase: string | undefined): Promise<void> {
  await pipeline(await decryptedStream(path, passphrase), new Writable({ write: (_c, _e, done) => done() }));
}

/** The backup key from the environment (never from the config file, never logged). */
export function encryptionKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.OPSCRON_ENCRYPTION_KEY || undefined;
}
