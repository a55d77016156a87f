/** The audit trail: who triggered, paused, resumed or destroyed what, from where, and why. */
import { redact, redactValue } from '../observability/redact.js';
import { CopyBuffer, copyJson, copyText, pgJson } from './copy.js';
import { batchPromise, gather, type BatchPromise } from './gather.js';
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

/** An entry someone waits for: it fails with its statement. */
interface Queued {
  record: AuditRecord;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Entries no one waits for (`retain`: a run's entry written beside it), kept and retried
 * until written, like run rows. On PostgreSQL they are COPY text from the moment they are
 * written and share one promise: an object and a reaction per entry would live through
 * young-generation collections while their statement waits (see CopyBuffer).
 */
interface Kept extends BatchPromise {
  lines: CopyBuffer;
  /** PGlite (no COPY from a client): the records themselves. */
  records: AuditRecord[];
}

function kept(): Kept {
  return { lines: new CopyBuffer(), records: [], ...batchPromise() };
}

interface Writer {
  queue: Queued[];
  kept: Kept;
  /** The loop writing statements, while there are entries. */
  flushing: Promise<void> | null;
  closed: boolean;
}

/** Per store: a store's audit entries go through one writer. */
const writers = new WeakMap<Sql, Writer>();
const RETRY_MS = 1000;
const KEPT_GATHER = { lingerMs: 20, quietMs: 5, maxBatch: 2000 };
const COPY = 'copy audit_log (actor, source, action, job_id, params, reason) from stdin';
const INSERT = `insert into audit_log (actor, source, action, job_id, params, reason)
  select actor, source, action, job_id, params, reason
  from jsonb_to_recordset($1::jsonb) as x(actor text, source text, action text, job_id text, params jsonb, reason text)`;

/**
 * Resolves once the entry is in the database. Entries written while a statement is in
 * flight go together in the next one (group commit): a worker taking 50 producer-sent
 * triggers at once writes one statement, not 50 round trips. A failed statement rejects
 * its entries, except those written with `retain` (no one waits for them: a run's entry
 * written beside it), which are kept and retried until the database is back; their
 * promise is shared by all entries kept at the time, and fails only if the store closes
 * before they are written.
 */
export function writeAudit(sql: Sql, entry: AuditEntry, options: { retain?: boolean } = {}): Promise<void> {
  let writer = writers.get(sql);
  if (!writer) writers.set(sql, (writer = { queue: [], kept: kept(), flushing: null, closed: false }));
  const record: AuditRecord = {
    actor: redact(entry.actor), source: entry.source, action: entry.action, job_id: entry.jobId ?? null,
    params: entry.params === undefined ? null : redactValue(entry.params), reason: entry.reason ? redact(entry.reason) : null,
  };
  let done: Promise<void>;
  if (options.retain) {
    if (sql.copyIn) writer.kept.lines.add(copyLine(record));
    else writer.kept.records.push(record);
    done = writer.kept.done;
  } else {
    done = new Promise<void>((resolve, reject) => writer.queue.push({ record, resolve, reject }));
  }
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

const keptCount = (k: Kept) => k.lines.lines + k.records.length;

async function flush(sql: Sql, writer: Writer): Promise<void> {
  while (writer.queue.length || keptCount(writer.kept)) {
    // Kept entries gather like run rows; one someone waits for goes at once.
    await gather(() => keptCount(writer.kept), KEPT_GATHER, () => writer.queue.length > 0);
    const batch = writer.queue;
    const retained = writer.kept;
    writer.queue = [];
    writer.kept = kept();
    try {
      if (sql.copyIn) {
        const lines = new CopyBuffer();
        for (const q of batch) lines.add(copyLine(q.record));
        lines.prepend(retained.lines);
        await sql.copyIn(COPY, lines.data());
      } else {
        await sql.query(INSERT, [pgJson([...retained.records, ...batch.map((q) => q.record)])]);
      }
      for (const q of batch) q.resolve();
      retained.resolve();
    } catch (error) {
      for (const q of batch) q.reject(error);
      if (writer.closed) {
        retained.reject(error);
        continue;
      }
      if (keptCount(retained)) {
        // Kept ones go again, before those written since, when their promises are settled too.
        writer.kept.lines.prepend(retained.lines);
        writer.kept.records.unshift(...retained.records);
        writer.kept.done.then(retained.resolve, retained.reject);
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
