/** /api/incidents: open and past incidents, and one with its timeline. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { need, notFound, parse, type ApiDeps } from '../common.js';

const incidentsQuery = z.strictObject({
  status: z.enum(['open', 'resolved']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export async function incidentRoutes(app: FastifyInstance, { store }: ApiDeps): Promise<void> {
  app.get('/api/incidents', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const q = parse(incidentsQuery, request.query, 'query');
    return { incidents: await store.incidents.list(q) };
  });

  app.get<{ Params: { id: string } }>('/api/incidents/:id', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const incident = await store.incidents.get(request.params.id);
    if (!incident) return notFound(reply, `incident "${request.params.id}"`);
    return { ...incident, events: await store.incidents.events(request.params.id) };
  });
}
