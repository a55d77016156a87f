/**
 * Dependency probes: is the thing a service needs answering? One probe per URL scheme:
 * tcp:// (connect), postgres:// (select 1), redis:// (PING), http(s):// (any answer
 * below 500). Each is bounded by a timeout and the caller's signal, and closes what it opened.
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { probe } from './http.js';
import { redisTlsOptions, type RedisTls } from './redis.js';
import { probeTcp } from './tcp.js';
import { pgClientConfig } from '../config/pg-ssl.js';

export interface DependencyResult {
  url: string;
  kind: 'tcp' | 'postgres' | 'redis' | 'http';
  ok: boolean;
  ms: number;
  error?: string;
}

function bounded<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number, outer: AbortSignal): Promise<T> {
  const signal = AbortSignal.any([outer, AbortSignal.timeout(timeoutMs)]);
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(new Error(outer.aborted ? 'aborted' : `no answer within ${timeoutMs} ms`));
    signal.addEventListener(
      'abort',
      () => reject(new Error(outer.aborted ? 'aborted' : `no answer within ${timeoutMs} ms`)),
      { once: true },
    );
    work(signal).then(resolve, reject);
  });
}

async function tcp(url: URL, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const result = await probeTcp(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port), { timeoutMs, signal });
  if (result.error !== undefined) throw new Error(result.error);
}

async function postgres(url: string, signal: AbortSignal): Promise<void> {
  const client = new pg.Client({ ...pgClientConfig(url), connectionTimeoutMillis: 30_000 });
  client.on('error', () => {});
  const close = () => void client.end().catch(() => {});
  signal.addEventListener('abort', close, { once: true });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (e) {
    throw new Error((e as NodeJS.ErrnoException).code ?? (e as Error).message);
  } finally {
    close();
  }
}

/**
 * How a rediss:// dependency is verified: with the TLS files configured for that server (a
 * cache or the queue with the same host and port), else the job's CA (`ca`), else the
 * system's CAs.
 */
export interface DependencyTls {
  redisTls?: RedisTls;
  ca?: string;
}

async function redis(url: string, signal: AbortSignal, tls: DependencyTls): Promise<void> {
  const files = redisTlsOptions(url, tls.redisTls);
  const client = new Redis(url, {
    ...(files ? { tls: { ...(tls.ca ? { ca: tls.ca } : {}), ...files } } : {}),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // ioredis rejects with "Connection is closed."; the socket's own error says why.
  let cause: NodeJS.ErrnoException | undefined;
  client.on('error', (e: NodeJS.ErrnoException) => (cause ??= e));
  signal.addEventListener('abort', () => client.disconnect(), { once: true });
  try {
    await client.connect();
    const answer = await client.ping();
    if (answer !== 'PONG') throw new Error(`PING answered ${answer}`);
  } catch (e) {
    const error = cause ?? (e as NodeJS.ErrnoException);
    throw new Error(error.code ?? error.message);
  } finally {
    client.disconnect();
  }
}

export async function probeDependency(
  url: string,
  timeoutMs: number,
  signal: AbortSignal,
  tls: DependencyTls = {},
): Promise<DependencyResult> {
  const parsed = new URL(url);
  const scheme = parsed.protocol.replace(':', '');
  const kind =
    scheme === 'tcp'
      ? 'tcp'
      : scheme.startsWith('postgres')
        ? 'postgres'
        : scheme.startsWith('redis')
          ? 'redis'
          : 'http';
  const started = performance.now();
  try {
    await bounded(
      async (s) => {
        switch (kind) {
          case 'tcp':
            return tcp(parsed, timeoutMs, s);
          case 'postgres':
            return postgres(url, s);
          case 'redis':
            return redis(url, s, tls);
          case 'http': {
            const answer = await probe(url, { timeoutMs, signal: s });
            if (answer.error !== undefined) throw new Error(answer.error);
            if (answer.status! >= 500) throw new Error(`status ${answer.status}`);
            return;
          }
        }
      },
      timeoutMs,
      signal,
    );
    return { url, kind, ok: true, ms: performance.now() - started };
  } catch (error) {
    return { url, kind, ok: false, ms: performance.now() - started, error: (error as Error).message };
  }
}
