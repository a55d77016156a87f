/**
 * Secrets never leave the process in clear: values interpolated from the environment into
 * secret-bearing keys are registered here, and everything that writes outward (logs,
 * errors, run results, audit rows, API responses) passes through `redact`.
 *
 * `redactValue` is also the one place untrusted values become plain data: whatever it is
 * given (an Error with causes, a cycle, a BigInt, a lone surrogate, a getter that throws, a
 * Proxy) it returns a JSON-safe copy and never throws. The logger relies on that.
 */
const secrets = new Set<string>();
/**
 * `scheme://user:password@`: the password runs to the last `@` before the host, as URL
 * parsers read it (`postgres://app:p@ss@db/x` logs in with `p@ss`), so all of it is hidden.
 */
const CREDENTIALS_IN_URL = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)([^/?#\s]+)(@)/gi;

/** Keys and variable names whose whole value is a secret. */
export const SECRET_NAME = /pass(word)?|secret|token|credential|auth|cookie|session|api[-_]?key|[-_]key$/i;

/** Shorter values are not registered: redacting them would hide ordinary words and numbers. */
export const MIN_SECRET_LENGTH = 6;

export function registerSecrets(values: Iterable<string>): void {
  for (const value of values) if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

/** The text with every registered secret and every password in a URL replaced by `***`. */
export function redact(text: string): string {
  if (typeof text !== 'string') text = String(text);
  let out = text.includes('://') ? text.replace(CREDENTIALS_IN_URL, '$1***$3') : text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('***');
  return out;
}

/**
 * A run request's params as they are recorded and shown (run history, audit log):
 * `redactValue`, and every string under a secret-named key (`Authorization`, `apiKey`,
 * `password`) is `***`. What a request carries never passed through the configuration,
 * where such values are registered as secrets.
 */
export function redactParams<T>(params: T): T {
  const mask = (node: unknown, secret: boolean): unknown => {
    if (typeof node === 'string') return secret ? '***' : node;
    if (Array.isArray(node)) return node.map((item) => mask(item, secret));
    if (node && typeof node === 'object' && !(node instanceof Date)) {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) out[key] = mask(value, secret || SECRET_NAME.test(key));
      return out;
    }
    return node;
  };
  return mask(redactValue(params), false) as T;
}

/** A string as UTF-8 and PostgreSQL can hold it: lone surrogates become U+FFFD. */
export const wellFormed = (text: string): string => (text.isWellFormed() ? text : text.toWellFormed());

export interface RedactOptions {
  /** Deeper values are cut off (`[Truncated]`). */
  maxDepth?: number;
  /** Include Error stacks (logs: yes; anything a client sees: no). */
  stacks?: boolean;
}

const DEFAULT_DEPTH = 16;

/**
 * A JSON-safe deep copy with every string redacted and well-formed. Never throws:
 * cycles become `[Circular]`, depth beyond `maxDepth` `[Truncated]`, BigInts their
 * decimal text, Errors `{type, message, code, cause}`, a property whose getter throws
 * `[Unreadable: …]`, Dates stay Dates, Maps and Sets become objects and arrays.
 */
export function redactValue<T>(value: T, options: RedactOptions = {}): T {
  try {
    return copy(value, options.maxDepth ?? DEFAULT_DEPTH, [], options.stacks === true) as T;
  } catch (error) {
    // Only a hostile object gets here (a Proxy whose every trap throws, say).
    return `[Unreadable: ${describe(error)}]` as T;
  }
}

function copy(value: unknown, depth: number, ancestors: object[], stacks: boolean): unknown {
  switch (typeof value) {
    case 'string':
      return redact(wellFormed(value));
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'bigint':
    case 'symbol':
      return value.toString();
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
    case 'object':
      return value === null ? null : copyObject(value, depth, ancestors, stacks);
  }
}

function copyObject(object: object, depth: number, ancestors: object[], stacks: boolean): unknown {
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? null : object;
  if (ancestors.includes(object)) return '[Circular]';
  if (depth <= 0) return '[Truncated]';
  ancestors.push(object);
  try {
    return copyContents(object, depth, ancestors, stacks);
  } finally {
    ancestors.pop();
  }
}

function copyContents(object: object, depth: number, ancestors: object[], stacks: boolean): unknown {
  const field = (read: () => unknown) => copyField(read, depth, ancestors, stacks);
  if (object instanceof Error) return errorJson(object, depth, ancestors, stacks);
  if (Array.isArray(object)) return object.length ? object.map((v) => field(() => v)) : [];
  if (ArrayBuffer.isView(object)) return `[${object.constructor.name} ${object.byteLength} bytes]`;
  if (object instanceof Map) return Object.fromEntries([...object].map(([k, v]) => [String(k), field(() => v)]));
  if (object instanceof Set) return [...object].map((v) => field(() => v));
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return field(() => toJSON.call(object));
  const keys = Object.keys(object);
  if (!keys.length) return {};
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = field(() => (object as Record<string, unknown>)[key]);
  return out;
}

/** One field: a getter that throws is reported, not thrown. */
function copyField(read: () => unknown, depth: number, ancestors: object[], stacks: boolean): unknown {
  let value: unknown;
  try {
    value = read();
  } catch (error) {
    return `[Unreadable: ${describe(error)}]`;
  }
  return copy(value, depth - 1, ancestors, stacks);
}

function errorJson(error: Error, depth: number, ancestors: object[], stacks: boolean): Record<string, unknown> {
  const field = (name: string) =>
    copyField(() => (error as unknown as Record<string, unknown>)[name], depth, ancestors, stacks);
  const out: Record<string, unknown> = { type: field('name'), message: field('message') };
  const code = field('code');
  if (code !== undefined) out.code = code;
  if (stacks) {
    const stack = field('stack');
    if (stack !== undefined) out.stack = stack;
  }
  const cause = field('cause');
  if (cause !== undefined) out.cause = cause;
  if (error instanceof AggregateError) out.errors = field('errors');
  return out;
}

/** A short text for anything thrown, without calling into it more than needed. */
export function describe(error: unknown): string {
  try {
    if (error instanceof Error) return redact(wellFormed(String(error.message)));
    return redact(wellFormed(String(error)));
  } catch {
    return 'unprintable error';
  }
}
