/**
 * pg_stat_statements and pg_stat_user_tables count since the statistics were reset, so a
 * slow query fixed last week would warn forever. query-analysis keeps what it read
 * (JobContext.state, per database) and judges what happened since its previous run:
 * per statement (queryid, userid, dbid) and per table. A statement or table the previous
 * run did not see, or whose counters went down (evicted by pg_stat_statements.max and
 * counted again, or reset alone), counts whole; a new stats_reset counts everything since.
 */
import { counterChange, describeInterval, type CounterChange, type CounterReading } from '../counters.js';
import { pgEpoch, sameServer } from './epoch.js';
import type { QueryStats, StatementRow, StatementStats, TableScanRow } from './stats.js';

/** Statement counters in the kept snapshot: [calls, total ms, rows]. */
type StatementCounts = [number, number, number];
/** Table counters in the kept snapshot: [seq_scan, idx_scan, seq_tup_read]. */
type TableCounts = [number, number, number];

/** One counting period's snapshot: when it was read, and the counters' epoch (epoch.ts: the server and its stats_reset). */
interface Part<V> {
  at: string;
  epoch: string | null;
  counts: Record<string, V>;
}

/** What query-analysis keeps between runs (well under 1 MiB: pg-stats.ts reads at most 5,500 statements and 1,000 tables). */
export interface QuerySnapshot {
  statements: Part<StatementCounts> | null;
  tables: Part<TableCounts>;
}

/** What changed since the previous run, ready to judge, and the snapshot to keep for the next. */
export interface QueryChanges {
  /** Statements with the calls, time and rows of the interval (statements not called in it left out), by total time. */
  statements: StatementStats[] | null;
  /** "since the previous run 60 min ago", "since pg_stat_statements was last reset 3 d ago". */
  statementsInterval: string;
  /** Tables with the scans of the interval. */
  tables: TableScanRow[];
  tablesInterval: string;
  snapshot: QuerySnapshot;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** When and by which server (epoch.ts) the counters of one part were read. */
interface Counted {
  at: string;
  server: string;
  reset: string | null;
}

/**
 * The interval between two snapshots of one part (only the epoch and times matter here).
 * A snapshot another server counted is no baseline: the interval starts at the reset.
 */
function interval(previous: Part<unknown> | null, now: Counted): CounterChange {
  const usable = previous && sameServer(previous.epoch, now.server) ? previous : null;
  const reading = (p: Part<unknown>): CounterReading => ({ at: p.at, epoch: p.epoch, since: null, values: {} });
  const epoch = pgEpoch(now.server, now.reset);
  return counterChange(usable && reading(usable), { at: now.at, epoch, since: now.reset, values: {} });
}

/**
 * Each item's counters less the previous snapshot's, when the counting period is the same
 * and none went down; otherwise the whole of them.
 */
function subtract<V extends number[]>(previous: Record<string, V> | null, key: string, current: V): V {
  const before = previous?.[key];
  if (!before || current.some((v, i) => v < before[i]!)) return current;
  return current.map((v, i) => v - before[i]!) as V;
}

function statementChanges(previous: Part<StatementCounts> | null, rows: StatementRow[], now: Counted) {
  const change = interval(previous, now);
  const kept = change.basis === 'previous' ? previous!.counts : null;
  const counts: Record<string, StatementCounts> = {};
  const statements: StatementStats[] = [];
  for (const row of rows) {
    const now: StatementCounts = [row.calls, round3(row.totalMs), row.rows];
    counts[row.id] = now;
    const [calls, totalMs, rowsSince] = subtract(kept, row.id, now);
    if (calls > 0) statements.push({ query: row.query, calls, totalMs, meanMs: totalMs / calls, rows: rowsSince });
  }
  statements.sort((a, b) => b.totalMs - a.totalMs);
  return {
    statements,
    interval: describeInterval(change, 'pg_stat_statements was last reset'),
    part: { at: now.at, epoch: pgEpoch(now.server, now.reset), counts },
  };
}

function tableChanges(previous: Part<TableCounts> | null, rows: TableScanRow[], now: Counted) {
  const change = interval(previous, now);
  const kept = change.basis === 'previous' ? previous!.counts : null;
  const counts: Record<string, TableCounts> = {};
  const tables = rows.map((row): TableScanRow => {
    const now: TableCounts = [row.seqScans, row.indexScans, row.seqTupRead];
    counts[row.table] = now;
    const [seqScans, indexScans, seqTupRead] = subtract(kept, row.table, now);
    return { ...row, seqScans, indexScans, seqTupRead };
  });
  return {
    tables,
    interval: describeInterval(change, 'the table statistics were last reset'),
    part: { at: now.at, epoch: pgEpoch(now.server, now.reset), counts },
  };
}

/** The change since `previous` (null: the first run, judged since the statistics were reset) as of `at` (ISO 8601). */
export function queryChanges(previous: QuerySnapshot | null, s: QueryStats, at: string): QueryChanges {
  const statements =
    s.statements === null
      ? null
      : statementChanges(previous?.statements ?? null, s.statements, {
          at,
          server: s.server,
          reset: s.statementsReset,
        });
  const tables = tableChanges(previous?.tables ?? null, s.tables, { at, server: s.server, reset: s.tablesReset });
  return {
    statements: statements?.statements ?? null,
    statementsInterval: statements?.interval ?? '',
    tables: tables.tables,
    tablesInterval: tables.interval,
    snapshot: { statements: statements?.part ?? null, tables: tables.part },
  };
}

const isCounts = (v: unknown): v is [number, number, number] =>
  Array.isArray(v) && v.length === 3 && v.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0);

function asPart<V>(value: unknown): Part<V> | null {
  if (!value || typeof value !== 'object') return null;
  const p = value as Partial<Part<unknown>>;
  if (typeof p.at !== 'string' || Number.isNaN(Date.parse(p.at))) return null;
  if (p.epoch !== null && typeof p.epoch !== 'string') return null;
  if (!p.counts || typeof p.counts !== 'object' || Array.isArray(p.counts)) return null;
  const counts: Record<string, V> = {};
  for (const [k, v] of Object.entries(p.counts)) if (isCounts(v)) counts[k] = v as V;
  return { at: p.at, epoch: p.epoch ?? null, counts };
}

/** A snapshot kept by an earlier run, if it has the shape of one (what is kept is read back untrusted). */
export function asQuerySnapshot(value: unknown): QuerySnapshot | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const tables = asPart<TableCounts>(v.tables);
  return tables ? { statements: asPart<StatementCounts>(v.statements), tables } : null;
}
