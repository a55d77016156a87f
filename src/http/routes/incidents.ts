/** /api/incidents: open and past incidents, one with its timeline; acknowledge, resolve, note. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { systemClock } from '../../clock.js';
import { actOnIncident, INCIDENT_ACTIONS } from '../../incidents/lifecycle.js';
import { need, notFound, parse, type ApiDeps } from '../common.js';

const incidentsQuery = z.strictObject({
  status: z.enum(['open', 'resolved']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const noteText = z.string().trim().min(1).max(2000);
const actionBody = {
  ack: z.strictObject({ note: noteText.optional() }),
  resolve: z.strictObject({ note: noteText.optional() }),
  note: z.strictObject({ note: noteText }),
} as const;

export async function incidentRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;
  app.get('/api/incidents', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const q = parse(incidentsQuery, request.query, 'query');
    return { incidents: await store.incidents.list(q) };
  });

  app.get<{ Params: { id: string } }>('/api/incidents/:id', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const incident = await store.incidents.get(request.params.id);
    if (!incident) return notFound(reply, `incident "${request.params.id}"`);
    return {
      ...incident,
      events: await store.incidents.events(request.params.id),
      // Whether each notification went out: queued is on the timeline, delivered is here.
      notifications: await store.deliveries.ofIncident(request.params.id),
    };
  });

  // Acting on an incident is operator work: the trigger scope, like asking for a run.
  for (const action of INCIDENT_ACTIONS)
    app.post<{ Params: { id: string } }>(`/api/incidents/:id/${action}`, async (request, reply) => {
      if (!need(request, reply, 'trigger')) return;
      const body = parse(actionBody[action], request.body ?? {}, 'body');
      await actOnIncident(
        { ...deps, clock: { ...systemClock, now: deps.now } },
        { action, id: request.params.id, actor: request.principal!.name, source: 'api', note: body.note },
      );
      return {
        ...(await store.incidents.get(request.params.id)),
        events: await store.incidents.events(request.params.id),
      };
    });
}
