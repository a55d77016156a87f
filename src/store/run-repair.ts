/**
 * What replaces a run's fields PostgreSQL refused, and the note that says so: the repair
 * rounds writeResilient tries on a refused row, in COPY text and as a row object.
 */
import type { RunRow } from '../model.js';
import { copyJson as json, copyText as text, copyTime as time, replaceColumns } from './copy.js';
import { copyErrorAt } from './resilient.js';
import { RUN_COLUMNS as COLUMNS, type Column } from './run-sql.js';

/**
 * What replaces a run's fields PostgreSQL refused, round by round: first the field it
 * named, then every optional one, then everything but the run's identity. The summary
 * says what happened, and a finding carries the note for reports.
 */
function replacements(column: string | null, round: number, note: string): Partial<Record<Column, unknown>> {
  const noteFindings = [{ severity: 'info', check: 'opscron.history', resource: 'opscron/history', message: note }];
  const optional: Partial<Record<Column, unknown>> = {
    scheduled_for: null,
    started_at: null,
    findings: noteFindings,
    metrics: null,
    targets: null,
    error: null,
    params: null,
    requested_by: null,
    reason: null,
  };
  let out: Partial<Record<Column, unknown>>;
  if (round === 1 && column && (COLUMNS as readonly string[]).includes(column)) {
    const c = column as Column;
    out = {
      [c]:
        c === 'findings'
          ? noteFindings
          : c === 'created_at'
            ? new Date()
            : c in optional
              ? null
              : c === 'summary'
                ? note
                : `[replaced]`,
    };
  } else if (round <= 2) {
    out = optional;
  } else {
    out = {
      ...optional,
      finished_at: new Date(),
      created_at: new Date(),
      attempt: 1,
      trigger: 'manual',
      status: 'failed',
      job_type: 'unknown',
      worker: null,
      queue_id: null,
    };
  }
  if (!('summary' in out) || out.summary !== note) out.summary = note;
  return out;
}

const noteOf = (column: string | null, error: unknown) => {
  const e = error as { code?: string; message?: string };
  return `history: the store refused ${column ? `the ${column} of this run` : 'this run'} (${e.code ?? '?'} ${String(e.message ?? error).slice(0, 200)}); the refused value was replaced`;
};

const encode = (column: Column, value: unknown): string =>
  ['findings', 'metrics', 'params', 'targets'].includes(column)
    ? json(value)
    : ['scheduled_for', 'created_at', 'started_at', 'finished_at'].includes(column)
      ? time(value as Date | null)
      : column === 'attempt'
        ? String(value)
        : text(value as string | null);

export const repairLine = (line: Buffer, error: unknown, round: number): Buffer | null => {
  if (round > 3) return null;
  const column = copyErrorAt(error)?.column ?? null;
  const values = replacements(column, round, noteOf(column, error));
  return replaceColumns(
    line,
    COLUMNS.map((c) => (c in values ? encode(c, values[c]) : undefined)),
  );
};

export const idOfLine = (line: Buffer) => line.toString('utf8', 0, Math.min(line.length, 300)).split('\t')[0] ?? '?';

const FIELD: Record<Column, keyof RunRow> = {
  id: 'id',
  queue_id: 'queueId',
  job_id: 'jobId',
  job_type: 'jobType',
  trigger: 'trigger',
  scheduled_for: 'scheduledFor',
  created_at: 'createdAt',
  started_at: 'startedAt',
  finished_at: 'finishedAt',
  attempt: 'attempt',
  status: 'status',
  summary: 'summary',
  findings: 'findings',
  metrics: 'metrics',
  error: 'error',
  params: 'params',
  requested_by: 'requestedBy',
  reason: 'reason',
  worker: 'worker',
  targets: 'targets',
};

export const repairRow = (row: RunRow, error: unknown, round: number): RunRow | null => {
  if (round > 3) return null;
  const values = replacements(null, round, noteOf(null, error));
  const out = { ...row } as Record<string, unknown>;
  for (const [c, v] of Object.entries(values)) out[FIELD[c as Column]] = v;
  return out as unknown as RunRow;
};
