/** The audit trail: who triggered, paused, resumed or destroyed what, from where, and why. */
import { redact, redactValue } from '../observability/redact.js';
import type { Sql } from './sql.js';

export type AuditSource = 'cli' | 'api' | 'queue' | 'scheduler' | 'incident';

export interface AuditEntry {
  actor: string;
  source: AuditSource;
  action: string;
  jobId?: string | null;
  params?: unknown;
  reason?: string | null;
}

export interface AuditRow extends Required<AuditEntry> {
  id: number;
  at: Date;
}

export async function writeAudit(sql: Sql, entry: AuditEntry): Promise<void> {
  await sql.query('insert into audit_log (actor, source, action, job_id, params, reason) values ($1, $2, $3, $4, $5, $6)', [
    redact(entry.actor), entry.source, entry.action, entry.jobId ?? null,
    entry.params === undefined ? null : JSON.stringify(redactValue(entry.params)), entry.reason ? redact(entry.reason) : null,
  ]);
}

export async function listAudit(sql: Sql, since?: Date, limit = 200): Promise<AuditRow[]> {
  const { rows } = await sql.query(
    'select * from audit_log where at >= $1 order by at desc, id desc limit $2',
    [(since ?? new Date(0)).toISOString(), limit],
  );
  return rows.map((r) => ({ id: r.id as number, at: r.at as Date, actor: r.actor as string, source: r.source as AuditSource, action: r.action as string, jobId: (r.job_id as string) ?? null, params: r.params ?? null, reason: (r.reason as string) ?? null }));
}
