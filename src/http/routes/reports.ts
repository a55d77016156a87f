/** /api/reports: stored reports, one with its deliveries, its PDF, and a report built now. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { openStorage } from '../../integrations/storage-open.js';
import { MAX_REPORT_PERIOD_MS } from '../../limits.js';
import { REPORT_KINDS } from '../../model.js';
import { produceReport } from '../../reports/publish.js';
import type { ReportRecord } from '../../store/reports.js';
import { BadRequest, need, notFound, parse, type ApiDeps } from '../common.js';

const reportsQuery = z.strictObject({
  kind: z.enum(REPORT_KINDS).optional(),
  before: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

const reportBody = z.strictObject({
  kind: z.enum(REPORT_KINDS),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  /** Length of the period in ms when from is not given (at most 366 days). */
  period: z
    .number()
    .int()
    .positive()
    .max(MAX_REPORT_PERIOD_MS, { error: `must be at most ${MAX_REPORT_PERIOD_MS} (366 days)` })
    .optional(),
  incident: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, { error: 'must be an incident id' })
    .optional(),
  email: z.boolean().default(false),
});

/** Reports built at once through the API, per process: each holds the store and a CPU for seconds. */
const REPORT_BUILDS = 2;

const reportJson = (r: ReportRecord) => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  status: r.status,
  createdAt: r.createdAt.toISOString(),
  period: { from: r.periodFrom.toISOString(), to: r.periodTo.toISOString(), timezone: r.timezone },
  runId: r.runId,
  bytes: r.bytes,
  sha256: r.sha256,
  summary: r.summary,
  pdf: `/api/reports/${encodeURIComponent(r.id)}/pdf`,
});

export async function reportRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  listRoutes(app, deps);
  buildRoute(app, deps);
  fileRoutes(app, deps);
}

/** GET /api/reports and GET /api/reports/:id (with its deliveries). */
function listRoutes(app: FastifyInstance, { store }: ApiDeps): void {
  app.get('/api/reports', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const q = parse(reportsQuery, request.query, 'query');
    const reports = await store.reports.list({
      kind: q.kind,
      limit: q.limit,
      before: q.before ? new Date(q.before) : undefined,
    });
    return { reports: reports.map(reportJson) };
  });

  app.get<{ Params: { id: string } }>('/api/reports/:id', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const report = await store.reports.get(request.params.id);
    if (!report) return notFound(reply, `report "${request.params.id}"`);
    const deliveries = await store.deliveries.ofReport(report.id);
    return {
      ...reportJson(report),
      deliveries: deliveries.map((d) => ({ ...d, sentAt: d.sentAt?.toISOString() ?? null })),
    };
  });
}

/** POST /api/reports: builds a report now (the same path as the report jobs): 201 with it, PDF at its pdf path. */
function buildRoute(app: FastifyInstance, deps: ApiDeps): void {
  const { config, store } = deps;
  let building = 0;
  app.post('/api/reports', async (request, reply) => {
    if (!need(request, reply, 'trigger')) return;
    const body = parse(reportBody, request.body, 'body');
    if (body.kind === 'incident' && !body.incident)
      throw new BadRequest('body.incident: missing — an incident report needs the incident id');
    if (building >= REPORT_BUILDS) {
      return reply
        .code(429)
        .header('retry-after', '5')
        .send({
          error: 'busy',
          code: 'OPSCRON_BUSY',
          message: `${building} reports are being built; ask again in a few seconds`,
        });
    }
    building++;
    const produced = await produceReport(
      { store, config, feeds: deps.feeds, now: () => new Date() },
      {
        kind: body.kind,
        from: body.from ? new Date(body.from) : undefined,
        to: body.to ? new Date(body.to) : undefined,
        lengthMs: body.period,
        incidentId: body.incident,
        email: body.email,
        origin: 'api',
      },
    ).finally(() => building--);
    if (produced.delivery) deps.onMailQueued?.();
    await store.audit.write({
      actor: request.principal!.name,
      source: 'api',
      action: 'report',
      jobId: null,
      params: { kind: body.kind, from: body.from, to: body.to, email: body.email },
      reason: undefined,
    });
    return reply.code(201).send({ ...reportJson(produced.record), delivery: produced.delivery });
  });
}

/** GET /api/reports/:id/pdf: the stored file, with its checksum as ETag; 410 if it is gone from storage. */
function fileRoutes(app: FastifyInstance, { config, store }: ApiDeps): void {
  app.get<{ Params: { id: string } }>('/api/reports/:id/pdf', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const report = await store.reports.get(request.params.id);
    if (!report) return notFound(reply, `report "${request.params.id}"`);
    const storage = openStorage(config, 'reports');
    const size = await storage.size(report.storageKey);
    if (size === null)
      return reply.code(410).send({
        error: 'gone',
        message: `report ${report.id} is indexed but its file ${report.storageKey} is missing from ${storage.location}`,
      });
    return reply
      .type('application/pdf')
      .header('content-length', size)
      .header('etag', `"${report.sha256}"`)
      .header('content-disposition', `inline; filename="${report.id}.pdf"`)
      .send(await storage.read(report.storageKey));
  });
}
