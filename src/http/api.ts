/**
 * /api: one Fastify plugin per resource (routes/). Every route names the scope it needs;
 * bodies and queries are parsed with zod and refused with 400 naming the field. Nothing
 * here runs a job: triggers go through the queue like any other.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './common.js';
import { alertRoutes } from './routes/alerts.js';
import { auditRoutes } from './routes/audit.js';
import { backupRoutes } from './routes/backups.js';
import { incidentRoutes } from './routes/incidents.js';
import { jobRoutes } from './routes/jobs.js';
import { reportRoutes } from './routes/reports.js';
import { runRoutes } from './routes/runs.js';
import { silenceRoutes } from './routes/silences.js';

export type { ApiDeps } from './common.js';

export function registerApi(app: FastifyInstance, deps: ApiDeps): void {
  for (const routes of [
    jobRoutes,
    runRoutes,
    incidentRoutes,
    reportRoutes,
    auditRoutes,
    backupRoutes,
    silenceRoutes,
    alertRoutes,
  ])
    void app.register(routes, deps);
}
