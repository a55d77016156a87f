/**
 * The statements that write run rows, and a row in each of the forms they take: COPY text
 * (PostgreSQL) and one JSON array per batch (SQLite, and rows that may exist in PostgreSQL).
 */
import type { RunRow } from '../model.js';
import { copyJson as json, copyText as text, copyTime as time, pgJson } from './copy.js';

export const RUN_COLUMNS = [
  'id',
  'queue_id',
  'job_id',
  'job_type',
  'trigger',
  'scheduled_for',
  'created_at',
  'started_at',
  'finished_at',
  'attempt',
  'status',
  'summary',
  'findings',
  'metrics',
  'error',
  'params',
  'requested_by',
  'reason',
  'worker',
  'targets',
] as const;
export type Column = (typeof RUN_COLUMNS)[number];
const COLUMNS = RUN_COLUMNS;
const JSON_COLUMNS = new Set<Column>(['findings', 'metrics', 'params', 'targets']);

/** A row as the JSON object jsonb_populate_recordset reads (dates serialise as ISO strings). */
const toRecord = (r: RunRow) => ({
  id: r.id,
  queue_id: r.queueId,
  job_id: r.jobId,
  job_type: r.jobType,
  trigger: r.trigger,
  scheduled_for: r.scheduledFor,
  created_at: r.createdAt,
  started_at: r.startedAt,
  finished_at: r.finishedAt,
  attempt: r.attempt,
  status: r.status,
  summary: r.summary,
  findings: r.findings,
  metrics: r.metrics,
  error: r.error,
  params: r.params ?? null,
  requested_by: r.requestedBy,
  reason: r.reason,
  worker: r.worker,
  targets: r.targets ?? null,
});

// A whole batch is one JSON parameter: one JSON.stringify in Node, one statement in the database.
const FROM_JSON = {
  postgres: `select ${COLUMNS.join(', ')} from jsonb_populate_recordset(null::runs, $1::jsonb)`,
  // JSON null is SQL NULL in the JSON columns, as in PostgreSQL; `where true` keeps SQLite
  // from reading the upsert's `on conflict` as part of the select.
  sqlite: `select ${COLUMNS.map((c) => (JSON_COLUMNS.has(c) ? `nullif(value -> '${c}', 'null')` : `value ->> '${c}'`)).join(', ')}
    from json_each($1) where true`,
};
const UPDATE_ALL = `on conflict (id) do update set ${COLUMNS.slice(1)
  .map((c) => `${c} = excluded.${c}`)
  .join(', ')}`;
export const UPSERT = {
  postgres: `insert into runs (${COLUMNS.join(', ')}) ${FROM_JSON.postgres} ${UPDATE_ALL}`,
  sqlite: `insert into runs (${COLUMNS.join(', ')}) ${FROM_JSON.sqlite} ${UPDATE_ALL}`,
};
export const INSERT_NEW = {
  postgres: `insert into runs (${COLUMNS.join(', ')}) ${FROM_JSON.postgres} on conflict (id) do nothing returning id`,
  sqlite: `insert into runs (${COLUMNS.join(', ')}) ${FROM_JSON.sqlite} on conflict (id) do nothing returning id`,
};

export const batchJson = (rows: Iterable<RunRow>): string[] => [pgJson(Array.from(rows, toRecord))];

export const COPY = `copy runs (${COLUMNS.join(', ')}) from stdin`;

/**
 * Rows that may be in the table already go through a temporary table, merged by an
 * upsert; `seq` keeps their order, so of two states of one run the later one wins.
 */
export const MERGE = {
  before: 'create temp table if not exists runs_incoming (like runs, seq bigserial) on commit delete rows',
  copy: `copy runs_incoming (${COLUMNS.join(', ')}) from stdin`,
  after: `insert into runs (${COLUMNS.join(', ')})
    select distinct on (id) ${COLUMNS.join(', ')} from runs_incoming order by id, seq desc ${UPDATE_ALL}`,
};

/** A row as a line of COPY text, columns in COLUMNS order. */
export function copyLine(r: RunRow): string {
  return (
    `${text(r.id)}\t${text(r.queueId)}\t${text(r.jobId)}\t${text(r.jobType)}\t${r.trigger}\t${time(r.scheduledFor)}\t${time(r.createdAt)}\t` +
    `${time(r.startedAt)}\t${time(r.finishedAt)}\t${r.attempt}\t${r.status}\t${text(r.summary)}\t${json(r.findings ?? [])}\t${json(r.metrics)}\t` +
    `${text(r.error)}\t${json(r.params)}\t${text(r.requestedBy)}\t${text(r.reason)}\t${text(r.worker)}\t${json(r.targets ?? null)}\n`
  );
}
