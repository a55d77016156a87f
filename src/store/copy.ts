/**
 * Values for PostgreSQL's `COPY ... FROM STDIN` text format, and JSON that PostgreSQL
 * accepts. COPY is the cheap way in for the rows written at volume (run history, audit):
 * measured here at about half the server CPU per row of `insert ... from jsonb`.
 */

export const UNIQUE_VIOLATION = '23505';

/**
 * PostgreSQL text and jsonb cannot hold U+0000 (a job may quote a binary response body),
 * and jsonb refuses a lone UTF-16 surrogate (`body.slice(0, 500)` can cut an emoji in
 * half). JSON.stringify writes both as escapes (`\\u0000`, `\\ud800`; a surrogate pair is
 * written as the character itself, so every `\\ud8xx`-`\\udfxx` escape is a lone one): each
 * becomes U+FFFD. An escaped backslash before them (`\\\\u0000`, the text "\\u0000") is not
 * an escape and stays.
 */
const BAD_ESCAPE = /(?<=(?:^|[^\\])(?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g;

/** JSON.stringify as PostgreSQL's jsonb accepts it (see above); undefined for undefined. */
export function pgJson(value: unknown): string {
  const s = JSON.stringify(value);
  return s !== undefined && (s.includes('\\u0000') || s.includes('\\ud')) ? s.replace(BAD_ESCAPE, '\\ufffd') : s;
}

const SPECIAL = /[\\\n\r\t\0]/;
const SPECIALS = /[\\\n\r\t\0]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\ufffd' };

/** A text value: \N for null, backslash escapes for COPY's special characters. */
export const copyText = (v: string | null | undefined): string =>
  v == null ? '\\N' : SPECIAL.test(v) ? v.replace(SPECIALS, (c) => ESCAPES[c]!) : v;

/**
 * A timestamp as ISO 8601 in UTC, like Date#toISOString. That one costs ~0.4 µs a call,
 * and a run row carries three or four: its slot and the moments it was created, started
 * and finished, nearly always within two distinct seconds. The part up to the second is
 * cached per second (a direct-mapped cache of 64), and only the milliseconds are added.
 */
const SLOTS = 64;
const cachedSeconds = new Float64Array(SLOTS).fill(Number.NaN);
const cachedPrefixes: string[] = new Array<string>(SLOTS).fill('');
export function isoTime(d: Date): string {
  const ms = d.getTime();
  const second = Math.floor(ms / 1000);
  const slot = second & (SLOTS - 1);
  if (cachedSeconds[slot] !== second) {
    const iso = d.toISOString();
    // Years outside 0000-9999 print as ±YYYYYY: not worth a cache.
    if (iso.length !== 24) return iso;
    cachedSeconds[slot] = second;
    cachedPrefixes[slot] = iso.slice(0, 20);
  }
  const milli = ms - second * 1000;
  return `${cachedPrefixes[slot]}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

export const copyTime = (d: Date | null | undefined): string => (d && !Number.isNaN(d.getTime()) ? isoTime(d) : '\\N');

/** A json/jsonb value; null and undefined are SQL NULL. */
export const copyJson = (v: unknown): string => (v == null ? '\\N' : copyText(pgJson(v)));

const CHUNK_BYTES = 64 * 1024;

/**
 * COPY text gathered as bytes, in order. A row is encoded when it is written and its
 * objects are free to go: rows waiting for their statement (20 ms and more) would
 * otherwise live through young-generation collections and be copied and promoted,
 * which measured as much of the worker's collection time as everything else it does.
 */
export class CopyBuffer {
  private readonly chunks: Buffer[] = [];
  private current: Buffer | null = null;
  private used = 0;
  /** Lines added. */
  lines = 0;

  add(line: string): void {
    this.lines++;
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    const worst = line.length * 3;
    if (worst > CHUNK_BYTES) {
      this.seal();
      this.chunks.push(Buffer.from(line, 'utf8'));
      return;
    }
    if (!this.current || this.current.length - this.used < worst) {
      this.seal();
      this.current = Buffer.allocUnsafe(CHUNK_BYTES);
    }
    this.used += this.current.write(line, this.used, 'utf8');
  }

  /** Puts `earlier`'s lines before this one's (a failed batch retried with the next). */
  prepend(earlier: CopyBuffer): void {
    this.seal();
    this.chunks.unshift(...earlier.data());
    this.lines += earlier.lines;
  }

  /** A buffer holding these lines (each one whole line, as lineBuffers gives them). */
  static fromLines(lines: readonly Buffer[]): CopyBuffer {
    const buffer = new CopyBuffer();
    buffer.chunks.push(...lines);
    buffer.lines = lines.length;
    return buffer;
  }

  /**
   * Each line as its own buffer, in order (a batch split to find a row PostgreSQL refuses).
   * A line never spans chunks, and a newline inside a value is escaped, so every 0x0A ends one.
   */
  lineBuffers(): Buffer[] {
    const out: Buffer[] = [];
    for (const chunk of this.data()) {
      for (let start = 0; start < chunk.length;) {
        const end = chunk.indexOf(0x0a, start);
        const stop = end === -1 ? chunk.length : end + 1;
        out.push(chunk.subarray(start, stop));
        start = stop;
      }
    }
    return out;
  }

  /** Everything added, in order. */
  data(): Buffer[] {
    this.seal();
    return this.chunks;
  }

  private seal(): void {
    if (this.current && this.used) this.chunks.push(this.current.subarray(0, this.used));
    this.current = null;
    this.used = 0;
  }
}

/**
 * A COPY text line with some columns replaced (by index); `undefined` keeps a column.
 * Values are given already in COPY form (copyText, copyJson, copyTime).
 */
export function replaceColumns(line: Buffer, columns: readonly (string | undefined)[]): Buffer {
  const fields = line.toString('utf8').replace(/\n$/, '').split('\t');
  columns.forEach((value, i) => {
    if (value !== undefined && i < fields.length) fields[i] = value;
  });
  return Buffer.from(`${fields.join('\t')}\n`, 'utf8');
}
