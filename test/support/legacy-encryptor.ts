/**
 * The encryptor opscron 0.1 wrote backups with ("OPSCENC1": one AES-256-GCM stream, one IV,
 * the tag at the end), copied unchanged from src/backup/crypto.ts before the segmented
 * format replaced it, so tests can make old-format backups and prove they still restore.
 */
import { createCipheriv, randomBytes, scryptSync } from 'node:crypto';
import { Transform } from 'node:stream';

const MAGIC = Buffer.from('OPSCENC1');

const deriveKey = (passphrase: string, salt: Buffer) =>
  scryptSync(passphrase, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });

/** A transform that writes the header, the ciphertext and, at the end, the tag. */
export function legacyEncryptor(passphrase: string): Transform {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(passphrase, salt), iv);
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (!started) {
        started = true;
        this.push(Buffer.concat([MAGIC, salt, iv]));
      }
      done(null, cipher.update(chunk));
    },
    flush(done) {
      if (!started) this.push(Buffer.concat([MAGIC, salt, iv]));
      this.push(cipher.final());
      done(null, cipher.getAuthTag());
    },
  });
}
