/**
 * Authenticated encryption of a stream of any length, in fixed-size segments (the STREAM
 * construction, as age and Tink's AES-GCM-HKDF streaming AEAD use it):
 *
 *   header  = "OPSCENC2" (8) | segment size, uint32 BE (4) | salt (32) | key check (16)
 *   segment = AES-256-GCM(key, nonce, aad = header)(plaintext) | tag (16)
 *   nonce   = prefix (7) | segment index, uint32 BE (4) | 0x01 on the last segment, else 0x00 (1)
 *
 * The segment key, the nonce prefix and the key check's MAC key come from HKDF-SHA256 over
 * `ikm(salt)` with the header's random salt, so every file has its own key. Every segment
 * but the last holds exactly `segmentSize` plaintext bytes; the last holds 0..segmentSize
 * and is always there. Binding the index and the last-segment flag into the nonce and the
 * header into every tag means a reordered, duplicated, dropped or foreign segment, a file cut
 * at a segment boundary and any flipped bit all fail to open, at the first segment they touch;
 * a segment's plaintext is released only once its tag has checked. Memory: one segment.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { OpscronError } from '../errors.js';

export const STREAM_MAGIC = Buffer.from('OPSCENC2');
const SALT = 32;
const CHECK = 16;
const TAG = 16;
export const STREAM_HEADER = STREAM_MAGIC.length + 4 + SALT + CHECK;
export const DEFAULT_SEGMENT = 64 * 1024;
/** Segment sizes a header may name: small ones for tests, 16 MiB at most (memory is one segment). */
const MIN_SEGMENT = 16;
const MAX_SEGMENT = 16 * 1024 * 1024;
const MAX_SEGMENTS = 2 ** 32;

/** Input key material for a file, from its salt (e.g. scrypt of a passphrase). */
export type KeySource = (salt: Buffer) => Buffer;

export class DecryptError extends OpscronError {
  constructor(message: string) {
    super('OPSCRON_BACKUP_DECRYPT', message);
  }
}

interface FileKeys {
  key: Buffer;
  prefix: Buffer;
  check: Buffer;
}

function fileKeys(ikm: Buffer, salt: Buffer, headerStart: Buffer): FileKeys {
  const okm = Buffer.from(hkdfSync('sha256', ikm, salt, 'opscron backup stream v2', 32 + 7 + 32));
  const check = createHmac('sha256', okm.subarray(39)).update(headerStart).digest().subarray(0, CHECK);
  return { key: okm.subarray(0, 32), prefix: okm.subarray(32, 39), check };
}

function nonce(prefix: Buffer, index: number, last: boolean): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(index, 7);
  n[11] = last ? 1 : 0;
  return n;
}

function seal(k: FileKeys, header: Buffer, index: number, last: boolean, plain: Buffer): Buffer[] {
  const cipher = createCipheriv('aes-256-gcm', k.key, nonce(k.prefix, index, last));
  cipher.setAAD(header);
  const body = cipher.update(plain);
  cipher.final();
  return [body, cipher.getAuthTag()];
}

/**
 * Cuts `chunk`, after the held-back `rest`, into the whole segments known not to be the last
 * (bytes follow them) and the new rest (at most one segment). Copies only the segment that
 * straddles the two; the rest may be a view of `chunk` (stream chunks are never reused).
 */
function cut(rest: Buffer, chunk: Buffer, size: number): { whole: Buffer[]; rest: Buffer } {
  const whole: Buffer[] = [];
  let at = 0;
  if (rest.length > 0) {
    const need = size - rest.length;
    if (chunk.length <= need) return { whole, rest: Buffer.concat([rest, chunk]) };
    whole.push(need === 0 ? rest : Buffer.concat([rest, chunk.subarray(0, need)]));
    at = need;
  }
  for (; chunk.length - at > size; at += size) whole.push(chunk.subarray(at, at + size));
  return { whole, rest: chunk.subarray(at) };
}

/** The plaintext of one sealed segment, or null when it does not authenticate as (index, last). */
function unseal(k: FileKeys, header: Buffer, index: number, last: boolean, sealed: Buffer): Buffer | null {
  const decipher = createDecipheriv('aes-256-gcm', k.key, nonce(k.prefix, index, last));
  decipher.setAAD(header);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  const plain = decipher.update(sealed.subarray(0, sealed.length - TAG));
  try {
    decipher.final();
    return plain;
  } catch {
    return null;
  }
}

/** A transform that writes the header and then the plaintext it is given, sealed segment by segment. */
export function sealStream(ikm: KeySource, segmentSize = DEFAULT_SEGMENT): Transform {
  if (!Number.isInteger(segmentSize) || segmentSize < MIN_SEGMENT || segmentSize > MAX_SEGMENT)
    throw new RangeError(`segment size ${segmentSize} is outside ${MIN_SEGMENT}..${MAX_SEGMENT}`);
  const salt = randomBytes(SALT);
  const start = Buffer.alloc(STREAM_MAGIC.length + 4);
  STREAM_MAGIC.copy(start);
  start.writeUInt32BE(segmentSize, STREAM_MAGIC.length);
  const headerStart = Buffer.concat([start, salt]);
  const keys = fileKeys(ikm(salt), salt, headerStart);
  const header = Buffer.concat([headerStart, keys.check]);
  let rest: Buffer = Buffer.alloc(0);
  let index = 0;
  let started = false;
  const begin = (t: Transform) => {
    if (!started) t.push(header);
    started = true;
  };
  const next = (last: boolean, plain: Buffer) => {
    if (index >= MAX_SEGMENTS) throw new RangeError('stream too long: segment index would wrap');
    return seal(keys, header, index++, last, plain);
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      begin(this);
      // The last segment is only known at the end, so at least one byte is always held back.
      const segments = cut(rest, chunk, segmentSize);
      rest = segments.rest;
      try {
        // One output chunk per input chunk, as the single-stream cipher gave: fewer, larger writes downstream.
        for (const p of segments.whole) for (const piece of next(false, p)) this.push(piece);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done: TransformCallback) {
      begin(this);
      try {
        done(null, Buffer.concat(next(true, rest)));
      } catch (error) {
        done(error as Error);
      }
    },
  });
}

interface Opened {
  keys: FileKeys;
  header: Buffer;
  sealedSize: number;
}

/** Parses and checks a version-2 header; throws a DecryptError that says what is wrong with it. */
function openHeader(header: Buffer, ikm: KeySource, label: string): Opened {
  if (!header.subarray(0, 7).equals(STREAM_MAGIC.subarray(0, 7)))
    throw new DecryptError(`${label} is not an opscron encrypted backup`);
  if (header[7] !== STREAM_MAGIC[7])
    throw new DecryptError(
      `${label} is in encrypted format ${JSON.stringify(String.fromCharCode(header[7]!))}, which this stream reader does not read (it reads "2")`,
    );
  const segmentSize = header.readUInt32BE(STREAM_MAGIC.length);
  if (segmentSize < MIN_SEGMENT || segmentSize > MAX_SEGMENT)
    throw new DecryptError(
      `${label}: its header names a segment size of ${segmentSize} bytes, outside ${MIN_SEGMENT}..${MAX_SEGMENT}: the header was changed`,
    );
  const headerStart = header.subarray(0, STREAM_HEADER - CHECK);
  const salt = header.subarray(STREAM_MAGIC.length + 4, STREAM_HEADER - CHECK);
  const keys = fileKeys(ikm(Buffer.from(salt)), salt, headerStart);
  if (!timingSafeEqual(keys.check, header.subarray(STREAM_HEADER - CHECK)))
    throw new DecryptError(
      `cannot decrypt ${label}: wrong OPSCRON_ENCRYPTION_KEY, or its header was changed (authentication failed)`,
    );
  return { keys, header, sealedSize: segmentSize + TAG };
}

/**
 * The inverse of sealStream: releases each segment's plaintext once its tag checks, and fails
 * at the first segment that does not (`label` names the file in messages; the key never appears).
 */
export function openStream(ikm: KeySource, label: string): Transform {
  let opened: Opened | undefined;
  let rest: Buffer = Buffer.alloc(0);
  let index = 0;
  const changed = (what: string) =>
    new DecryptError(
      `cannot decrypt ${label}: segment ${index} ${what} — the file was changed, reordered or cut (authentication failed); nothing after the last good segment was released`,
    );
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      let buf: Buffer = chunk;
      const released: Buffer[] = [];
      try {
        if (!opened) {
          buf = Buffer.concat([rest, chunk]);
          rest = Buffer.alloc(0);
          if (buf.length < STREAM_HEADER) return ((rest = buf), done());
          opened = openHeader(buf.subarray(0, STREAM_HEADER), ikm, label);
          buf = buf.subarray(STREAM_HEADER);
        }
        const segments = cut(rest, buf, opened.sealedSize);
        rest = segments.rest;
        let failed: Error | undefined;
        for (const sealed of segments.whole) {
          const plain = unseal(opened.keys, opened.header, index, false, sealed);
          if (!plain) {
            failed = changed('does not authenticate');
            break;
          }
          index++;
          released.push(plain);
        }
        // What authenticated before a failure is released; what failed never is.
        if (released.length) this.push(Buffer.concat(released));
        done(failed);
      } catch (error) {
        done(error as Error);
      }
    },
    flush(done: TransformCallback) {
      if (!opened) return done(new DecryptError(`${label} is cut short: its encryption header is incomplete`));
      if (rest.length < TAG) return done(changed('is missing or incomplete: the file was cut short'));
      const plain = unseal(opened.keys, opened.header, index, true, rest);
      if (plain) return done(null, plain);
      // A whole segment sealed as not-last at the very end: the segments after it were cut off.
      if (rest.length === opened.sealedSize && unseal(opened.keys, opened.header, index, false, rest))
        return done(changed('is not the last one, but the file ends after it: it was cut short'));
      done(changed('does not authenticate as the last segment'));
    },
  });
}
