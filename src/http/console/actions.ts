/**
 * What the console's forms do: trigger, pause and resume a job, act on an incident. Each
 * goes through the same function the API calls, with the session's token name as the
 * actor, its scope as the API would take it, and `console` as the source in the audit log;
 * then a redirect (POST, redirect, GET), so reloading a page never repeats an action.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findJob, setJobPaused, triggerRun } from '../../actions.js';
import { systemClock } from '../../clock.js';
import { InvalidRunError } from '../../errors.js';
import { actOnIncident, INCIDENT_ACTIONS } from '../../incidents/lifecycle.js';
import { jobTypes } from '../../jobs/index.js';
import { parse } from '../common.js';
import { seg } from './html.js';
import { sessionOf, type ConsoleDeps } from './context.js';
import { paramsFromForm } from './trigger-form.js';

const triggerForm = z.object({ reason: z.string().trim().max(2000).optional() });
const pauseForm = z.object({ reason: z.string().trim().min(1, { error: 'say why' }).max(2000) });
const noteForm = z.object({ note: z.string().trim().max(2000).optional() });

const form = (body: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  return out;
};

export function actionRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const { config } = deps;

  app.post<{ Params: { id: string } }>('/jobs/:id/trigger', async (request, reply) => {
    const session = sessionOf(request, 'trigger');
    const job = findJob(config, request.params.id);
    const definition = jobTypes.get(job.type);
    if (!definition) throw new InvalidRunError(`job type "${job.type}" is not known to this opscron`);
    const fields = form(request.body);
    const reason = parse(triggerForm, fields, 'form').reason || undefined;
    const queueId = await triggerRun(deps, {
      jobId: job.id,
      params: paramsFromForm(definition, fields),
      reason,
      actor: session.principal.name,
      source: 'console',
      scope: session.principal.scope,
    });
    return reply
      .code(303)
      .header('location', `/runs/${seg(queueId)}`)
      .send();
  });

  for (const action of ['pause', 'resume'] as const)
    app.post<{ Params: { id: string } }>(`/jobs/:id/${action}`, async (request, reply) => {
      const session = sessionOf(request, 'admin');
      const job = findJob(config, request.params.id);
      const { reason } = parse(pauseForm, form(request.body), 'form');
      await setJobPaused(deps, job.id, action === 'pause', session.principal.name, 'console', reason);
      return reply
        .code(303)
        .header('location', `/jobs/${seg(job.id)}?notice=${action === 'pause' ? 'paused' : 'resumed'}`)
        .send();
    });

  for (const action of INCIDENT_ACTIONS)
    app.post<{ Params: { id: string } }>(`/incidents/:id/${action}`, async (request, reply) => {
      const session = sessionOf(request, 'trigger');
      const { note } = parse(noteForm, form(request.body), 'form');
      await actOnIncident(
        { ...deps, clock: { ...systemClock, now: deps.now } },
        { action, id: request.params.id, actor: session.principal.name, source: 'console', note: note || undefined },
      );
      return reply
        .code(303)
        .header('location', `/incidents/${seg(request.params.id)}`)
        .send();
    });
}
