/** The index of stored reports (`reports`): one row per PDF, with its checksum, size and summary. */
import type { OutcomeStatus, ReportKind, ReportSummary } from '../model.js';
import { pgJson } from './copy.js';
import type { Sql } from './sql.js';

export type ReportOrigin = 'job' | 'incident' | 'api' | 'cli';

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
  status: OutcomeStatus;
  summary: ReportSummary;
}

interface ReportRow {
  id: string;
  kind: ReportKind;
  title: string;
  period_from: Date;
  period_to: Date;
  timezone: string;
  created_at: Date;
  run_id: string | null;
  storage_key: string;
  bytes: number;
  sha256: string;
  status: OutcomeStatus;
  summary: ReportSummary;
}

const toRecord = (r: ReportRow): ReportRecord => ({
  id: r.id,
  kind: r.kind,
  title: r.title,
  periodFrom: new Date(r.period_from),
  periodTo: new Date(r.period_to),
  timezone: r.timezone,
  createdAt: new Date(r.created_at),
  runId: r.run_id,
  storageKey: r.storage_key,
  bytes: r.bytes,
  sha256: r.sha256,
  status: r.status,
  summary: r.summary,
});

/** Every column; SQLite's summary is JSON text, read as `summary:json` (store/sqlite.ts). */
const columns = (sql: Sql) => (sql.kind === 'sqlite' ? '*, summary as "summary:json"' : '*');

export async function getReport(sql: Sql, id: string): Promise<ReportRecord | null> {
  const { rows } = await sql.query<ReportRow>(`select ${columns(sql)} from reports where id = $1`, [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

export async function listReports(
  sql: Sql,
  filter: { kind?: string; limit: number; before?: Date },
): Promise<ReportRecord[]> {
  const { rows } = await sql.query<ReportRow>(
    `select ${columns(sql)} from reports where ($1::text is null or kind = $1) and ($2::timestamptz is null or created_at < $2) order by created_at desc, id desc limit $3`,
    [filter.kind ?? null, filter.before ?? null, filter.limit],
  );
  return rows.map(toRecord);
}

/** The index of stored reports: insert, read, retention, the previous one of a kind. */
export class ReportRepository {
  constructor(private readonly sql: Sql) {}

  get(id: string): Promise<ReportRecord | null> {
    return getReport(this.sql, id);
  }

  list(filter: { kind?: string; limit: number; before?: Date }): Promise<ReportRecord[]> {
    return listReports(this.sql, filter);
  }

  async insert(record: ReportRecord, origin: ReportOrigin): Promise<void> {
    await this.sql.query(
      `insert into reports (id, kind, title, period_from, period_to, timezone, created_at, run_id, storage_key, bytes, sha256, status, summary, origin)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        record.id,
        record.kind,
        record.title,
        record.periodFrom,
        record.periodTo,
        record.timezone,
        record.createdAt,
        record.runId,
        record.storageKey,
        record.bytes,
        record.sha256,
        record.status,
        pgJson(record.summary),
        origin,
      ],
    );
  }

  /**
   * Deletes index rows past the maximum age, and beyond the newest `maxCount` of each kind
   * — counted apart for reports made by hand (API, CLI: `maxAdhoc`), so asking for
   * reports never pushes the scheduled ones out. Returns what was deleted.
   */
  async deleteBeyondRetention(
    policy: { maxAge: number; maxCount: number; maxAdhoc: number },
    now: Date,
  ): Promise<Array<{ id: string; storageKey: string }>> {
    const { rows } = await this.sql.query<{ id: string; storage_key: string }>(
      `delete from reports where id in (
         select id from (
           select id, created_at, origin in ('api', 'cli') as adhoc,
                  row_number() over (partition by kind, origin in ('api', 'cli') order by created_at desc, id desc) as n
             from reports) ranked
          where created_at < $1 or n > case when adhoc then $3::int else $2::int end)
       returning id, storage_key`,
      [new Date(now.getTime() - policy.maxAge), policy.maxCount, policy.maxAdhoc],
    );
    return rows.map((r) => ({ id: r.id, storageKey: r.storage_key }));
  }

  /** The newest report of a kind made before `before` (what changed since it). */
  async previous(
    kind: ReportKind,
    before: Date,
  ): Promise<{ id: string; createdAt: Date; summary: ReportSummary } | null> {
    const { rows } = await this.sql.query<{ id: string; created_at: Date; summary: ReportSummary }>(
      `select id, created_at, ${this.sql.kind === 'sqlite' ? 'summary as "summary:json"' : 'summary'} from reports where kind = $1 and created_at < $2 order by created_at desc limit 1`,
      [kind, before],
    );
    const row = rows[0];
    return row ? { id: row.id, createdAt: new Date(row.created_at), summary: row.summary } : null;
  }
}
