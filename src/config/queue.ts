/**
 * The `queue` section: BullMQ on Redis (one server, a Sentinel set or a Cluster) or, with no
 * Redis named, the in-process queue. Resolves to the section as written plus `redis`, the
 * {@link RedisEndpoint} to open, and the `prefix` in force (hash-tagged on a Cluster).
 */
import { z } from 'zod';
import { duration } from './duration.js';
import {
  CLUSTER_PREFIX,
  hasHashTag,
  redisTlsSchema,
  redisTopologyFields,
  resolveEndpoint,
  tlsNeedsRediss,
  topologyIssues,
} from './redis.js';

/** Empty strings (an unset `${VAR:-}`) mean "not set". */
export const optionalUrl = z.preprocess((v) => (v === '' || v === null ? undefined : v), z.string().optional());

const prefix = z
  .string()
  .regex(/^[A-Za-z0-9_{}-]{1,100}$/, { error: 'must be 1-100 characters of letters, digits, _ - and a {hash tag}' })
  .refine((p) => !/[{}]/.test(p) || (hasHashTag(p) && p.split('{').length === 2 && p.split('}').length === 2), {
    error: 'a { opens a hash tag: write one {tag} with text between the braces, e.g. {opscron}',
  });

export const queueSchema = z
  .strictObject({
    redisUrl: optionalUrl,
    ...redisTopologyFields,
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .default('opscron'),
    /** BullMQ key prefix; default `bull`, or `{opscron}` on a Cluster (see hasHashTag). */
    prefix: prefix.optional(),
    /** TLS for a rediss:// redisUrl (or the Sentinel/Cluster data nodes): CA file, client certificate. */
    tls: redisTlsSchema.optional(),
    concurrency: z.number().int().min(1).max(1000).default(10),
    lockDuration: duration.default(30_000),
    keepCompleted: duration.default(86_400_000),
  })
  .superRefine(tlsNeedsRediss('redisUrl'))
  .superRefine((q, ctx) => {
    for (const issue of topologyIssues(q, 'redisUrl', false)) ctx.addIssue({ code: 'custom', ...issue });
    if (q.redisUrl !== undefined && !/^rediss?:\/\/\S+$/.test(q.redisUrl))
      ctx.addIssue({ code: 'custom', path: ['redisUrl'], message: 'must be a redis:// or rediss:// URL' });
    if (q.cluster && q.prefix !== undefined && !hasHashTag(q.prefix))
      ctx.addIssue({
        code: 'custom',
        path: ['prefix'],
        message: `has no {hash tag}, which a Cluster needs: BullMQ's scripts touch several keys of the queue at once and Cluster runs them only when all hash to one slot; use e.g. "${CLUSTER_PREFIX}" or "{${q.prefix}}"`,
      });
  })
  .transform((q) => {
    const redis = resolveEndpoint(q, q.redisUrl);
    return { ...q, prefix: q.prefix ?? (redis?.kind === 'cluster' ? CLUSTER_PREFIX : 'bull'), redis };
  })
  // prefault: an absent section is parsed like {} (defaults, prefix, no Redis), not taken as is.
  .prefault({});
