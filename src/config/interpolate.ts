/**
 * `${VAR}` and `${VAR:-default}` in string values of the parsed YAML (never in the raw
 * text, so a value cannot inject YAML). `$${` writes a literal `${`. A value that is one
 * whole reference and reads as a number or boolean becomes one (`port: ${PORT:-8080}`).
 */
import { SECRET_NAME } from '../observability/redact.js';

const REFERENCE = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface Interpolated {
  value: unknown;
  /** Problems, each naming the path: an unset variable without a default. */
  issues: string[];
  /** Values taken from the environment into secret-bearing keys, to be redacted wherever they might show. */
  secrets: string[];
}

export function interpolate(root: unknown, env: Record<string, string | undefined>): Interpolated {
  const issues: string[] = [];
  const secrets: string[] = [];

  const visit = (node: unknown, path: string, key: string): unknown => {
    if (typeof node === 'string') return substitute(node, path, key);
    if (Array.isArray(node)) return node.map((item, i) => visit(item, `${path}[${i}]`, key));
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, visit(v, path ? `${path}.${k}` : k, k)]));
    }
    return node;
  };

  const substitute = (text: string, path: string, key: string): unknown => {
    let whole = false;
    const result = text.replace(REFERENCE, (match, escape: string, name: string, fallback: string | undefined) => {
      if (escape) return match.slice(1);
      whole = match === text;
      const value = env[name];
      if (value !== undefined && value !== '') {
        // A secret by its name; a URL's password is found in the finished value below, so a
        // port or host interpolated into a URL stays readable in logs.
        if (SECRET_NAME.test(key) || SECRET_NAME.test(name)) secrets.push(value);
        return value;
      }
      if (fallback !== undefined) return fallback;
      issues.push(
        `${path || '(root)'}: \${${name}} — environment variable ${name} is not set and has no default (write \${${name}:-default})`,
      );
      return '';
    });
    if (result !== text && result.includes('://')) secrets.push(...urlPasswords(result));
    if (whole) {
      if (/^-?\d+(\.\d+)?$/.test(result)) return Number(result);
      if (result === 'true' || result === 'false') return result === 'true';
    }
    return result;
  };

  return { value: visit(root, '', ''), issues, secrets };
}

/** The password of each URL in `text` (as written and decoded): what to redact of it. */
export function urlPasswords(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"']+/gi)) {
    try {
      const url = new URL(match[0]);
      if (url.password) out.push(url.password, decodeURIComponent(url.password));
    } catch {
      // not a URL after all
    }
  }
  return out;
}
