/**
 * Secrets never leave the process in clear: values interpolated from the environment into
 * secret-bearing keys are registered here, and everything that writes outward (logs,
 * errors, run results, audit rows) passes through `redact`.
 */
const secrets = new Set<string>();
const CREDENTIALS_IN_URL = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)([^@/\s]+)(@)/gi;

export function registerSecrets(values: Iterable<string>): void {
  for (const value of values) if (value.length >= 4) secrets.add(value);
}

/** The text with every registered secret and every password in a URL replaced by `***`. */
export function redact(text: string): string {
  let out = text.includes('://') ? text.replace(CREDENTIALS_IN_URL, '$1***$3') : text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('***');
  return out;
}

/** Deep copy of a JSON-like value with every string redacted. */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return (value.length ? value.map(redactValue) : []) as T;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    // Empty (every run's findings and params, nearly): nothing to walk.
    return (entries.length ? Object.fromEntries(entries.map(([k, v]) => [k, redactValue(v)])) : {}) as T;
  }
  return value;
}
