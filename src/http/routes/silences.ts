/** /api/silences: silences and maintenance windows — list (read), create and expire (trigger), audited. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { silenceView } from '../../incidents/silence.js';
import { createSilence, expireSilence } from '../../incidents/silences.js';
import { duration } from '../../config/duration.js';
import { need, parse, type ApiDeps } from '../common.js';

const instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const silenceBody = z.strictObject({
  matchers: z.array(z.string().max(300)).min(1).max(10),
  startsAt: instant.optional(),
  endsAt: instant.optional(),
  duration: duration.optional(),
  schedule: z.string().min(1).max(200).optional(),
  timeZone: z.string().min(1).max(100).optional(),
  reason: z.string().min(1).max(500),
});
const listQuery = z.strictObject({ all: z.enum(['true', 'false']).optional() });
const expireBody = z.strictObject({ reason: z.string().max(500).optional() });

export async function silenceRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store, config } = deps;
  const clock = { now: deps.now };
  app.get('/api/silences', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const q = parse(listQuery, request.query, 'query');
    const now = new Date(deps.now());
    const list = await store.silences.list({ now, all: q.all === 'true' });
    return { silences: list.map((s) => silenceView(s, now, config.timezone)) };
  });

  app.post('/api/silences', async (request, reply) => {
    if (!need(request, reply, 'trigger')) return;
    const body = parse(silenceBody, request.body, 'body');
    const silence = await createSilence(
      { config, store, clock },
      {
        matchers: body.matchers,
        startsAt: body.startsAt,
        endsAt: body.endsAt,
        durationMs: body.duration,
        schedule: body.schedule,
        timeZone: body.timeZone,
        reason: body.reason,
        actor: request.principal!.name,
        source: 'api',
      },
    );
    return reply.code(201).send(silenceView(silence, new Date(deps.now()), config.timezone));
  });

  app.delete<{ Params: { id: string } }>('/api/silences/:id', async (request, reply) => {
    if (!need(request, reply, 'trigger')) return;
    const body = parse(expireBody, request.body ?? {}, 'body');
    const silence = await expireSilence(
      { config, store, clock },
      { id: request.params.id, actor: request.principal!.name, source: 'api', reason: body.reason },
    );
    return silenceView(silence, new Date(deps.now()), config.timezone);
  });
}
