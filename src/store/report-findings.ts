/**
 * The findings, run counts, successes and audit entries reports read: what failed and why,
 * how each job ran, when backups last succeeded, what people did. Same SQL on PostgreSQL
 * and SQLite (dialect.ts); which job types count is given by the caller (their declared feeds).
 */
import type { Period } from '../model.js';
import { dialectOf, type Dialect } from './dialect.js';
import type { Sql } from './sql.js';

export interface JobRunSummary {
  job: string;
  type: string;
  total: number;
  ok: number;
  warning: number;
  critical: number;
  failed: number;
  missed: number;
  /** timeout, cancelled, skipped */
  other: number;
}

export interface FailingCheck {
  resource: string;
  check: string;
  severity: 'warning' | 'critical';
  count: number;
  lastAt: Date;
  lastMessage: string;
  remedy?: string;
}

export interface FindingRow {
  at: Date;
  job: string;
  severity: string;
  check: string;
  resource: string;
  message: string;
  remedy?: string;
}

/** A member of a finding (alias f, from `d.elements`). */
function findingField(sql: Sql): { d: Dialect; f: string; field: (name: string) => string } {
  const d = dialectOf(sql);
  const f = d.element('f');
  return { d, f, field: (name) => d.member(f, `'${name}'`) };
}

export async function failingChecks(sql: Sql, period: Period, limit = 50): Promise<FailingCheck[]> {
  const { d, f, field } = findingField(sql);
  const { rows } = await sql.query<Omit<FailingCheck, 'remedy'> & { remedy: string | null }>(
    `select ${field('resource')} as resource, ${field('check')} as "check", ${field('severity')} as severity, count(*)::int as count,
            max(r.created_at) as "lastAt",
            ${d.newest(field('message'), 'r.created_at')} as "lastMessage",
            ${d.newest(field('remedy'), 'r.created_at', d.has(f, "'remedy'"))} as remedy
       from ${d.elements('runs', 'r', 'findings', 'f')}
      where r.created_at >= $1 and r.created_at < $2 and r.findings <> '[]'::jsonb and ${d.configured('r.params')}
        and ${field('severity')} in ('warning', 'critical')
      group by 1, 2, 3
      order by ${field('severity')} = 'critical' desc, count(*) desc, 1, 2
      limit $3`,
    [period.from, period.to, limit],
  );
  return rows.map((r) => ({ ...r, lastAt: new Date(r.lastAt), remedy: r.remedy ?? undefined }));
}

/** Runs that did not end ok, with their findings, for the job types given (newest first). */
export async function findingsOf(
  sql: Sql,
  period: Period,
  jobTypes: readonly string[],
  limit = 100,
  resourcePrefix?: string,
): Promise<FindingRow[]> {
  const { d, field } = findingField(sql);
  const { rows } = await sql.query<{
    at: Date;
    job: string;
    severity: string;
    check: string;
    resource: string;
    message: string;
    remedy: string | null;
  }>(
    `select r.created_at as at, r.job_id as job, ${field('severity')} as severity, ${field('check')} as "check",
            ${field('resource')} as resource, ${field('message')} as message, ${field('remedy')} as remedy
       from ${d.elements('runs', 'r', 'findings', 'f')}
      where r.job_type = any($3) and r.created_at >= $1 and r.created_at < $2 and r.findings <> '[]'::jsonb
        and ${d.configured('r.params')} and ($5::text is null or substr(${field('resource')}, 1, length($5)) = $5)
      order by r.created_at desc
      limit $4`,
    [period.from, period.to, jobTypes, limit, resourcePrefix ?? null],
  );
  return rows.map((r) => ({ ...r, at: new Date(r.at), remedy: r.remedy ?? undefined }));
}

export async function jobRunSummary(sql: Sql, period: Period): Promise<JobRunSummary[]> {
  const { rows } = await sql.query<JobRunSummary>(
    `select job_id as job, min(job_type) as type, count(*)::int as total,
            (count(*) filter (where status = 'ok'))::int as ok,
            (count(*) filter (where status = 'warning'))::int as warning,
            (count(*) filter (where status = 'critical'))::int as critical,
            (count(*) filter (where status = 'failed'))::int as failed,
            (count(*) filter (where status = 'missed'))::int as missed,
            (count(*) filter (where status in ('timeout', 'cancelled', 'skipped')))::int as other
       from runs
      where created_at >= $1 and created_at < $2 and status <> 'running'
      group by job_id
      order by job_id`,
    [period.from, period.to],
  );
  return rows.sort((a, b) => a.job.localeCompare(b.job, 'en', { numeric: true }));
}

/** The latest run of the job types given that ended with a verdict, in the period. */
export async function latestRunOf(
  sql: Sql,
  period: Period,
  jobTypes: readonly string[],
): Promise<{ id: string; createdAt: Date; findings: unknown[] } | null> {
  const { rows } = await sql.query<{ id: string; created_at: Date; findings: unknown[] }>(
    `select id, created_at, findings from runs
      where job_type = any($3) and created_at >= $1 and created_at < $2 and status in ('ok', 'warning', 'critical')
        and ${dialectOf(sql).configured('params')}
      order by created_at desc limit 1`,
    [period.from, period.to, jobTypes],
  );
  const row = rows[0];
  return row ? { id: row.id, createdAt: new Date(row.created_at), findings: row.findings } : null;
}

/** The last ok/warning run of each job of the given types, up to `at`. */
export async function lastSuccessOf(
  sql: Sql,
  jobTypes: readonly string[],
  at: Date,
): Promise<Array<{ job: string; at: Date }>> {
  const { rows } = await sql.query<{ job: string; at: Date }>(
    `select job_id as job, max(coalesce(finished_at, created_at)) as at from runs
      where job_type = any($1) and status in ('ok', 'warning') and created_at < $2
      group by job_id`,
    [jobTypes, at],
  );
  return rows.map((r) => ({ job: r.job, at: new Date(r.at) }));
}

export async function destructiveActions(
  sql: Sql,
  period: Period,
): Promise<
  Array<{ at: Date; actor: string; source: string; action: string; job: string | null; reason: string | null }>
> {
  const { rows } = await sql.query<{
    at: Date;
    actor: string;
    source: string;
    action: string;
    job: string | null;
    reason: string | null;
  }>(
    `select at, actor, source, action, job_id as job, reason from audit_log
      where at >= $1 and at < $2 and (action like '%destructive%' or action in ('restore', 'pause', 'resume'))
      order by at`,
    [period.from, period.to],
  );
  return rows.map((r) => ({ ...r, at: new Date(r.at) }));
}

/** The audit entries about the given jobs in a window (what people did during an incident). */
export async function auditFor(
  sql: Sql,
  period: Period,
  jobs: readonly string[],
): Promise<Array<{ at: Date; actor: string; action: string; job: string | null; reason: string | null }>> {
  const { rows } = await sql.query<{
    at: Date;
    actor: string;
    action: string;
    job: string | null;
    reason: string | null;
  }>(
    `select at, actor, action, job_id as job, reason from audit_log where at >= $1 and at < $2 and job_id = any($3) order by at`,
    [period.from, period.to, jobs],
  );
  return rows.map((r) => ({ ...r, at: new Date(r.at) }));
}
