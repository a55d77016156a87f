/**
 * Reading backups written before the segmented format (opscron 0.1, "OPSCENC1"): one
 * AES-256-GCM stream under one IV, the tag at the end of the file,
 *   "OPSCENC1" (8) | salt (16) | iv (12) | ciphertext | auth tag (16)
 * with the key from scrypt(passphrase, salt). Nothing writes this format any more; its tag
 * only checks at the very end, so a caller must read the whole file once (verifyEncrypted)
 * before it trusts any of the plaintext. Read as a stream (a file or an object in a bucket):
 * the last 16 bytes seen are held back until the end, where they are the tag.
 */
import { createDecipheriv, type DecipherGCM } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DecryptError } from './stream-aead.js';

export const LEGACY_MAGIC = Buffer.from('OPSCENC1');
const HEADER = LEGACY_MAGIC.length + 16 + 12;
const TAG = 16;

/** A transform from a version-1 file's bytes to its plaintext; it errors at its end if the key or the bytes are wrong. */
export function legacyDecryptor(label: string, key: (salt: Buffer) => Buffer): Transform {
  let decipher: DecipherGCM | undefined;
  let held: Buffer = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      held = held.length ? Buffer.concat([held, chunk]) : chunk;
      if (!decipher) {
        if (held.length < HEADER) return done();
        const salt = held.subarray(LEGACY_MAGIC.length, LEGACY_MAGIC.length + 16);
        const iv = held.subarray(LEGACY_MAGIC.length + 16, HEADER);
        decipher = createDecipheriv('aes-256-gcm', key(salt), iv);
        held = held.subarray(HEADER);
      }
      if (held.length <= TAG) return done();
      const body = held.subarray(0, held.length - TAG);
      held = Buffer.from(held.subarray(held.length - TAG));
      done(null, decipher.update(body));
    },
    flush(done: TransformCallback) {
      if (!decipher || held.length < TAG)
        return done(new DecryptError(`${label} is too short to be an encrypted backup`));
      try {
        decipher.setAuthTag(held);
        done(null, decipher.final());
      } catch {
        done(
          new DecryptError(
            `cannot decrypt ${label}: wrong OPSCRON_ENCRYPTION_KEY, or the file was changed (authentication failed)`,
          ),
        );
      }
    },
  });
}
