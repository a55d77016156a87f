/**
 * Redis clients (ioredis, as BullMQ takes them) for any shape of Redis the configuration
 * names: one server by URL, a Sentinel set (the client asks the sentinels for the primary and
 * follows a failover) or a Cluster (the client learns the slots and follows redirections).
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { ConnectionOptions } from 'bullmq';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisEndpoint } from '../config/redis.js';
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
 * TLS options from the configured files: the server's certificate is checked (chain and host
 * name or IP) against `caFile`, or the system's CAs without one, and the client certificate is
 * presented when one is configured. Never `rejectUnauthorized: false`.
 */
function tlsFiles(tls: RedisTls = {}): TlsOptions {
  return {
    ...(tls.caFile ? { ca: pem('CA file', tls.caFile) } : {}),
    ...(tls.certFile ? { cert: pem('certificate file', tls.certFile) } : {}),
    ...(tls.keyFile ? { key: pem('key file', tls.keyFile) } : {}),
  };
}

/** ioredis' `tls` option for a URL: none for redis://, {@link tlsFiles} for rediss://. */
export function redisTlsOptions(url: string, tls?: RedisTls): TlsOptions | undefined {
  return new URL(url).protocol === 'rediss:' ? tlsFiles(tls) : undefined;
}

/**
 * How a client behaves when Redis is away. `worker`: blocks on Redis and waits through an
 * outage (BullMQ's workers need `maxRetriesPerRequest: null`). `producer`: fails fast, so the
 * scheduler keeps its cursor and catches the slot up rather than hanging. `locks`: a retry
 * or two. `probe`: one try, no reconnecting (the cache jobs, which open a client per run).
 */
export type RedisUse = 'worker' | 'producer' | 'locks' | 'probe';

const BEHAVIOUR: Record<RedisUse, RedisOptions> = {
  worker: { maxRetriesPerRequest: null, enableOfflineQueue: true },
  producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false },
  locks: { maxRetriesPerRequest: 2, enableOfflineQueue: true },
  probe: { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true, connectTimeout: 10_000 },
};

const retry = (use: RedisUse) => (use === 'probe' ? () => null : (times: number) => Math.min(200 * times, 2000));

/** Options for one server or a Sentinel set (what `new Redis(options)` takes). */
export function redisOptions(endpoint: Exclude<RedisEndpoint, { kind: 'cluster' }>, use: RedisUse): RedisOptions {
  const base = { ...BEHAVIOUR[use], retryStrategy: retry(use) };
  if (endpoint.kind === 'standalone') {
    const u = new URL(endpoint.url);
    return {
      ...base,
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: Number(u.port || 6379),
      username: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
      tls: redisTlsOptions(endpoint.url, endpoint.tls),
    };
  }
  return {
    ...base,
    sentinels: endpoint.sentinels,
    name: endpoint.master,
    role: 'master',
    db: endpoint.db,
    username: endpoint.username,
    password: endpoint.password,
    sentinelUsername: endpoint.sentinelUsername,
    sentinelPassword: endpoint.sentinelPassword,
    ...(endpoint.sentinelTls ? { sentinelTLS: tlsFiles(endpoint.sentinelTls) } : {}),
    ...(endpoint.tls ? { tls: tlsFiles(endpoint.tls), enableTLSForSentinelMode: true } : {}),
    // Not ioredis' failoverDetector: its +switch-master handler can land while the client is
    // reconnecting after the primary died, and then ends the client for good ("Connection is
    // closed." on every command; seen in test/integration/redis-sentinel.test.ts). The demoted
    // primary's CLIENT KILL (sent by the sentinels) moves the clients over just as well.
    sentinelRetryStrategy: retry(use),
  };
}

/** A Cluster client; `lazyConnect` as the use says. */
function clusterClient(endpoint: Extract<RedisEndpoint, { kind: 'cluster' }>, use: RedisUse): Cluster {
  const { enableOfflineQueue, lazyConnect, ...perNode } = BEHAVIOUR[use];
  return new Cluster(endpoint.nodes, {
    enableOfflineQueue,
    lazyConnect: lazyConnect ?? false,
    clusterRetryStrategy: retry(use),
    slotsRefreshTimeout: 5000,
    redisOptions: {
      ...perNode,
      username: endpoint.username,
      password: endpoint.password,
      ...(endpoint.tls ? { tls: tlsFiles(endpoint.tls) } : {}),
    },
    // With TLS the certificate names the host the cluster announces: connect by that name
    // rather than the address it resolves to, or the host name check fails (ElastiCache).
    ...(endpoint.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
  });
}

/** A client of the endpoint, connecting now (or on `connect()` for `probe`). */
export function openRedis(endpoint: RedisEndpoint, use: RedisUse): Redis | Cluster {
  return endpoint.kind === 'cluster' ? clusterClient(endpoint, use) : new Redis(redisOptions(endpoint, use));
}

/**
 * A BullMQ connection. One server or Sentinel: options, and BullMQ opens (and closes) its
 * clients. A Cluster: a client BullMQ shares and does not close, so it is handed to `owned`
 * for the caller to close after the queue or worker.
 */
export function bullConnection(endpoint: RedisEndpoint, worker: boolean, owned?: Set<Cluster>): ConnectionOptions {
  const use = worker ? 'worker' : 'producer';
  if (endpoint.kind !== 'cluster') return redisOptions(endpoint, use);
  const client = clusterClient(endpoint, use);
  client.on('error', () => {}); // reconnects by itself; failures surface on the commands
  owned?.add(client);
  return client;
}

/** A BullMQ connection to the server at `url` (clear-stuck's other queues, tests). */
export function redisConnection(url: string, worker: boolean, tls?: RedisTls): ConnectionOptions {
  return redisOptions({ kind: 'standalone', url, ...(tls ? { tls } : {}) }, worker ? 'worker' : 'producer');
}
