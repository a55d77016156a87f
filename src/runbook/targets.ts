/**
 * Naming what a command talks to (pure): services from URLs, databases and caches from
 * connection details, the environment variable each one's address can be overridden by, and
 * the variables that stand in for secrets found in commands (never copied into the YAML).
 */
import type { SecretRef } from './types.js';

const GENERIC_LABELS = new Set(['api', 'www', 'app', 'web', 'admin', 'internal', 'svc']);
const NAME_MAX = 40;

/** A name opscron accepts for a service, database, cache or job (a-z, 0-9, -, _). */
export function slug(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, NAME_MAX)
    .replace(/[-_]+$/, '');
  return s || 'x';
}

/** `CHECKOUT_URL` from (`checkout`, `url`). */
export function envName(name: string, suffix: string): string {
  return `${name}_${suffix}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/** Text copied from the runbook into the YAML: a `${` in it is meant literally. */
export function literal(text: string): string {
  return text.replaceAll('${', '$${');
}

/** A value the environment may override, the runbook's own as the default. */
export function overridable(variable: string, fallback: string): string {
  return `\${${variable}:-${fallback.replaceAll('}', '%7D')}}`;
}

/** A Kubernetes object name or namespace as written, or undefined if it is not one. */
export function kubeName(text: string | undefined): string | undefined {
  return text !== undefined && /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(text) ? text : undefined;
}

export interface ParsedUrl {
  url: URL;
  /** The service name the host suggests. */
  name: string;
  secrets: SecretRef[];
}

/** An http(s) URL as written in a command, its credentials taken out. Undefined if it is not one. */
export function httpUrl(text: string): ParsedUrl | undefined {
  if (!/^https?:\/\/[^\s$`]+$/i.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const name = hostName(url);
  const secrets: SecretRef[] = [];
  if (url.username || url.password) {
    secrets.push({
      variable: envName(name, 'url'),
      why: `the URL carried credentials: set ${envName(name, 'url')} to the URL with them`,
    });
    url.username = '';
    url.password = '';
  }
  return { url, name, secrets };
}

/** `checkout` from checkout.shop.example, `orders` from api.orders.example, `local-8080` from 127.0.0.1:8080. */
export function hostName(url: URL): string {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || /^[\d.]+$/.test(host) || host.includes(':')) return slug(`local-${url.port || 'http'}`);
  const labels = host.split('.');
  const first = labels.length > 2 && GENERIC_LABELS.has(labels[0]!) ? labels[1]! : labels[0]!;
  return slug(first);
}

const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|x-[a-z-]*(token|key|secret|auth)[a-z-]*)$/i;

/**
 * A header from `-H "Name: value"`: credential-bearing values are replaced by a variable
 * (`Bearer ${CHECKOUT_TOKEN}`); others are kept as written.
 */
export function header(raw: string, owner: string): { name: string; value: string; secret?: SecretRef } | undefined {
  const colon = raw.indexOf(':');
  if (colon <= 0) return undefined;
  const name = raw.slice(0, colon).trim();
  const value = raw.slice(colon + 1).trim();
  if (!/^[A-Za-z0-9-]+$/.test(name)) return undefined;
  if (!SECRET_HEADER.test(name)) return { name, value: literal(value) };
  // A value the runbook already takes from a variable ($ADMIN_TOKEN) keeps that variable's name.
  const named = /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/.exec(value)?.[1];
  const variable = named ?? envName(owner, /^authorization$/i.test(name) ? 'token' : `${name.replace(/^x-/i, '')}`);
  const scheme = /^(Bearer|Basic|Token)\s+/i.exec(value)?.[1];
  return {
    name,
    value: scheme ? `${scheme} \${${variable}}` : `\${${variable}}`,
    secret: {
      variable,
      why: named
        ? `the ${name} header the runbook sends from $${named}: set it`
        : `the ${name} header of a command: set ${variable} (the runbook's value is not copied)`,
    },
  };
}

export interface Connection {
  name: string;
  /** The URL without its password, for the config's default. */
  url: string;
  variable: string;
  secrets: SecretRef[];
}

/** A postgres:// or redis:// URL as written, its password removed. */
export function connectionUrl(text: string, scheme: 'postgres' | 'redis', suffix: string): Connection | undefined {
  const pattern = scheme === 'postgres' ? /^postgres(ql)?:\/\/[^\s$`]+$/ : /^rediss?:\/\/[^\s$`]+$/;
  if (!pattern.test(text)) return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const db = url.pathname.replace(/^\//, '');
  const name = slug(scheme === 'postgres' && db ? db : hostName(url));
  const variable = envName(name, suffix);
  const secrets: SecretRef[] = url.password
    ? [{ variable, why: `the URL carried a password: set ${variable} to the URL with it` }]
    : [];
  url.password = '';
  return { name, url: url.toString(), variable, secrets };
}
