/**
 * PgHero's query checks: the top statements by total and by mean time, slow statements,
 * statements returning many rows, tables read by sequential scans, unused indexes. Each
 * figure is judged over the interval changes.ts worked out (since the previous run), and
 * the finding says which.
 */
import type { Finding } from '../../model.js';
import { mebibytes, shortQuery } from '../format.js';
import type { QueryChanges } from './changes.js';
import type { QueryStats, StatementStats, TableScanRow } from './stats.js';

/** What judgeQueries reads: the changes since the previous run, and the indexes as they are. */
export type QueryInput = Omit<QueryChanges, 'snapshot'> & Pick<QueryStats, 'missingReason' | 'unusedIndexes'>;

/** At most this many slow statements are named (the slowest by total time over the interval first). */
const MAX_SLOW = 50;
/** A table is judged on its scans once it has this many rows (PgHero's floor). */
const SEQ_SCAN_MIN_ROWS = 10_000;

export interface QueryThresholds {
  /** How many statements each top list shows. */
  top: number;
  slowMeanMs: number;
  /** A slow statement run fewer times than this is not worth the operator's time. */
  slowCalls: number;
  rowsPerCall: number;
}

/** The statement with its text on one line, as evidence. */
const shortened = (q: StatementStats) => ({ ...q, query: shortQuery(q.query) });

const statisticsMissing = (r: string, reason: string | undefined): Finding => ({
  severity: 'warning',
  check: 'pg.stat-statements',
  resource: r,
  message: `no query statistics: ${reason}`,
  remedy:
    'Add pg_stat_statements to shared_preload_libraries in postgresql.conf, restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements; in this database.',
});

/** The statements come ordered by total time (changes.ts sorts them); the mean-time list re-sorts them. */
function topLists(r: string, statements: StatementStats[], top: number, since: string): Finding[] {
  const byTotal = statements.slice(0, top);
  const byMean = [...statements].sort((a, b) => b.meanMs - a.meanMs).slice(0, top);
  return [
    {
      severity: 'info',
      check: 'pg.top-total-time',
      resource: r,
      message: `top ${byTotal.length} queries by total time ${since}`,
      evidence: byTotal.map(shortened),
    },
    {
      severity: 'info',
      check: 'pg.top-mean-time',
      resource: r,
      message: `top ${byMean.length} queries by mean time ${since}`,
      evidence: byMean.map(shortened),
    },
  ];
}

const isSlow = (q: StatementStats, t: QueryThresholds) => q.meanMs >= t.slowMeanMs && q.calls >= t.slowCalls;

/** A statement's own findings: slow on average, and many rows a call. */
function statementFindings(r: string, q: StatementStats, t: QueryThresholds, since: string, slow: boolean): Finding[] {
  const f: Finding[] = [];
  if (slow) {
    f.push({
      severity: 'warning',
      check: 'pg.slow-query',
      resource: r,
      message: `${q.meanMs.toFixed(1)} ms mean over ${q.calls} calls ${since} (${(q.totalMs / 1000).toFixed(1)} s total): ${shortQuery(q.query)}`,
      evidence: shortened(q),
      remedy:
        'EXPLAIN (ANALYZE, BUFFERS) it with real parameters; an index on its filter or join columns, or a narrower select, usually fixes it.',
    });
  }
  if (q.calls > 0 && q.rows / q.calls >= t.rowsPerCall) {
    f.push({
      severity: 'info',
      check: 'pg.rows-per-call',
      resource: r,
      message: `${Math.round(q.rows / q.calls)} rows per call ${since}: ${shortQuery(q.query)}`,
      evidence: { calls: q.calls, rows: q.rows },
      remedy: 'Page the results (LIMIT with a keyset) or aggregate in the database.',
    });
  }
  return f;
}

/** Tables of at least 10,000 rows scanned sequentially more often than by index over the interval (the 20 reading most rows). */
const seqScans = (r: string, tables: TableScanRow[], since: string): Finding[] =>
  tables
    .filter((tb) => tb.liveRows >= SEQ_SCAN_MIN_ROWS && tb.seqScans > tb.indexScans)
    .sort((a, b) => b.seqTupRead - a.seqTupRead)
    .slice(0, 20)
    .map((tb) => ({
      severity: 'warning',
      check: 'pg.seq-scans',
      resource: `${r}/table/${tb.table}`,
      message: `${tb.table} (${tb.liveRows} rows) was read by sequential scans ${tb.seqScans} times against ${tb.indexScans} index scans ${since}`,
      evidence: tb,
      remedy: `Find the queries filtering ${tb.table} (pg.top-total-time) and index their WHERE columns.`,
    }));

const unusedIndexes = (r: string, unused: QueryInput['unusedIndexes']): Finding[] =>
  unused.map((ix) => ({
    severity: 'info',
    check: 'pg.unused-index',
    resource: `${r}/index/${ix.index}`,
    message: `index ${ix.index} on ${ix.table} was used ${ix.scans} times since statistics were reset (${mebibytes(ix.bytes)})`,
    evidence: ix,
    remedy: `If replicas do not use it either: DROP INDEX CONCURRENTLY ${ix.index}; it costs every write.`,
  }));

/** The statements' findings: the top lists, then the slow ones (at most 50) and the row-heavy ones. */
function statementsFound(r: string, statements: StatementStats[], t: QueryThresholds, since: string): Finding[] {
  const slow = new Set(statements.filter((q) => isSlow(q, t)).slice(0, MAX_SLOW));
  return [
    ...topLists(r, statements, t.top, since),
    ...statements.flatMap((q) => statementFindings(r, q, t, since, slow.has(q))),
  ];
}

/** What query-analysis reports on one database: statements first (or why there are none), then tables and indexes. */
export function judgeQueries(database: string, s: QueryInput, t: QueryThresholds): Finding[] {
  const r = `db/${database}`;
  const statements =
    s.statements === null
      ? [statisticsMissing(r, s.missingReason)]
      : statementsFound(r, s.statements, t, s.statementsInterval);
  return [...statements, ...seqScans(r, s.tables, s.tablesInterval), ...unusedIndexes(r, s.unusedIndexes)];
}

/** How many tables judgeQueries calls mostly sequentially scanned (for the summary and metrics). */
export const seqScanCount = (findings: Finding[]): number => findings.filter((f) => f.check === 'pg.seq-scans').length;
