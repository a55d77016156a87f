/** The audit trail: who triggered, paused, resumed or destroyed what, from where, and why. */
import { redact, redactValue } from '../observability/redact.js';
import { copyJson, copyText, pgJson } from './copy.js';
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

/** An entry as stored: redacted, in audit_log's column names. */
interface AuditRecord {
  actor: string;
  source: AuditSource;
  action: string;
  job_id: string | null;
  params: unknown;
  reason: string | null;
}

const copyLine = (r: AuditRecord): string =>
  `${copyText(r.actor)}\t${r.source}\t${copyText(r.action)}\t${copyText(r.job_id)}\t${copyJson(r.params)}\t${copyText(r.reason)}\n`;

/** An entry on its way in, and who waits for it. */
interface Queued {
  record: AuditRecord;
  /** Kept and retried until written, like run rows; otherwise it fails with its statement. */
  retain: boolean;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Writer {
  queue: Queued[];
  /** The loop writing statements, while there are entries. */
  flushing: Promise<void> | null;
  closed: boolean;
}

/** Per store: a store's audit entries go through one writer. */
const writers = new WeakMap<Sql, Writer>();
const RETRY_MS = 1000;
const COPY = 'copy audit_log (actor, source, action, job_id, params, reason) from stdin';
const INSERT = `insert into audit_log (actor, source, action, job_id, params, reason)
  select actor, source, action, job_id, params, reason
  from jsonb_to_recordset($1::jsonb) as x(actor text, source text, action text, job_id text, params jsonb, reason text)`;

/**
 * Resolves once the entry is in the database. Entries written while a statement is in
 * flight go together in the next one (group commit): a worker taking 50 producer-sent
 * triggers at once writes one statement, not 50 round trips. A failed statement rejects
 * its entries, except those written with `retain` (no one waits for them: a run's entry
 * written beside it), which are kept and retried until the database is back.
 */
export function writeAudit(sql: Sql, entry: AuditEntry, options: { retain?: boolean } = {}): Promise<void> {
  let writer = writers.get(sql);
  if (!writer) writers.set(sql, (writer = { queue: [], flushing: null, closed: false }));
  const record: AuditRecord = {
    actor: redact(entry.actor), source: entry.source, action: entry.action, job_id: entry.jobId ?? null,
    params: entry.params === undefined ? null : redactValue(entry.params), reason: entry.reason ? redact(entry.reason) : null,
  };
  const done = new Promise<void>((resolve, reject) => writer.queue.push({ record, retain: options.retain === true, resolve, reject }));
  writer.flushing ??= flush(sql, writer);
  return done;
}

/**
 * Waits until every entry written so far has been stored or has failed, at most
 * `timeoutMs`; then stops retrying (what is still unwritten stays unwritten).
 */
export async function drainAudit(sql: Sql, timeoutMs = 10_000): Promise<void> {
  const writer = writers.get(sql);
  if (!writer) return;
  const deadline = Date.now() + timeoutMs;
  while (writer.flushing && Date.now() < deadline) {
    await Promise.race([writer.flushing, new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())).unref())]);
  }
  writer.closed = true;
}

async function flush(sql: Sql, writer: Writer): Promise<void> {
  while (writer.queue.length) {
    const batch = writer.queue;
    writer.queue = [];
    try {
      if (sql.copyIn) await sql.copyIn(COPY, batch.map((q) => copyLine(q.record)).join(''));
      else await sql.query(INSERT, [pgJson(batch.map((q) => q.record))]);
      for (const q of batch) q.resolve();
    } catch (error) {
      const kept = writer.closed ? [] : batch.filter((q) => q.retain);
      for (const q of batch) if (!kept.includes(q)) q.reject(error);
      if (kept.length) {
        writer.queue = [...kept, ...writer.queue];
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }
  writer.flushing = null;
}

export async function listAudit(sql: Sql, since?: Date, limit = 200): Promise<AuditRow[]> {
  const { rows } = await sql.query(
    'select * from audit_log where at >= $1 order by at desc, id desc limit $2',
    [(since ?? new Date(0)).toISOString(), limit],
  );
  return rows.map((r) => ({ id: r.id as number, at: r.at as Date, actor: r.actor as string, source: r.source as AuditSource, action: r.action as string, jobId: (r.job_id as string) ?? null, params: r.params ?? null, reason: (r.reason as string) ?? null }));
}
