/** /api/runs: the run history, paged; one run with its findings, attempts and live progress. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { RUN_STATUSES, TRIGGERS } from '../../model.js';
import { need, notFound, parse, type ApiDeps } from '../common.js';

const runsQuery = z.strictObject({
  job: z.string().max(100).optional(),
  status: z.enum(RUN_STATUSES).optional(),
  trigger: z.enum(TRIGGERS).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

export async function runRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { store } = deps;

  app.get('/api/runs', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const q = parse(runsQuery, request.query, 'query');
    const runs = await store.runPages.list({
      ...q,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
    });
    return reply
      .type('application/json; charset=utf-8')
      .send(`{"runs":${runs},"limit":${q.limit},"offset":${q.offset}}`);
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const run = await store.runs.get(request.params.id);
    if (!run) return notFound(reply, `run "${request.params.id}"`);
    const attempts = run.queueId ? await store.runs.attempts(run.queueId) : [run];
    return {
      ...run,
      progress: deps.worker?.progress().get(run.id) ?? null,
      attempts: attempts.map((a) => ({ id: a.id, attempt: a.attempt, status: a.status, error: a.error })),
    };
  });
}
