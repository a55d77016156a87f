/**
 * Values for PostgreSQL's `COPY ... FROM STDIN` text format, and JSON that PostgreSQL
 * accepts. COPY is the cheap way in for the rows written at volume (run history, audit):
 * measured here at about half the server CPU per row of `insert ... from jsonb`.
 */

export const UNIQUE_VIOLATION = '23505';

/**
 * PostgreSQL text and jsonb cannot hold U+0000 (a job may quote a binary response body):
 * one such row would fail its whole batch on every retry, so it becomes U+FFFD.
 */
const NUL_ESCAPE = /(?<=(?:^|[^\\])(?:\\\\)*)\\u0000/g;

/** JSON.stringify, with escaped U+0000 replaced (see above). */
export function pgJson(value: unknown): string {
  const s = JSON.stringify(value);
  return s.includes('\\u0000') ? s.replace(NUL_ESCAPE, '\\ufffd') : s;
}

const SPECIAL = /[\\\n\r\t\0]/;
const SPECIALS = /[\\\n\r\t\0]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\0': '\ufffd' };

/** A text value: \N for null, backslash escapes for COPY's special characters. */
export const copyText = (v: string | null | undefined): string =>
  v == null ? '\\N' : SPECIAL.test(v) ? v.replace(SPECIALS, (c) => ESCAPES[c]!) : v;

export const copyTime = (d: Date | null | undefined): string => (d ? d.toISOString() : '\\N');

/** A json/jsonb value; null and undefined are SQL NULL. */
export const copyJson = (v: unknown): string => (v == null ? '\\N' : copyText(pgJson(v)));
