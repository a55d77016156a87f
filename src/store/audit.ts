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

interface Batch {
  rows: AuditRecord[];
  done: Promise<void>;
  settle: (error?: unknown) => void;
}

function batch(): Batch {
  let settle!: (error?: unknown) => void;
  const done = new Promise<void>((resolve, reject) => (settle = (e) => (e ? reject(e) : resolve())));
  done.catch(() => {});
  return { rows: [], done, settle };
}

interface Pending {
  /** Entries gathering for the next statement. */
  next: Batch;
  /** The loop writing statements, while there are entries. */
  flushing: Promise<void> | null;
}

/** Per store: a store's audit entries go through one writer. */
const pending = new WeakMap<Sql, Pending>();
const COPY = 'copy audit_log (actor, source, action, job_id, params, reason) from stdin';
const INSERT = `insert into audit_log (actor, source, action, job_id, params, reason)
  select actor, source, action, job_id, params, reason
  from jsonb_to_recordset($1::jsonb) as x(actor text, source text, action text, job_id text, params jsonb, reason text)`;

/**
 * Resolves once the entry is in the database. Entries written while a statement is in
 * flight go together in the next one (group commit): a worker taking 50 producer-sent
 * triggers at once writes one statement, not 50 round trips.
 */
export function writeAudit(sql: Sql, entry: AuditEntry): Promise<void> {
  let state = pending.get(sql);
  if (!state) pending.set(sql, (state = { next: batch(), flushing: null }));
  const target = state.next;
  target.rows.push({
    actor: redact(entry.actor), source: entry.source, action: entry.action, job_id: entry.jobId ?? null,
    params: entry.params === undefined ? null : redactValue(entry.params), reason: entry.reason ? redact(entry.reason) : null,
  });
  state.flushing ??= flush(sql, state);
  return target.done;
}

/** Waits until every entry written so far has been stored (or has failed). */
export async function drainAudit(sql: Sql): Promise<void> {
  while (pending.get(sql)?.flushing) await pending.get(sql)!.flushing;
}

async function flush(sql: Sql, state: Pending): Promise<void> {
  while (state.next.rows.length) {
    const current = state.next;
    state.next = batch();
    try {
      if (sql.copyIn) await sql.copyIn(COPY, current.rows.map(copyLine).join(''));
      else await sql.query(INSERT, [pgJson(current.rows)]);
      current.settle();
    } catch (error) {
      current.settle(error);
    }
  }
  state.flushing = null;
}

export async function listAudit(sql: Sql, since?: Date, limit = 200): Promise<AuditRow[]> {
  const { rows } = await sql.query(
    'select * from audit_log where at >= $1 order by at desc, id desc limit $2',
    [(since ?? new Date(0)).toISOString(), limit],
  );
  return rows.map((r) => ({ id: r.id as number, at: r.at as Date, actor: r.actor as string, source: r.source as AuditSource, action: r.action as string, jobId: (r.job_id as string) ?? null, params: r.params ?? null, reason: (r.reason as string) ?? null }));
}
