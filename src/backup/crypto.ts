/**
 * Backups encrypted at rest, streamed, under OPSCRON_ENCRYPTION_KEY. New files are written in
 * the segmented format of stream-aead.ts ("OPSCENC2": 64 KiB segments, each AES-256-GCM
 * with its own nonce and tag, no size limit); files of the single-stream format before it
 * ("OPSCENC1", crypto-legacy.ts) still read. The format is told by the file's first 8 bytes.
 * The passphrase is stretched with scrypt and the file's salt; HKDF then derives the file's
 * keys from that. A wrong key or a changed byte fails authentication. Everything here reads
 * a stream (a file, or an object in a bucket), never a path.
 */
import { scryptSync } from 'node:crypto';
import { Writable, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LEGACY_MAGIC, legacyDecryptor } from './crypto-legacy.js';
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

/** The first `n` bytes of a paused stream, put back so the stream still starts with them. */
async function peek(stream: Readable, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const chunk = stream.read() as Buffer | null;
    if (chunk) {
      chunks.push(chunk);
      got += chunk.length;
      continue;
    }
    if (stream.readableEnded || stream.destroyed) break;
    const ended = await new Promise<boolean>((resolve, reject) => {
      const settle = (value: boolean | Error) => {
        stream.off('readable', onReadable).off('end', onEnd).off('error', settle);
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      const onReadable = () => settle(false);
      const onEnd = () => settle(true);
      stream.on('readable', onReadable).on('end', onEnd).on('error', settle);
    });
    if (ended) break;
  }
  const head = Buffer.concat(chunks);
  if (head.length >= n) stream.unshift(head);
  return head.subarray(0, n);
}

/**
 * The plaintext of an encrypted stored file, given its bytes as a stream (`label` names it
 * in messages). Segmented files: each segment is released only once authenticated, and the
 * stream errors at the first bad one. Old single-stream files: the stream errors at the
 * end, so read them whole once first (verifyEncrypted).
 */
export async function decryptedStream(
  source: Readable,
  label: string,
  passphrase: string | undefined,
): Promise<Readable> {
  if (!passphrase) {
    source.destroy();
    throw new DecryptError(`${label} is encrypted: set OPSCRON_ENCRYPTION_KEY to the key it was written with`);
  }
  const magic = await peek(source, 8);
  let out: Transform;
  if (magic.equals(LEGACY_MAGIC)) out = legacyDecryptor(label, passphraseKey(passphrase));
  else if (magic.length === 8 && magic.subarray(0, 7).equals(STREAM_MAGIC.subarray(0, 7)))
    out = openStream(passphraseKey(passphrase), label);
  else {
    source.destroy();
    throw new DecryptError(
      magic.length < 8
        ? `${label} is too short to be an encrypted backup (${magic.length} bytes)`
        : `${label} is not an opscron encrypted backup`,
    );
  }
  source.on('error', (e: Error) => out.destroy(e));
  return source.pipe(out);
}

/** Reads the whole encrypted file once, to nowhere: throws unless key and bytes are right. */
export async function verifyEncrypted(source: Readable, label: string, passphrase: string | undefined): Promise<void> {
  await pipeline(await decryptedStream(source, label, passphrase), new Writable({ write: (_c, _e, done) => done() }));
}

/** The backup key from the environment (never from the config file, never logged). */
export function encryptionKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.OPSCRON_ENCRYPTION_KEY || undefined;
}
