/**
 * The records list, history, audit, run and backups show, read from a running opscron's
 * API and made the same rows the store gives (the same keys, in the same order, the same
 * types), so that what is printed does not depend on where it came from.
 */
import { z } from 'zod';
import type { BackupListing } from '../backups.js';
import { AUDIT_SOURCES, RUN_STATUSES, TRIGGERS, type Finding, type RunRow, type TargetResult } from '../model.js';
import type { AuditRow } from '../store/audit.js';
import type { RunProgress } from '../run-context.js';
import { getJson, type Server } from './remote.js';
import type { JobLine } from './views.js';

const instant = z.coerce.date();
const maybeInstant = z.coerce
  .date()
  .nullish()
  .transform((d) => d ?? null);
const text = z
  .string()
  .nullish()
  .transform((s) => s ?? null);

/** A run as GET /api/runs/:id answers it (whole), or as a page of GET /api/runs has it (no findings, no params). */
const runSchema = z.object({
  id: z.string(),
  queueId: text,
  jobId: z.string(),
  jobType: z.string(),
  trigger: z.enum(TRIGGERS),
  scheduledFor: maybeInstant,
  createdAt: instant,
  startedAt: maybeInstant,
  finishedAt: maybeInstant,
  attempt: z.number(),
  status: z.enum(RUN_STATUSES),
  summary: text,
  findings: z.array(z.custom<Finding>((f) => typeof f === 'object' && f !== null)).default([]),
  metrics: z
    .record(z.string(), z.number())
    .nullish()
    .transform((m) => m ?? null),
  targets: z
    .array(z.custom<TargetResult>((t) => typeof t === 'object' && t !== null))
    .nullish()
    .transform((t) => t ?? null),
  error: text,
  params: z.unknown().default(null),
  requestedBy: text,
  reason: text,
  worker: text,
}) satisfies z.ZodType<RunRow>;

const progressSchema = z.object({ fraction: z.number(), note: z.string().optional() }).nullish();

const jobSchema = z.object({
  id: z.string(),
  type: z.string(),
  schedule: text,
  timezone: z.string(),
  enabled: z.boolean(),
  paused: z.boolean(),
  nextRun: maybeInstant,
  lastRun: z.object({ status: z.enum(RUN_STATUSES), at: instant }).nullable(),
}) satisfies z.ZodType<JobLine>;

const auditSchema = z.object({
  id: z.number(),
  at: instant,
  actor: z.string(),
  source: z.enum(AUDIT_SOURCES),
  action: z.string(),
  jobId: text,
  params: z.unknown().default(null),
  reason: text,
}) satisfies z.ZodType<AuditRow>;

const backupSchema = z.object({
  key: z.string(),
  kind: z.enum(['database', 'config']),
  source: z.string(),
  createdAt: instant,
  bytes: z.number(),
  encryption: z.enum(['all', 'none', 'secrets']),
  verification: z
    .object({ runId: z.string(), jobId: z.string(), status: z.enum(RUN_STATUSES), at: instant, summary: text })
    .nullable(),
}) satisfies z.ZodType<BackupListing>;

const query = (values: Record<string, string | number | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined) q.set(k, String(v));
  return q.size ? `?${q}` : '';
};

/** GET /api/jobs, as `opscron list` shows it. */
export async function jobsThroughApi(server: Server): Promise<JobLine[]> {
  return (await getJson(server, '/api/jobs', z.array(jobSchema)))!;
}

/** One run with its progress while it runs (GET /api/runs/:id); null while it has no row yet. */
export async function readRun(
  server: Server,
  id: string,
): Promise<{ run: RunRow; progress: RunProgress | null } | null> {
  const answer = await getJson(
    server,
    `/api/runs/${encodeURIComponent(id)}`,
    runSchema.extend({ progress: progressSchema }),
    'null',
  );
  if (!answer) return null;
  const { progress, ...run } = answer;
  return { run, progress: progress ?? null };
}

/**
 * Runs newest first (GET /api/runs). A page holds no findings or params; `whole` reads each
 * run as well (GET /api/runs/:id, a few at a time), for `history --json`.
 */
export async function runsThroughApi(
  server: Server,
  filter: { job?: string; limit: number },
  whole: boolean,
): Promise<RunRow[]> {
  const page = (await getJson(server, `/api/runs${query(filter)}`, z.object({ runs: z.array(runSchema) })))!.runs;
  if (!whole) return page;
  const out: RunRow[] = new Array<RunRow>(page.length);
  let next = 0;
  const reader = async () => {
    for (let i = next++; i < page.length; i = next++) out[i] = (await readRun(server, page[i]!.id))?.run ?? page[i]!;
  };
  await Promise.all(Array.from({ length: Math.min(8, page.length) }, reader));
  return out;
}

/** GET /api/audit. */
export async function auditThroughApi(server: Server, since: Date, limit: number): Promise<AuditRow[]> {
  const path = `/api/audit${query({ since: since.toISOString(), limit })}`;
  return (await getJson(server, path, z.object({ entries: z.array(auditSchema) })))!.entries;
}

/** GET /api/backups. */
export async function backupsThroughApi(server: Server, database?: string): Promise<BackupListing[]> {
  const path = `/api/backups${query({ database })}`;
  return (await getJson(server, path, z.object({ backups: z.array(backupSchema) })))!.backups;
}
