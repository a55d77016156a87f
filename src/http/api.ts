/**
 * /api: jobs, runs, manual triggers, pause/resume and the audit trail. Every route names
 * the scope it needs; bodies and queries are parsed with zod and refused with 400 naming
 * the field. Nothing here runs a job: triggers go through the queue like any other.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { findJob, jobsOverview, setJobPaused, triggerRun, type ActionDeps } from '../actions.js';
import { requestParams } from '../run-request.js';
import { MAX_REPORT_PERIOD_MS } from '../limits.js';
import { formatIssues } from '../config/load.js';
import { jobTypes } from '../jobs/index.js';
import { redactValue } from '../observability/redact.js';
import { FileStorage } from '../integrations/storage.js';
import { deliveriesOf } from '../reports/deliver/outbox.js';
import { getIncident, incidentEventsOf, listIncidents } from '../incidents/manager.js';
import { getReport, listReports, type ReportRecord } from '../reports/deliver/stored.js';
import { reportKinds } from '../config/schema.js';
import { listAudit, writeAudit } from '../store/audit.js';
import { produceReport } from '../reports/publish.js';
import type { Store } from '../store/index.js';
import { attemptsOf, getRun } from '../store/runs.js';
import type { RunWorker } from '../worker.js';
import { allows, type Principal, type Scope } from './auth.js';

export interface ApiDeps extends ActionDeps {
  store: Store;
  worker: RunWorker | null;
  /** A mail was queued: send it now rather than at the next poll. */
  onMailQueued?: () => void;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** A 400 whose message names each bad field. */
export class BadRequest extends Error {
  readonly statusCode = 400;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new BadRequest(formatIssues(schema, result.error, value, [where]).join('; '));
  return result.data;
}

function need(request: FastifyRequest, reply: FastifyReply, scope: Scope): boolean {
  if (request.principal && allows(request.principal, scope)) return true;
  void reply.code(403).send({ error: 'forbidden', message: `this needs the ${scope} scope; token "${request.principal?.name}" has ${request.principal?.scope}` });
  return false;
}

const triggerBody = z.strictObject({
  params: requestParams.default({}),
  reason: z.string().max(2000).optional(),
});
const pauseBody = z.strictObject({ reason: z.string().max(2000).optional() });
const runsQuery = z.strictObject({
  job: z.string().max(100).optional(),
  status: z.enum(['running', 'ok', 'warning', 'critical', 'failed', 'timeout', 'missed', 'cancelled', 'skipped']).optional(),
  trigger: z.enum(['schedule', 'manual', 'catch-up', 'retry']).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
const auditQuery = z.strictObject({
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

const reportsQuery = z.strictObject({
  kind: z.enum(reportKinds).optional(),
  before: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const incidentsQuery = z.strictObject({
  status: z.enum(['open', 'resolved']).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const reportBody = z.strictObject({
  kind: z.enum(reportKinds),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  /** Length of the period in ms when from is not given (at most 366 days). */
  period: z.number().int().positive().max(MAX_REPORT_PERIOD_MS, { error: `must be at most ${MAX_REPORT_PERIOD_MS} (366 days)` }).optional(),
  incident: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, { error: 'must be an incident id' }).optional(),
  email: z.boolean().default(false),
});

const REPORT_BUILDS = 2;

const reportJson = (r: ReportRecord) => ({
  id: r.id, kind: r.kind, title: r.title, status: r.status, createdAt: r.createdAt.toISOString(),
  period: { from: r.periodFrom.toISOString(), to: r.periodTo.toISOString(), timezone: r.timezone },
  runId: r.runId, bytes: r.bytes, sha256: r.sha256, summary: r.summary, pdf: `/api/reports/${encodeURIComponent(r.id)}/pdf`,
});

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  const { config, store } = deps;

  app.get('/api/jobs', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    return (await jobsOverview(config, store)).map(({ job, timezone, nextRun, lastRun, paused, destructive }) => ({
      id: job.id, type: job.type, summary: job.summary ?? jobTypes.get(job.type)?.summary, schedule: job.schedule ?? null, timezone,
      enabled: job.enabled, paused, destructive, nextRun: nextRun?.toISOString() ?? null,
      lastRun: lastRun ? { id: lastRun.id, status: lastRun.status, at: lastRun.createdAt.toISOString(), summary: lastRun.summary } : null,
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
    const queueId = await triggerRun(deps, { jobId: job.id, params: body.params, reason: body.reason, actor: request.principal!.name, source: 'api', scope: request.principal!.scope });
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

  app.get('/api/runs', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const q = parse(runsQuery, request.query, 'query');
    const runs = await store.runPages.list({ ...q, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
    return reply.type('application/json; charset=utf-8').send(`{"runs":${runs},"limit":${q.limit},"offset":${q.offset}}`);
  });

  app.get<{ Params: { id: string } }>('/api/runs/:id', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const run = await getRun(store.sql, request.params.id);
    if (!run) return reply.code(404).send({ error: 'not found', message: `no run "${request.params.id}"` });
    const attempts = run.queueId ? await attemptsOf(store.sql, run.queueId) : [run];
    return { ...run, progress: deps.worker?.progress().get(run.id) ?? null, attempts: attempts.map((a) => ({ id: a.id, attempt: a.attempt, status: a.status, error: a.error })) };
  });

  app.get('/api/incidents', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const q = parse(incidentsQuery, request.query, 'query');
    return { incidents: await listIncidents(store.sql, q) };
  });

  app.get<{ Params: { id: string } }>('/api/incidents/:id', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const incident = await getIncident(store.sql, request.params.id);
    if (!incident) return reply.code(404).send({ error: 'not found', message: `no incident "${request.params.id}"` });
    return { ...incident, events: await incidentEventsOf(store.sql, request.params.id) };
  });

  app.get('/api/reports', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const q = parse(reportsQuery, request.query, 'query');
    const reports = await listReports(store.sql, { kind: q.kind, limit: q.limit, before: q.before ? new Date(q.before) : undefined });
    return { reports: reports.map(reportJson) };
  });

  // Builds a report now (the same path as the report jobs): 201 with it, PDF at its pdf path.
  // At most REPORT_BUILDS at once per process: a report holds the store and the CPU for seconds.
  let building = 0;
  app.post('/api/reports', async (request, reply) => {
    if (!need(request, reply, 'trigger')) return;
    const body = parse(reportBody, request.body, 'body');
    if (body.kind === 'incident' && !body.incident) throw new BadRequest('body.incident: missing — an incident report needs the incident id');
    if (building >= REPORT_BUILDS) {
      return reply.code(429).header('retry-after', '5').send({ error: 'busy', code: 'OPSCRON_BUSY', message: `${building} reports are being built; ask again in a few seconds` });
    }
    building++;
    const produced = await produceReport({ sql: store.sql, config, now: () => new Date() }, {
      kind: body.kind, from: body.from ? new Date(body.from) : undefined, to: body.to ? new Date(body.to) : undefined,
      lengthMs: body.period, incidentId: body.incident, email: body.email, origin: 'api',
    }).finally(() => building--);
    if (produced.delivery) deps.onMailQueued?.();
    await writeAudit(store.sql, { actor: request.principal!.name, source: 'api', action: 'report', jobId: null, params: { kind: body.kind, from: body.from, to: body.to, email: body.email }, reason: undefined });
    return reply.code(201).send({ ...reportJson(produced.record), delivery: produced.delivery });
  });

  app.get<{ Params: { id: string } }>('/api/reports/:id', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const report = await getReport(store.sql, request.params.id);
    if (!report) return reply.code(404).send({ error: 'not found', message: `no report "${request.params.id}"` });
    const deliveries = await deliveriesOf(store.sql, report.id);
    return { ...reportJson(report), deliveries: deliveries.map((d) => ({ ...d, sentAt: d.sentAt?.toISOString() ?? null })) };
  });

  app.get<{ Params: { id: string } }>('/api/reports/:id/pdf', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const report = await getReport(store.sql, request.params.id);
    if (!report) return reply.code(404).send({ error: 'not found', message: `no report "${request.params.id}"` });
    const storage = new FileStorage(config.reports.path);
    const size = await storage.size(report.storageKey);
    if (size === null) return reply.code(410).send({ error: 'gone', message: `report ${report.id} is indexed but its file ${report.storageKey} is missing from ${config.reports.path}` });
    return reply
      .type('application/pdf')
      .header('content-length', size)
      .header('etag', `"${report.sha256}"`)
      .header('content-disposition', `inline; filename="${report.id}.pdf"`)
      .send(storage.read(report.storageKey));
  });

  app.get('/api/audit', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const q = parse(auditQuery, request.query, 'query');
    return { entries: await listAudit(store.sql, q.since ? new Date(q.since) : undefined, q.limit) };
  });
}
