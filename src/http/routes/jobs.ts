/** /api/jobs: each job with its schedule and last run; manual triggers; pause and resume. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findJob, jobsOverview, setJobPaused, triggerRun } from '../../actions.js';
import { jobTypes } from '../../jobs/index.js';
import { redactValue } from '../../observability/redact.js';
import { requestParams } from '../../run-request.js';
import { need, parse, type ApiDeps } from '../common.js';

const triggerBody = z.strictObject({
  params: requestParams.default({}),
  reason: z.string().max(2000).optional(),
});
const pauseBody = z.strictObject({ reason: z.string().max(2000).optional() });

export async function jobRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const { config, store } = deps;

  app.get('/api/jobs', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    return (await jobsOverview(config, store)).map(({ job, timezone, nextRun, lastRun, paused, destructive }) => ({
      id: job.id,
      type: job.type,
      summary: job.summary ?? jobTypes.get(job.type)?.summary,
      schedule: job.schedule ?? null,
      timezone,
      enabled: job.enabled,
      paused,
      destructive,
      nextRun: nextRun?.toISOString() ?? null,
      lastRun: lastRun
        ? { id: lastRun.id, status: lastRun.status, at: lastRun.createdAt.toISOString(), summary: lastRun.summary }
        : null,
      params: redactValue(job.params),
      // What a trigger may tune (the trigger boundary); any other param needs an admin token.
      overridable: jobTypes.get(job.type)?.overridable ?? [],
    }));
  });

  app.post<{ Params: { id: string } }>('/api/jobs/:id/runs', async (request, reply) => {
    // The scope first: who may not trigger learns nothing about jobs, not even which exist.
    if (!need(request, reply, 'trigger')) return;
    const job = findJob(config, request.params.id);
    const body = parse(triggerBody, request.body, 'body');
    // Destructive runs and overrides of config-only params need admin (checkTrigger says which).
    const queueId = await triggerRun(deps, {
      jobId: job.id,
      params: body.params,
      reason: body.reason,
      actor: request.principal!.name,
      source: 'api',
      scope: request.principal!.scope,
    });
    return reply.code(202).send({ runId: queueId, job: job.id, status: 'queued' });
  });

  for (const action of ['pause', 'resume'] as const) {
    app.post<{ Params: { id: string } }>(`/api/jobs/:id/${action}`, async (request, reply) => {
      if (!need(request, reply, 'admin')) return;
      const job = findJob(config, request.params.id);
      const body = parse(pauseBody, request.body, 'body');
      await setJobPaused(deps, job.id, action === 'pause', request.principal!.name, 'api', body.reason);
      return { job: job.id, paused: action === 'pause' };
    });
  }
}
