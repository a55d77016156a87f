/**
 * Reports on storage: the PDF under <root>/<kind>/<yyyy>/<mm>/<id>.pdf, indexed in the
 * `reports` table with its checksum and size; retention by age and by count per kind.
 */
import { randomBytes } from 'node:crypto';
import type { ReportKind } from '../../config/schema.js';
import type { FileStorage } from '../../integrations/storage.js';
import { pgJson } from '../../store/copy.js';
import type { Sql } from '../../store/sql.js';
import type { Period, ReportSummary } from '../types.js';
import { compactUtc, utcDatePath } from '../../clock.js';

export interface ReportRecord {
  id: string;
  kind: ReportKind;
  title: string;
  periodFrom: Date;
  periodTo: Date;
  timezone: string;
  createdAt: Date;
  runId: string | null;
  storageKey: string;
  bytes: number;
  sha256: string;
  status: 'ok' | 'warning' | 'critical';
  summary: ReportSummary;
}


export type ReportOrigin = 'job' | 'incident' | 'api' | 'cli';

export function newReportId(kind: ReportKind, at: Date): string {
  return `${kind}-${compactUtc(at)}-${randomBytes(3).toString('hex')}`;
}

export async function storeReport(sql: Sql, storage: FileStorage, input: { id: string; kind: ReportKind; title: string; period: Period; createdAt: Date; runId?: string; origin: ReportOrigin; status: ReportRecord['status']; summary: ReportSummary; pdf: Buffer }): Promise<ReportRecord> {
  const at = input.createdAt;
  const key = `${input.kind}/${utcDatePath(at).slice(0, 7)}/${input.id}.pdf`;
  const stored = await storage.put(key, input.pdf);
  const record: ReportRecord = {
    id: input.id, kind: input.kind, title: input.title, periodFrom: input.period.from, periodTo: input.period.to, timezone: input.period.timeZone,
    createdAt: at, runId: input.runId ?? null, storageKey: key, bytes: stored.bytes, sha256: stored.sha256, status: input.status, summary: input.summary,
  };
  try {
    await sql.query(
      `insert into reports (id, kind, title, period_from, period_to, timezone, created_at, run_id, storage_key, bytes, sha256, status, summary, origin)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [record.id, record.kind, record.title, record.periodFrom, record.periodTo, record.timezone, record.createdAt, record.runId, key, record.bytes, record.sha256, record.status, pgJson(record.summary), input.origin],
    );
  } catch (error) {
    await storage.remove(key).catch(() => {});
    throw error;
  }
  return record;
}

interface ReportRow {
  id: string; kind: ReportKind; title: string; period_from: Date; period_to: Date; timezone: string; created_at: Date;
  run_id: string | null; storage_key: string; bytes: number; sha256: string; status: ReportRecord['status']; summary: ReportSummary;
}

const toRecord = (r: ReportRow): ReportRecord => ({
  id: r.id, kind: r.kind, title: r.title, periodFrom: new Date(r.period_from), periodTo: new Date(r.period_to), timezone: r.timezone,
  createdAt: new Date(r.created_at), runId: r.run_id, storageKey: r.storage_key, bytes: r.bytes, sha256: r.sha256, status: r.status, summary: r.summary,
});

export async function getReport(sql: Sql, id: string): Promise<ReportRecord | null> {
  const { rows } = await sql.query<ReportRow>('select * from reports where id = $1', [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function listReports(sql: Sql, filter: { kind?: string; limit: number; before?: Date }): Promise<ReportRecord[]> {
  const { rows } = await sql.query<ReportRow>(
    `select * from reports where ($1::text is null or kind = $1) and ($2::timestamptz is null or created_at < $2) order by created_at desc, id desc limit $3`,
    [filter.kind ?? null, filter.before ?? null, filter.limit],
  );
  return rows.map(toRecord);
}

/**
 * Deletes reports past the maximum age, and beyond the newest `maxCount` of each kind —
 * counted apart for reports made by hand (API, CLI: `maxAdhoc`), so asking for reports
 * never pushes the scheduled ones out.
 */
export async function applyRetention(sql: Sql, storage: FileStorage, policy: { maxAge: number; maxCount: number; maxAdhoc: number }, now: Date): Promise<number> {
  const { rows } = await sql.query<{ id: string; storage_key: string }>(
    `delete from reports where id in (
       select id from (
         select id, created_at, origin in ('api', 'cli') as adhoc,
                row_number() over (partition by kind, origin in ('api', 'cli') order by created_at desc, id desc) as n
           from reports) ranked
        where created_at < $1 or n > case when adhoc then $3::int else $2::int end)
     returning id, storage_key`,
    [new Date(now.getTime() - policy.maxAge), policy.maxCount, policy.maxAdhoc],
  );
  for (const row of rows) await storage.remove(row.storage_key).catch(() => {});
  return rows.length;
}
