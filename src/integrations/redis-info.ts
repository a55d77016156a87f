/**
 * What a Redis server says about itself: INFO (all sections), MEMORY DOCTOR, LATENCY
 * DOCTOR, SLOWLOG, CONFIG GET, and bounded samples of its keys by SCAN (never KEYS).
 */
import { Redis } from 'ioredis';
import type { KeySample, RedisSnapshot } from '../analysis/redis.js';

export type { KeySample, RedisSnapshot } from '../analysis/redis.js';

export function redisClient(url: string): Redis {
  return new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    connectTimeout: 10_000,
  });
}

export async function withRedis<T>(url: string, fn: (client: Redis) => Promise<T>): Promise<T> {
  const client = redisClient(url);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/** INFO as a flat map (section headers dropped). */
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export async function readRedis(client: Redis): Promise<RedisSnapshot> {
  const info = parseInfo(await client.info('everything'));
  const configPairs = (await client.config('GET', 'max*')) as string[];
  const more = (await client.config('GET', 'activedefrag')) as string[];
  const config: Record<string, string> = {};
  for (const pairs of [configPairs, more])
    for (let i = 0; i + 1 < pairs.length; i += 2) config[pairs[i]!] = pairs[i + 1]!;
  const memoryDoctor = String(await client.call('MEMORY', 'DOCTOR'));
  const latencyDoctor = String(await client.call('LATENCY', 'DOCTOR'));
  const length = Number(await client.call('SLOWLOG', 'LEN'));
  const raw = (await client.call('SLOWLOG', 'GET', '5')) as Array<[number, number, number, string[]]>;
  const entries = raw.map(([id, at, micros, args]) => ({
    id: Number(id),
    at: new Date(Number(at) * 1000),
    micros: Number(micros),
    command: args.slice(0, 4).join(' ').slice(0, 200),
  }));
  return { info, config, memoryDoctor, latencyDoctor, slowlog: { length, entries } };
}

/** Up to `limit` keys from SCAN, with their TTL and MEMORY USAGE (pipelined). */
export async function sampleKeys(client: Redis, limit: number, match = '*'): Promise<KeySample[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', match, 'COUNT', 500);
    cursor = next;
    for (const k of batch) if (keys.length < limit) keys.push(k);
  } while (cursor !== '0' && keys.length < limit);
  if (!keys.length) return [];
  const pipeline = client.pipeline();
  for (const k of keys) {
    pipeline.pttl(k);
    pipeline.call('MEMORY', 'USAGE', k, 'SAMPLES', '5');
  }
  const results = (await pipeline.exec()) ?? [];
  return keys.map((key, i) => ({
    key,
    ttl: Number(results[2 * i]?.[1] ?? -2),
    bytes: results[2 * i + 1]?.[1] == null ? null : Number(results[2 * i + 1]![1]),
  }));
}
