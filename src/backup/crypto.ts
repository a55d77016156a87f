/**
 * Backups encrypted at rest with AES-256-GCM, streamed: the file is
 *   "OPSCENC1" (8) | salt (16) | iv (12) | ciphertext | auth tag (16)
 * with the key derived from OPSCRON_ENCRYPTION_KEY by scrypt and the salt. A wrong key or a
 * changed byte fails authentication — and the check runs over the whole file before any
 * of it is restored, so a bad backup never half-restores.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OpscronError } from '../errors.js';

const MAGIC = Buffer.from('OPSCENC1');
const HEADER = MAGIC.length + 16 + 12;
const TAG = 16;

const deriveKey = (passphrase: string, salt: Buffer) =>
  scryptSync(passphrase, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });

/** A transform that writes the header, the ciphertext and, at the end, the tag. */
export function encryptor(passphrase: string): Transform {
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

export class DecryptError extends OpscronError {
  constructor(message: string) {
    super('OPSCRON_BACKUP_DECRYPT', message);
  }
}

/** The plaintext of an encrypted file as a stream; it errors at the end if the key or the bytes are wrong. */
export async function decryptedStream(path: string, passphrase: string | undefined): Promise<Readable> {
  if (!passphrase)
    throw new DecryptError(`${path} is encrypted: set OPSCRON_ENCRYPTION_KEY to the key it was written with`);
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
  if (!header.subarray(0, MAGIC.length).equals(MAGIC))
    throw new DecryptError(`${path} is not an opscron encrypted backup`);
  const salt = header.subarray(MAGIC.length, MAGIC.length + 16);
  const iv = header.subarray(MAGIC.length + 16);
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(passphrase, salt), iv);
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

/** Reads the whole encrypted file once, to /dev/null: throws unless key and bytes are right. */
export async function verifyEncrypted(path: string, passphrase: string | undefined): Promise<void> {
  await pipeline(await decryptedStream(path, passphrase), new Writable({ write: (_c, _e, done) => done() }));
}

/** The backup key from the environment (never from the config file, never logged). */
export function encryptionKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.OPSCRON_ENCRYPTION_KEY || undefined;
}
