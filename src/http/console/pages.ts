/** The console's pages (GET): overview, job, run, incidents, reports, audit. Each reads what the API would, no more. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findJob, isDestructive } from '../../actions.js';
import { jobTypes } from '../../jobs/index.js';
import { RUN_STATUSES, TRIGGERS } from '../../model.js';
import { OpscronError } from '../../errors.js';
import { parse } from '../common.js';
import { html, seg } from './html.js';
import { sessionOf, type ConsoleDeps } from './context.js';
import { page } from './layout.js';
import { overviewData, scheduleOf } from './overview-data.js';
import { sendPage } from './respond.js';
import { auditView } from './views/audit.js';
import { incidentsView, incidentView } from './views/incidents.js';
import { jobView } from './views/job.js';
import { reportsView, reportView } from './views/reports.js';
import { runView } from './views/run.js';

const PAGE = 50;
const CURSOR = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)~(\d{1,3})$/;
const historyQuery = z.strictObject({
  status: z.union([z.enum(RUN_STATUSES), z.literal('')]).optional(),
  trigger: z.union([z.enum(TRIGGERS), z.literal('')]).optional(),
  before: z.string().regex(CURSOR, { error: 'must be a cursor from an "Older runs" link' }).optional(),
  notice: z.enum(['paused', 'resumed']).optional(),
});
const missing = (what: string) => new OpscronError('OPSCRON_NOT_FOUND', `no ${what}`);
const NOTICES = { paused: 'Schedule paused.', resumed: 'Schedule resumed.' } as const;

export function readRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  jobPages(app, deps);
  runPage(app, deps);
  recordPages(app, deps);
}

/** The overview and a job's page. */
function jobPages(app: FastifyInstance, deps: ConsoleDeps): void {
  const { store, config } = deps;

  app.get('/', async (request, reply) => {
    const session = sessionOf(request);
    return sendPage(request, reply, page('Overview', session, (await overviewData(deps)).view));
  });

  app.get<{ Params: { id: string } }>('/jobs/:id', async (request, reply) => {
    const session = sessionOf(request);
    const job = findJob(config, request.params.id);
    const q = parse(historyQuery, request.query, 'query');
    const filter = { status: q.status || undefined, trigger: q.trigger || undefined };
    const cursor = q.before ? CURSOR.exec(q.before) : null;
    const [runs, states] = await Promise.all([
      store.runViews.history({
        jobId: job.id,
        ...filter,
        after: cursor ? { createdAt: new Date(cursor[1]!), attempt: Number(cursor[2]) } : undefined,
        limit: PAGE + 1,
      }),
      store.schedules.load(job.id),
    ]);
    const last = runs.length > PAGE ? runs[PAGE - 1]! : null;
    const older = last
      ? `/jobs/${seg(job.id)}?${new URLSearchParams({ ...(filter.status ? { status: filter.status } : {}), ...(filter.trigger ? { trigger: filter.trigger } : {}), before: `${last.createdAt.toISOString()}~${last.attempt}` }).toString()}`
      : null;
    const { words, timeZone, nextRun } = scheduleOf(job, config, deps.now());
    const view = jobView({
      session,
      job,
      definition: jobTypes.get(job.type),
      words,
      timeZone,
      nextRun,
      paused: states.get(job.id)?.paused ?? false,
      destructive: isDestructive(job),
      now: deps.now(),
      filter,
      runs: runs.slice(0, PAGE),
      older,
      notice: q.notice ? NOTICES[q.notice] : null,
    });
    return sendPage(request, reply, page(job.id, session, view));
  });
}

/** A run, live while it runs (or is queued). */
function runPage(app: FastifyInstance, deps: ConsoleDeps): void {
  const { store, config } = deps;
  app.get<{ Params: { id: string } }>('/runs/:id', async (request, reply) => {
    const session = sessionOf(request);
    const id = request.params.id;
    const run = await store.runs.get(id);
    const queued = run ? null : /^(.+)__m[0-9a-f]{16}$/.exec(id);
    if (!run && !(queued && config.jobs.some((j) => j.id === queued[1]))) throw missing(`run "${id}"`);
    const attempts = run?.queueId ? await store.runs.attempts(run.queueId) : run ? [run] : [];
    const view = runView({
      id,
      run,
      jobId: run?.jobId ?? queued![1]!,
      attempts,
      progress: deps.worker?.progress().get(id) ?? null,
      timeZone: config.timezone,
    });
    return sendPage(
      request,
      reply,
      page(`Run ${id}`, session, view, { live: !run || run.status === 'running' ? id : undefined }),
    );
  });
}

/** Incidents, reports and the audit trail. */
function recordPages(app: FastifyInstance, { store, config }: ConsoleDeps): void {
  const zone = config.timezone;
  app.get('/incidents', async (request, reply) => {
    const session = sessionOf(request);
    const list = await store.incidents.list({ limit: 200 });
    return sendPage(request, reply, page('Incidents', session, incidentsView(list, zone)));
  });

  app.get<{ Params: { id: string } }>('/incidents/:id', async (request, reply) => {
    const session = sessionOf(request);
    const incident = await store.incidents.get(request.params.id);
    if (!incident) throw missing(`incident "${request.params.id}"`);
    const [events, notifications] = await Promise.all([
      store.incidents.events(request.params.id),
      store.deliveries.ofIncident(request.params.id),
    ]);
    const view = incidentView({ incident, events, notifications, session, timeZone: zone });
    return sendPage(request, reply, page(String(incident.title), session, view));
  });

  app.get('/reports', async (request, reply) => {
    const session = sessionOf(request);
    return sendPage(
      request,
      reply,
      page('Reports', session, reportsView(await store.reports.list({ limit: 200 }), zone)),
    );
  });

  app.get<{ Params: { id: string } }>('/reports/:id', async (request, reply) => {
    const session = sessionOf(request);
    const report = await store.reports.get(request.params.id);
    if (!report) throw missing(`report "${request.params.id}"`);
    const deliveries = await store.deliveries.ofReport(report.id);
    return sendPage(request, reply, page(report.title, session, reportView(report, deliveries, zone)));
  });

  app.get('/audit', async (request, reply) => {
    const session = sessionOf(request);
    const entries = await store.audit.list(undefined, 300);
    return sendPage(request, reply, page('Audit', session, html`${auditView(entries, zone, null)}`));
  });
}
