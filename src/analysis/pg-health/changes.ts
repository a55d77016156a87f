/**
 * pg_stat_statements and pg_stat_user_tables count since the statistics were reset, so a
 * slow query fixed last week would warn forever. query-analysis keeps what it read
 * (JobContext.state, per database) and judges what happened since its previous run:
 * per statement (queryid, userid, dbid) and per table. A statement or table the previous
 * run did not see, or whose counters went down (evicted by pg_stat_statements.max and
 * counted again, or reset alone), counts whole; a new stats_reset counts everything since.
 * When the previous run stopped at its read limit, an item it did not see may have been
 * there unread: it is not judged, only kept as the baseline of the next run. A run that
 * cannot read pg_stat_statements keeps the previous run's statements for the next.
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
  /** The read stopped at its limit (pg-queries.ts): items not in `counts` may have been there. */
  truncated: boolean;
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
  truncated: boolean;
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

/** The previous snapshot, when it counts as a baseline (the same counting period, since the previous run). */
const baseline = <V>(previous: Part<V> | null, change: CounterChange): Part<V> | null =>
  change.basis === 'previous' ? previous : null;

/**
 * Each item's counters less the previous snapshot's, when the counting period is the same
 * and none went down; otherwise the whole of them. Null: no baseline for it, and the
 * previous read stopped at its limit, so its whole counters may predate the interval.
 */
function subtract<V extends number[]>(previous: Part<V> | null, key: string, current: V): V | null {
  const before = previous?.counts[key];
  if (!before) return previous?.truncated ? null : current;
  if (current.some((v, i) => v < before[i]!)) return current;
  return current.map((v, i) => v - before[i]!) as V;
}

function statementChanges(previous: Part<StatementCounts> | null, rows: StatementRow[], now: Counted) {
  const change = interval(previous, now);
  const kept = baseline(previous, change);
  const counts: Record<string, StatementCounts> = {};
  const statements: StatementStats[] = [];
  for (const row of rows) {
    const current: StatementCounts = [row.calls, round3(row.totalMs), row.rows];
    counts[row.id] = current;
    const since = subtract(kept, row.id, current);
    if (!since) continue;
    const [calls, totalMs, rowsSince] = since;
    if (calls > 0) statements.push({ query: row.query, calls, totalMs, meanMs: totalMs / calls, rows: rowsSince });
  }
  statements.sort((a, b) => b.totalMs - a.totalMs);
  return {
    statements,
    interval: describeInterval(change, 'pg_stat_statements was last reset'),
    part: { at: now.at, epoch: pgEpoch(now.server, now.reset), counts, truncated: now.truncated },
  };
}

function tableChanges(previous: Part<TableCounts> | null, rows: TableScanRow[], now: Counted) {
  const change = interval(previous, now);
  const kept = baseline(previous, change);
  const counts: Record<string, TableCounts> = {};
  const tables: TableScanRow[] = [];
  for (const row of rows) {
    const current: TableCounts = [row.seqScans, row.indexScans, row.seqTupRead];
    counts[row.table] = current;
    const since = subtract(kept, row.table, current);
    if (since) tables.push({ ...row, seqScans: since[0], indexScans: since[1], seqTupRead: since[2] });
  }
  return {
    tables,
    interval: describeInterval(change, 'the table statistics were last reset'),
    part: { at: now.at, epoch: pgEpoch(now.server, now.reset), counts, truncated: now.truncated },
  };
}

/** The change since `previous` (null: the first run, judged since the statistics were reset) as of `at` (ISO 8601). */
export function queryChanges(previous: QuerySnapshot | null, s: QueryStats, at: string): QueryChanges {
  const { server } = s;
  const statements =
    s.statements === null
      ? null
      : statementChanges(previous?.statements ?? null, s.statements, {
          at,
          server,
          reset: s.statementsReset,
          truncated: s.statementsTruncated,
        });
  const tables = tableChanges(previous?.tables ?? null, s.tables, {
    at,
    server,
    reset: s.tablesReset,
    truncated: s.tablesTruncated,
  });
  return {
    statements: statements?.statements ?? null,
    statementsInterval: statements?.interval ?? '',
    tables: tables.tables,
    tablesInterval: tables.interval,
    // pg_stat_statements not read this run (an error): the previous run's statements stay the baseline.
    snapshot: { statements: statements?.part ?? previous?.statements ?? null, tables: tables.part },
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
  return { at: p.at, epoch: p.epoch ?? null, counts, truncated: p.truncated === true };
}

/** A snapshot kept by an earlier run, if it has the shape of one (what is kept is read back untrusted). */
export function asQuerySnapshot(value: unknown): QuerySnapshot | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const tables = asPart<TableCounts>(v.tables);
  return tables ? { statements: asPart<StatementCounts>(v.statements), tables } : null;
}
