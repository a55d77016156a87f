/** /api/audit: who triggered, paused, resumed or ran something destructive, from where and why. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { need, parse, type ApiDeps } from '../common.js';

const auditQuery = z.strictObject({
  since: z.iso.datetime({ offset: true }).optional(),
  // As many as `opscron audit --limit` shows, which asks this API while the embedded store is held.
  limit: z.coerce.number().int().min(1).max(10_000).default(200),
});

export async function auditRoutes(app: FastifyInstance, { store }: ApiDeps): Promise<void> {
  app.get('/api/audit', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const q = parse(auditQuery, request.query, 'query');
    return { entries: await store.audit.list(q.since ? new Date(q.since) : undefined, q.limit) };
  });
}
