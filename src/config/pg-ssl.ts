/**
 * PostgreSQL over TLS, read the same way by node-postgres and by the libpq tools (pg_dump,
 * pg_restore). The URL says it: `?sslmode=verify-full&sslrootcert=/path/ca.pem` (and
 * `sslcert`, `sslkey` for a client certificate). node-postgres 8 parses those itself
 * (pg-connection-string reads the files; `verify-full` checks the chain and the host name or
 * IP) — but of the libpq environment it reads only PGSSLMODE, not PGSSLROOTCERT, PGSSLCERT
 * or PGSSLKEY, so a deployment that sets those instead of URL parameters would have pg_dump
 * verify the server and opscron's own connections fail (or the reverse). pgClientConfig
 * closes that gap; pgSslEnvironment hands the URL's parameters to the tools.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { OpscronError } from '../errors.js';

const URL_SSL = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey'];

function pem(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new OpscronError(
      'OPSCRON_FILE_UNREADABLE',
      `cannot read ${variable} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/** node-postgres options for `url`: the URL's own TLS parameters, else libpq's PGSSL* environment. */
export function pgClientConfig(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
): { connectionString: string; ssl?: ConnectionOptions | false } {
  const params = new URL(url).searchParams;
  // The URL's parameters win, as they do for libpq; pg reads PGSSLMODE alone well enough.
  if (URL_SSL.some((k) => params.has(k)) || !(env.PGSSLROOTCERT || env.PGSSLCERT)) return { connectionString: url };
  const mode = env.PGSSLMODE ?? 'prefer';
  if (mode === 'disable') return { connectionString: url, ssl: false };
  return {
    connectionString: url,
    ssl: {
      ...(env.PGSSLROOTCERT ? { ca: pem('PGSSLROOTCERT', env.PGSSLROOTCERT) } : {}),
      ...(env.PGSSLCERT ? { cert: pem('PGSSLCERT', env.PGSSLCERT) } : {}),
      ...(env.PGSSLKEY ? { key: pem('PGSSLKEY', env.PGSSLKEY) } : {}),
      // As node-postgres reads verify-ca in a URL: the chain is checked, the name is not.
      ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    },
  };
}

/** The URL's TLS parameters as the libpq environment (PGSSLMODE, PGSSLROOTCERT, ...) for pg_dump and pg_restore. */
export function pgSslEnvironment(url: string): Record<string, string> {
  const params = new URL(url).searchParams;
  const env: Record<string, string> = {};
  for (const [param, variable] of [
    ['sslmode', 'PGSSLMODE'],
    ['sslrootcert', 'PGSSLROOTCERT'],
    ['sslcert', 'PGSSLCERT'],
    ['sslkey', 'PGSSLKEY'],
  ] as const) {
    const value = params.get(param);
    if (value) env[variable] = value;
  }
  return env;
}
