/**
 * Where a Redis is, in the three shapes production uses: one server by URL (`redisUrl` for
 * the queue, `url` for a cache), a Sentinel set (`sentinels` + `master`: the sentinels say
 * which server is the primary now) or a Cluster (`cluster`: seed nodes; the cluster tells the
 * client the rest). The same fields serve `queue` and every `caches[]` entry, and both
 * resolve to one {@link RedisEndpoint} the integrations open.
 */
import { z } from 'zod';

const file = z.string().min(1, { error: 'must be a file path' });

export const redisTlsSchema = z
  .strictObject({
    /** PEM file of the CA that signed the server's certificate (default: the system's CAs). */
    caFile: file.optional(),
    /** Client certificate (PEM) and its key, for servers that verify clients. */
    certFile: file.optional(),
    keyFile: file.optional(),
  })
  .superRefine((t, ctx) => {
    if (Boolean(t.certFile) !== Boolean(t.keyFile))
      ctx.addIssue({
        code: 'custom',
        path: [t.certFile ? 'keyFile' : 'certFile'],
        message: t.certFile
          ? 'must be set with certFile: a client certificate needs its key'
          : 'must be set with keyFile: a key needs its client certificate',
      });
  });

/**
 * For an object with a Redis URL under `urlKey` and an optional `tls`: TLS settings with a
 * redis:// URL would be silently unused, so they are an error. The URL is not quoted (it may
 * carry a password).
 */
export const tlsNeedsRediss =
  <K extends string>(urlKey: K) =>
  (o: { tls?: unknown } & { [k in K]?: string }, ctx: z.RefinementCtx) => {
    const url = o[urlKey];
    if (o.tls !== undefined && url && !url.startsWith('rediss://'))
      ctx.addIssue({
        code: 'custom',
        path: ['tls'],
        message: `is set, but ${urlKey} is a redis:// URL, which does not use TLS: use rediss:// (or remove tls)`,
      });
  };

/** A sentinel or cluster node. */
export interface HostPort {
  host: string;
  port: number;
}

export type RedisTls = z.output<typeof redisTlsSchema>;

/** A Redis as the integrations open it; passwords are registered as secrets at load. */
export type RedisEndpoint =
  | { kind: 'standalone'; url: string; tls?: RedisTls }
  | {
      kind: 'sentinel';
      sentinels: HostPort[];
      /** The master set name the sentinels monitor (`sentinel monitor <name> ...`). */
      master: string;
      username?: string;
      password?: string;
      db: number;
      /** TLS to the primary and replicas. */
      tls?: RedisTls;
      sentinelUsername?: string;
      sentinelPassword?: string;
      /** TLS to the sentinels. */
      sentinelTls?: RedisTls;
    }
  | { kind: 'cluster'; nodes: HostPort[]; username?: string; password?: string; tls?: RedisTls };

const HOST = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$|^\[?[0-9A-Fa-f:.]{2,45}\]?$/;
const NODE_URL = /^rediss?:\/\/\S+$/;

const nodeSchema = z.union([
  z.strictObject({
    host: z.string().regex(HOST, { error: 'must be a host name or an IP address' }),
    port: z.number().int().min(1).max(65_535),
  }),
  z.string().regex(NODE_URL, { error: 'must be {host, port} or a redis:// or rediss:// URL' }),
]);

/** A credential; empty (an unset `${VAR:-}`) means none. */
const secret = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

/** The connection fields a queue or cache entry may carry besides its URL. */
export const redisTopologyFields = {
  /** Sentinels to ask for the primary of `master` (Redis Sentinel). */
  sentinels: z.array(nodeSchema).min(1).max(16).optional(),
  /** The master set name the sentinels monitor. */
  master: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, { error: 'must be 1-100 characters of letters, digits, . _ -' })
    .optional(),
  /** Seed nodes of a Redis Cluster (any primaries or replicas; the rest are discovered). */
  cluster: z.array(nodeSchema).min(1).max(64).optional(),
  /** ACL user and password of the data nodes (Sentinel or Cluster; a URL carries its own). */
  username: secret,
  password: secret,
  /** Database number behind Sentinel (a Cluster has only database 0). */
  db: z.number().int().min(0).max(15).optional(),
  sentinelUsername: secret,
  sentinelPassword: secret,
  /** TLS to the sentinels (`tls` is TLS to the data nodes). */
  sentinelTls: redisTlsSchema.optional(),
};

type Fields = { [K in keyof typeof redisTopologyFields]?: z.output<(typeof redisTopologyFields)[K]> } & {
  tls?: RedisTls;
};

const ONLY_WITH: [keyof Fields, string, (o: Fields) => boolean][] = [
  ['master', 'sentinels', (o) => o.sentinels !== undefined],
  ['db', 'sentinels (a URL says /<db>; a Cluster has only database 0)', (o) => o.sentinels !== undefined],
  ['sentinelUsername', 'sentinels', (o) => o.sentinels !== undefined],
  ['sentinelPassword', 'sentinels', (o) => o.sentinels !== undefined],
  ['sentinelTls', 'sentinels', (o) => o.sentinels !== undefined],
  ['username', 'sentinels or cluster (a URL carries its own)', (o) => !!(o.sentinels ?? o.cluster)],
  ['password', 'sentinels or cluster (a URL carries its own)', (o) => !!(o.sentinels ?? o.cluster)],
];

/**
 * Checks one queue or cache entry: exactly one of `urlKey`, `sentinels`, `cluster` (or none,
 * where `required` is false); the fields that belong to another shape are refused by name;
 * node URLs carry no credentials (they would be logged where nodes are) and agree on TLS.
 */
export function topologyIssues(o: Fields & Record<string, unknown>, urlKey: string, required: boolean) {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const shapes = [urlKey, 'sentinels', 'cluster'].filter((k) => o[k] !== undefined);
  if (shapes.length > 1)
    issues.push({
      path: [shapes[1]!],
      message: `is set together with ${shapes[0]}: give one of ${urlKey} (one server), sentinels + master (Sentinel) or cluster (Cluster nodes)`,
    });
  if (!shapes.length && required)
    issues.push({ path: [urlKey], message: `is missing: give ${urlKey}, sentinels + master, or cluster` });
  if (o.sentinels && !o.master)
    issues.push({ path: ['master'], message: 'is missing: sentinels need the master set name they monitor' });
  for (const [field, needs, ok] of ONLY_WITH)
    if (o[field] !== undefined && !ok(o)) issues.push({ path: [field], message: `is only for ${needs}` });
  for (const key of ['sentinels', 'cluster'] as const) {
    const nodes = o[key] ?? [];
    const schemes = new Set<string>();
    nodes.forEach((n, i) => {
      if (typeof n !== 'string') return;
      const u = new URL(n);
      schemes.add(u.protocol);
      if (u.username || u.password)
        issues.push({
          path: [key, i],
          message: `carries credentials: put them in ${key === 'sentinels' ? 'sentinelUsername/sentinelPassword' : 'username/password'} (with \${VAR})`,
        });
    });
    if (schemes.size > 1)
      issues.push({ path: [key], message: 'mixes redis:// and rediss:// nodes: all use TLS or none does' });
    const tlsField = key === 'sentinels' ? 'sentinelTls' : 'tls';
    if (schemes.has('redis:') && schemes.size === 1 && o[tlsField] !== undefined)
      issues.push({
        path: [tlsField],
        message: `is set, but the ${key} are redis:// URLs: use rediss:// (or remove it)`,
      });
  }
  return issues;
}

function hostPort(node: z.output<typeof nodeSchema>): HostPort {
  if (typeof node !== 'string') return node;
  const u = new URL(node);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) };
}

/** rediss:// nodes without a tls section mean TLS with the system's CAs. */
function nodesTls(nodes: z.output<typeof nodeSchema>[], tls: RedisTls | undefined): RedisTls | undefined {
  return tls ?? (nodes.some((n) => typeof n === 'string' && n.startsWith('rediss://')) ? {} : undefined);
}

/** The endpoint a checked entry describes (undefined when it names none). */
export function resolveEndpoint(o: Fields, url: string | undefined): RedisEndpoint | undefined {
  const auth = { ...(o.username ? { username: o.username } : {}), ...(o.password ? { password: o.password } : {}) };
  if (o.cluster) {
    const tls = nodesTls(o.cluster, o.tls);
    return { kind: 'cluster', nodes: o.cluster.map(hostPort), ...auth, ...(tls ? { tls } : {}) };
  }
  if (o.sentinels) {
    const sentinelTls = nodesTls(o.sentinels, o.sentinelTls);
    return {
      kind: 'sentinel',
      sentinels: o.sentinels.map(hostPort),
      master: o.master!,
      db: o.db ?? 0,
      ...auth,
      ...(o.tls ? { tls: o.tls } : {}),
      ...(o.sentinelUsername ? { sentinelUsername: o.sentinelUsername } : {}),
      ...(o.sentinelPassword ? { sentinelPassword: o.sentinelPassword } : {}),
      ...(sentinelTls ? { sentinelTls } : {}),
    };
  }
  return url ? { kind: 'standalone', url, ...(o.tls ? { tls: o.tls } : {}) } : undefined;
}

/** Where a log line or a finding may say the Redis is: hosts and ports, never credentials. */
export function describeEndpoint(e: RedisEndpoint): string {
  const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  switch (e.kind) {
    case 'standalone': {
      const u = new URL(e.url);
      return `${u.protocol}//${u.host}`;
    }
    case 'sentinel':
      return `sentinel ${e.master} via ${list(e.sentinels)}`;
    case 'cluster':
      return `cluster via ${list(e.nodes)}`;
    default:
      return ((x: never) => x)(e);
  }
}

/**
 * A BullMQ prefix on a Cluster must carry a hash tag: BullMQ's Lua scripts touch several
 * keys of a queue at once, and Redis Cluster runs a script only when all its keys hash to
 * one slot. Keys hash by the text in the first `{...}`, so `{opscron}` puts every key of the
 * queue (and opscron's run locks beside it) in one slot.
 */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  if (open < 0) return false;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1;
}

/** The prefix used on a Cluster when none is configured. */
export const CLUSTER_PREFIX = '{opscron}';
