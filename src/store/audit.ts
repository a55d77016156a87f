/** The audit trail: who triggered, paused, resumed or destroyed what, from where, and why. */
import type { AuditSource } from '../model.js';
import { redact, redactParams } from '../observability/redact.js';
import { CopyBuffer, copyJson, copyText, pgJson, replaceColumns } from './copy.js';
import { PartialWriteError, writeResilient } from './resilient.js';
import { batchPromise, gather, type BatchPromise } from './gather.js';
import type { Sql } from './sql.js';

export type { AuditSource } from '../model.js';

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
  /** SQLite (no COPY): the records themselves. */
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
const INSERT = {
  postgres: `insert into audit_log (actor, source, action, job_id, params, reason)
  select actor, source, action, job_id, params, reason
  from jsonb_to_recordset($1::jsonb) as x(actor text, source text, action text, job_id text, params jsonb, reason text)`,
  sqlite: `insert into audit_log (actor, source, action, job_id, params, reason)
  select value ->> 'actor', value ->> 'source', value ->> 'action', value ->> 'job_id', nullif(value -> 'params', 'null'),
    value ->> 'reason' from json_each($1)`,
};

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
    actor: redact(entry.actor),
    source: entry.source,
    action: entry.action,
    job_id: entry.jobId ?? null,
    params: entry.params === undefined ? null : redactParams(entry.params),
    reason: entry.reason ? redact(entry.reason) : null,
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
    await Promise.race([
      writer.flushing,
      new Promise((r) => setTimeout(r, Math.max(1, deadline - Date.now())).unref()),
    ]);
  }
  writer.closed = true;
}

const keptCount = (k: Kept) => k.lines.lines + k.records.length;

/** Audit entries that reached the store only repaired (a refused field replaced) or not at all. */
export const auditStats = { repaired: 0, dropped: 0, writeErrors: 0 };

/** One entry in a statement: as COPY text or as a record (SQLite), and who waits for it, if anyone. */
interface Item {
  line: Buffer | null;
  record: AuditRecord | null;
  waiter: Queued | null;
}

const noteOf = (error: unknown) =>
  `audit: the store refused this entry's params or reason (${(error as { code?: string }).code ?? '?'}); they were replaced`;

/** Round 1 replaces params and reason with a note, round 2 the actor as well. */
function repairItem(item: Item, error: unknown, round: number): Item | null {
  if (round > 2) return null;
  const note = noteOf(error);
  if (item.line)
    return {
      ...item,
      line: replaceColumns(item.line, [
        round > 1 ? copyText('[replaced]') : undefined,
        undefined,
        undefined,
        undefined,
        '\\N',
        copyText(note),
      ]),
    };
  return {
    ...item,
    record: { ...item.record!, params: null, reason: note, ...(round > 1 ? { actor: '[replaced]' } : {}) },
  };
}

/** Writes the items, splitting out what PostgreSQL refuses; returns those not written when the connection failed. */
async function writeItems(sql: Sql, items: Item[]): Promise<{ left: Item[]; error: unknown }> {
  const write = (part: Item[]) =>
    sql.copyIn
      ? sql.copyIn(
          COPY,
          part.map((i) => i.line!),
        )
      : sql.query(INSERT[sql.kind], [pgJson(part.map((i) => i.record))]).then(() => {});
  const dropped = new Set<Item>();
  try {
    await writeResilient(items, write, {
      repair: repairItem,
      repaired: () => void auditStats.repaired++,
      dropped: (item, error) => {
        auditStats.dropped++;
        dropped.add(item);
        item.waiter?.reject(error);
      },
    });
    for (const item of items) if (!dropped.has(item)) item.waiter?.resolve();
    return { left: [], error: null };
  } catch (error) {
    const left = error instanceof PartialWriteError ? (error.remaining as Item[]) : items;
    const pending = new Set(left);
    for (const item of items) if (!pending.has(item) && !dropped.has(item)) item.waiter?.resolve();
    return { left, error: error instanceof PartialWriteError ? error.cause : error };
  }
}

async function flush(sql: Sql, writer: Writer): Promise<void> {
  try {
    while (writer.queue.length || keptCount(writer.kept)) {
      // Kept entries gather like run rows; one someone waits for goes at once.
      await gather(
        () => keptCount(writer.kept),
        KEPT_GATHER,
        () => writer.queue.length > 0,
      );
      const batch = writer.queue;
      const retained = writer.kept;
      writer.queue = [];
      writer.kept = kept();
      const items: Item[] = sql.copyIn
        ? [
            ...retained.lines.lineBuffers().map((line) => ({ line, record: null, waiter: null })),
            ...batch.map((q) => ({ line: Buffer.from(copyLine(q.record)), record: null, waiter: q })),
          ]
        : [
            ...retained.records.map((record) => ({ line: null, record, waiter: null })),
            ...batch.map((q) => ({ line: null, record: q.record, waiter: q })),
          ];
      const { left, error } = await writeItems(sql, items);
      if (!left.length) {
        retained.resolve();
        continue;
      }
      auditStats.writeErrors++;
      // Entries someone waits for fail with their statement; kept ones go again, before
      // those written since, when their promise is settled too.
      for (const item of left) item.waiter?.reject(error);
      const again = left.filter((i) => !i.waiter);
      if (writer.closed || !again.length) {
        if (again.length) retained.reject(error);
        else retained.resolve();
        continue;
      }
      if (sql.copyIn) writer.kept.lines.prepend(CopyBuffer.fromLines(again.map((i) => i.line!)));
      else writer.kept.records.unshift(...again.map((i) => i.record!));
      writer.kept.done.then(retained.resolve, retained.reject);
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  } catch {
    // Nothing above should throw; whatever did, the loop starts again after a pause.
    auditStats.writeErrors++;
    await new Promise((r) => setTimeout(r, RETRY_MS));
  } finally {
    writer.flushing = null;
    if (!writer.closed && (writer.queue.length || keptCount(writer.kept))) writer.flushing = flush(sql, writer);
  }
}

export async function listAudit(sql: Sql, since?: Date, limit = 200): Promise<AuditRow[]> {
  const { rows } = await sql.query('select * from audit_log where at >= $1 order by at desc, id desc limit $2', [
    (since ?? new Date(0)).toISOString(),
    limit,
  ]);
  return rows.map((r) => ({
    id: r.id as number,
    at: r.at as Date,
    actor: r.actor as string,
    source: r.source as AuditSource,
    action: r.action as string,
    jobId: (r.job_id as string) ?? null,
    params: r.params ?? null,
    reason: (r.reason as string) ?? null,
  }));
}
