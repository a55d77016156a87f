/**
 * Reading backups written before the segmented format (opscron 0.1, "OPSCENC1"): one
 * AES-256-GCM stream under one IV, the tag at the end of the file,
 *   "OPSCENC1" (8) | salt (16) | iv (12) | ciphertext | auth tag (16)
 * with the key from scrypt(passphrase, salt). Nothing writes this format any more; its tag
 * only checks at the very end, so a caller must read the whole file once (verifyEncrypted)
 * before it trusts any of the plaintext.
 */
import { createDecipheriv } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { DecryptError } from './stream-aead.js';

export const LEGACY_MAGIC = Buffer.from('OPSCENC1');
const HEADER = LEGACY_MAGIC.length + 16 + 12;
const TAG = 16;

/** The plaintext of a version-1 file as a stream; it errors at its end if the key or the bytes are wrong. */
export async function legacyDecryptedStream(path: string, key: (salt: Buffer) => Buffer): Promise<Readable> {
  const { size } = await stat(path);
  if (size < HEADER + TAG) throw new DecryptError(`${path} is too short to be an encrypted backup (${size} bytes)`);
  const handle = await open(path, 'r');
  const header = Buffer.alloc(HEADER);
  const tag = Buffer.alloc(TAG);
  try {
    await handle.read(header, 0, HEADER, 0);
    await handle.read(tag, 0, TAG, size - TAG);
  } finally {
    await handle.close();
  }
  const salt = header.subarray(LEGACY_MAGIC.length, LEGACY_MAGIC.length + 16);
  const iv = header.subarray(LEGACY_MAGIC.length + 16);
  const decipher = createDecipheriv('aes-256-gcm', key(salt), iv);
  decipher.setAuthTag(tag);
  const body =
    size - HEADER - TAG > 0 ? createReadStream(path, { start: HEADER, end: size - TAG - 1 }) : Readable.from([]);
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, decipher.update(chunk));
    },
    flush(done) {
      try {
        done(null, decipher.final());
      } catch {
        done(
          new DecryptError(
            `cannot decrypt ${path}: wrong OPSCRON_ENCRYPTION_KEY, or the file was changed (authentication failed)`,
          ),
        );
      }
    },
  });
  body.on('error', (e: Error) => out.destroy(e));
  return body.pipe(out);
}
