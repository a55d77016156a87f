/**
 * The servers the data jobs look after (databases, caches) and TLS for Redis connections: a
 * rediss:// URL (the queue, each cache) verified against a private CA, with a client
 * certificate when the server asks for one (Redis `tls-auth-clients`). PostgreSQL needs no
 * TLS section: its URL says it all (`?sslmode=verify-full&sslrootcert=/path/ca.pem`, see
 * src/config/pg-ssl.ts).
 */
import { z } from 'zod';
import { redisTlsSchema, redisTopologyFields, resolveEndpoint, tlsNeedsRediss, topologyIssues } from './redis.js';

const NAME = /^[a-z0-9][a-z0-9_-]{0,99}$/;

export const databasesSchema = z
  .array(
    z.strictObject({
      name: z.string().regex(NAME, { error: 'must be a-z, 0-9, - and _' }),
      url: z.string().regex(/^postgres(ql)?:\/\/\S+$/, { error: 'must be a postgres:// URL' }),
    }),
  )
  .default([]);

/**
 * A cache: one server (`url`), a Sentinel set (`sentinels` + `master`) or a Cluster
 * (`cluster`); `redis` is the endpoint the cache jobs open.
 */
export const cachesSchema = z
  .array(
    z
      .strictObject({
        name: z.string().regex(NAME, { error: 'must be a-z, 0-9, - and _' }),
        url: z
          .string()
          .regex(/^rediss?:\/\/\S+$/, { error: 'must be a redis:// or rediss:// URL' })
          .optional(),
        ...redisTopologyFields,
        /** TLS for a rediss:// url (or the Sentinel/Cluster data nodes): CA file, client certificate. */
        tls: redisTlsSchema.optional(),
      })
      .superRefine(tlsNeedsRediss('url'))
      .superRefine((c, ctx) => {
        for (const issue of topologyIssues(c, 'url', true)) ctx.addIssue({ code: 'custom', ...issue });
      })
      .transform((c) => ({ ...c, redis: resolveEndpoint(c, c.url)! })),
  )
  .default([]);
