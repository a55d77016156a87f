/**
 * The servers the data jobs look after (databases, caches) and TLS for Redis connections: a
 * rediss:// URL (the queue, each cache) verified against a private CA, with a client
 * certificate when the server asks for one (Redis `tls-auth-clients`). PostgreSQL needs no
 * TLS section: its URL says it all (`?sslmode=verify-full&sslrootcert=/path/ca.pem`, see
 * src/config/pg-ssl.ts).
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

const NAME = /^[a-z0-9][a-z0-9_-]{0,99}$/;

export const databasesSchema = z
  .array(
    z.strictObject({
      name: z.string().regex(NAME, { error: 'must be a-z, 0-9, - and _' }),
      url: z.string().regex(/^postgres(ql)?:\/\/\S+$/, { error: 'must be a postgres:// URL' }),
    }),
  )
  .default([]);

export const cachesSchema = z
  .array(
    z
      .strictObject({
        name: z.string().regex(NAME, { error: 'must be a-z, 0-9, - and _' }),
        url: z.string().regex(/^rediss?:\/\/\S+$/, { error: 'must be a redis:// or rediss:// URL' }),
        /** TLS for a rediss:// url: CA file, client certificate. */
        tls: redisTlsSchema.optional(),
      })
      .superRefine(tlsNeedsRediss('url')),
  )
  .default([]);
