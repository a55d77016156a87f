/** Connection options for Redis (ioredis, as BullMQ takes them) from a redis:// or rediss:// URL. */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { ConnectionOptions } from 'bullmq';
import { OpscronError } from '../errors.js';

/** TLS files for a rediss:// connection (config `queue.tls`, `caches[].tls`). */
export interface RedisTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

function pem(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new OpscronError(
      'OPSCRON_FILE_UNREADABLE',
      `cannot read the Redis TLS ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * ioredis' `tls` option: none for redis://; for rediss:// the server's certificate is checked
 * (chain and host name or IP) against `caFile`, or the system's CAs without one, and the
 * client certificate is presented when one is configured. Never `rejectUnauthorized: false`.
 */
export function redisTlsOptions(url: string, tls?: RedisTls): TlsOptions | undefined {
  if (new URL(url).protocol !== 'rediss:') return undefined;
  return {
    ...(tls?.caFile ? { ca: pem('CA file', tls.caFile) } : {}),
    ...(tls?.certFile ? { cert: pem('certificate file', tls.certFile) } : {}),
    ...(tls?.keyFile ? { key: pem('key file', tls.keyFile) } : {}),
  };
}

/**
 * `worker`: a connection that blocks on Redis and must wait through an outage. Producers
 * fail fast instead, so the scheduler keeps its cursor and catches the slot up rather than
 * hanging.
 */
export function redisConnection(url: string, worker: boolean, tls?: RedisTls): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    tls: redisTlsOptions(url, tls),
    maxRetriesPerRequest: worker ? null : 1,
    enableOfflineQueue: worker,
    retryStrategy: (times: number) => Math.min(200 * times, 2000),
  };
}
