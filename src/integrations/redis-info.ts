/**
 * What a Redis server says about itself: INFO (all sections), MEMORY DOCTOR, LATENCY
 * DOCTOR, SLOWLOG, CONFIG GET, and bounded samples of its keys by SCAN (never KEYS) — of
 * one server, a Sentinel set's primary or each primary of a Cluster.
 */
import { Cluster, Redis, ReplyError } from 'ioredis';
import type { RedisEndpoint } from '../config/redis.js';
import { keyPattern } from '../analysis/redis/patterns.js';
import { openRedis, redisOptions } from './redis.js';
import type { KeySample, KeySampleResult, RedisSnapshot } from '../analysis/redis.js';

/** One server a cache job reads: where it is (host:port, never credentials) and a connected client. */
export interface RedisNode {
  address: string;
  client: Redis;
}

/** Connects; on failure throws the socket's reason (connect() itself only says "Connection is closed."). */
async function connected<C extends Redis | Cluster>(client: C): Promise<C> {
  let reason: Error | undefined;
  const keep = (error: Error) => (reason ??= error);
  client.on('error', keep);
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    throw reason ?? error;
  }
}

/** Runs `fn` on a client of one server (or the Sentinel set's primary), disconnected after. */
export async function withRedis<T>(endpoint: RedisEndpoint, fn: (client: Redis) => Promise<T>): Promise<T> {
  return withRedisNodes(endpoint, ([node]) => fn(node!.client));
}

/**
 * The servers a cache job reads, connected, then disconnected after `fn`: the one server; a
 * Sentinel set's current primary; every primary of a Cluster (INFO, SCAN, SLOWLOG, MEMORY and
 * FLUSHDB answer for the node they are sent to, so a Cluster is read node by node).
 */
export async function withRedisNodes<T>(endpoint: RedisEndpoint, fn: (nodes: RedisNode[]) => Promise<T>): Promise<T> {
  const nodes: RedisNode[] = [];
  try {
    if (endpoint.kind === 'cluster') {
      const cluster = await connected(openRedis(endpoint, 'probe') as Cluster);
      const primaries = cluster.nodes('master').map((n) => ({ host: n.options.host!, port: n.options.port! }));
      cluster.disconnect();
      primaries.sort((x, y) => x.host.localeCompare(y.host) || x.port - y.port);
      for (const { host, port } of primaries) {
        const url = `${endpoint.tls ? 'rediss' : 'redis'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
        const options = redisOptions(
          { kind: 'standalone', url, ...(endpoint.tls ? { tls: endpoint.tls } : {}) },
          'probe',
        );
        const client = new Redis({ ...options, username: endpoint.username, password: endpoint.password });
        nodes.push({ address: `${host}:${port}`, client });
        await connected(client);
      }
    } else {
      const client = new Redis(redisOptions(endpoint, 'probe'));
      nodes.push({ address: '', client });
      await connected(client);
      nodes[0]!.address = `${client.stream.remoteAddress ?? '?'}:${client.stream.remotePort ?? '?'}`;
    }
    return await fn(nodes);
  } finally {
    for (const n of nodes) n.client.disconnect();
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

/** CONFIG parameters read besides max*: one CONFIG GET each (several in one GET needs Redis 7). */
const CONFIG_ALSO = [
  'activedefrag',
  'save',
  'appendonly',
  'appendfsync',
  'latency-monitor-threshold',
  'stop-writes-on-bgsave-error',
];

/** SLOWLOG entries read: the newest, for the message; how many were logged comes from their ids. */
const SLOWLOG_READ = 10;

/**
 * What a command answers, or `fallback` when the server refuses it (managed Redis renames or
 * disables CONFIG, DEBUG-like commands and the doctors): what it would have said is then
 * unknown, and the checks that need it say nothing. Connection errors still fail the run.
 */
async function unlessRefused(command: Promise<unknown>, fallback: unknown): Promise<unknown> {
  try {
    return await command;
  } catch (error) {
    if (error instanceof ReplyError) return fallback;
    throw error;
  }
}

/**
 * A slow command as findings may show it: its name and its key's pattern (ids, tokens and
 * e-mail addresses masked, as cache-optimize shows keys), and how many more arguments it had.
 * Never the values: a SET's value or a session token in a key is data, not a diagnosis.
 */
function slowCommand(args: unknown[]): string {
  const [name, key, ...rest] = args.map((a) => String(a));
  const shown = [String(name ?? '?').slice(0, 40), ...(key === undefined ? [] : [keyPattern(key.slice(0, 200))])].join(
    ' ',
  );
  return rest.length ? `${shown} (+${rest.length} argument${rest.length === 1 ? '' : 's'})` : shown;
}

/** SLOWLOG GET's entries, as far as they have the shape of one. */
function slowlogEntries(raw: unknown): RedisSnapshot['slowlog']['entries'] {
  if (!Array.isArray(raw)) return [];
  return raw
    .slice(0, SLOWLOG_READ)
    .filter((e): e is unknown[] => Array.isArray(e) && Array.isArray(e[3]))
    .map(([id, at, micros, args]) => ({
      id: Number(id),
      at: new Date(Number(at) * 1000),
      micros: Number(micros),
      command: slowCommand(args as unknown[]),
    }))
    .filter((e) => Number.isFinite(e.id) && Number.isFinite(e.micros) && !Number.isNaN(e.at.getTime()));
}

export async function readRedis(client: Redis): Promise<RedisSnapshot> {
  const info = parseInfo(await client.info('everything'));
  const config: Record<string, string> = {};
  for (const parameter of ['max*', ...CONFIG_ALSO]) {
    const pairs = await unlessRefused(client.config('GET', parameter), []);
    if (!Array.isArray(pairs)) continue;
    for (let i = 0; i + 1 < pairs.length; i += 2) config[String(pairs[i])] = String(pairs[i + 1]);
  }
  const doctor = async (what: string) => String(await unlessRefused(client.call(what, 'DOCTOR'), '')).slice(0, 8192);
  const memoryDoctor = await doctor('MEMORY');
  const latencyDoctor = await doctor('LATENCY');
  const length = Number(await unlessRefused(client.call('SLOWLOG', 'LEN'), 0)) || 0;
  const entries = slowlogEntries(await unlessRefused(client.call('SLOWLOG', 'GET', String(SLOWLOG_READ)), []));
  const latencyLatest = latestSpikes(await unlessRefused(client.call('LATENCY', 'LATEST'), null));
  return {
    info,
    config,
    memoryDoctor,
    latencyDoctor,
    slowlog: { length, entries },
    ...(latencyLatest ? { latencyLatest } : {}),
  };
}

/** LATENCY LATEST's rows (event, unix time, latest ms, worst ms, …), as far as they have that shape; null if refused. */
function latestSpikes(raw: unknown): RedisSnapshot['latencyLatest'] | null {
  if (!Array.isArray(raw)) return null;
  return raw
    .slice(0, 50)
    .filter((e): e is unknown[] => Array.isArray(e) && e.length >= 4)
    .map(([event, at, latestMs, maxMs]) => ({
      event: String(event).slice(0, 64),
      at: Number(at),
      latestMs: Number(latestMs),
      maxMs: Number(maxMs),
    }))
    .filter((e) => Number.isFinite(e.at) && Number.isFinite(e.latestMs) && Number.isFinite(e.maxMs));
}

/** How far a SCAN sample may go: keys, wall time, bytes of key names held. */
export interface SampleBounds {
  keys: number;
  ms: number;
  keyBytes: number;
  signal: AbortSignal;
  /** The clock the time bound is measured on. */
  now?: () => number;
}

/** Key names longer than this are not sampled (their MEMORY USAGE would be read by a name opscron then holds). */
const KEY_NAME_MAX = 1024;

/** Keys from SCAN until a bound is reached, with their TTL, MEMORY USAGE and TYPE (pipelined). */
export async function sampleKeys(client: Redis, bounds: SampleBounds, match = '*'): Promise<KeySampleResult> {
  const now = bounds.now ?? Date.now;
  const deadline = now() + bounds.ms;
  const keys: string[] = [];
  let bytes = 0;
  let cursor = '0';
  let stoppedBy: KeySampleResult['stoppedBy'] = 'done';
  do {
    bounds.signal.throwIfAborted();
    const [next, batch] = await client.scan(cursor, 'MATCH', match, 'COUNT', 500);
    cursor = next;
    for (const k of batch) {
      if (keys.length >= bounds.keys) stoppedBy = 'keys';
      else if (bytes + k.length > bounds.keyBytes) stoppedBy = 'bytes';
      if (stoppedBy !== 'done') break;
      if (k.length > KEY_NAME_MAX) continue;
      keys.push(k);
      bytes += k.length;
    }
    if (stoppedBy === 'done' && cursor !== '0' && keys.length >= bounds.keys) stoppedBy = 'keys';
    if (stoppedBy === 'done' && cursor !== '0' && now() >= deadline) stoppedBy = 'time';
  } while (cursor !== '0' && stoppedBy === 'done');
  const dbsize = await client.dbsize();
  const sampled: KeySample[] = [];
  // In batches, so a cancelled run stops between them.
  for (let from = 0; from < keys.length; from += 500) {
    bounds.signal.throwIfAborted();
    sampled.push(...(await describeKeys(client, keys.slice(from, from + 500))));
  }
  return { keys: sampled, dbsize, stoppedBy };
}

/** PTTL, MEMORY USAGE and TYPE of each key, in one pipeline. */
async function describeKeys(client: Redis, keys: string[]): Promise<KeySample[]> {
  const pipeline = client.pipeline();
  for (const k of keys) {
    pipeline.pttl(k);
    pipeline.call('MEMORY', 'USAGE', k, 'SAMPLES', '5');
    pipeline.type(k);
  }
  const results = (await pipeline.exec()) ?? [];
  const at = (i: number) => results[i]?.[1];
  return keys.map((key, i) => ({
    key,
    ttl: Number(at(3 * i) ?? -2),
    bytes: at(3 * i + 1) == null ? null : Number(at(3 * i + 1)),
    type: String(at(3 * i + 2) ?? 'none').slice(0, 32),
  }));
}

/**
 * UNLINKs `keys` on one server; how many it removed. On a Cluster node one UNLINK per key
 * (pipelined): a multi-key command whose keys hash to different slots is refused (CROSSSLOT),
 * even when one node serves all of them.
 */
export async function unlinkKeys(client: Redis, keys: string[], cluster: boolean): Promise<number> {
  if (!cluster) return client.unlink(...keys);
  const pipeline = client.pipeline();
  for (const key of keys) pipeline.unlink(key);
  let removed = 0;
  for (const [error, count] of (await pipeline.exec()) ?? []) {
    if (error) throw error;
    removed += Number(count);
  }
  return removed;
}
