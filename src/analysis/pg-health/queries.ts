/**
 * PgHero's query checks: the top statements by total and by mean time, slow statements,
 * statements returning many rows, tables read by sequential scans, unused indexes.
 */
import type { Finding } from '../../model.js';
import { mebibytes, shortQuery } from '../format.js';
import type { QueryStats, StatementStats } from './stats.js';

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

/** The statements come ordered by total time (pg-stats.ts asks for that); the mean-time list re-sorts them. */
function topLists(r: string, statements: StatementStats[], top: number): Finding[] {
  const byTotal = statements.slice(0, top);
  const byMean = [...statements].sort((a, b) => b.meanMs - a.meanMs).slice(0, top);
  return [
    {
      severity: 'info',
      check: 'pg.top-total-time',
      resource: r,
      message: `top ${byTotal.length} queries by total time`,
      evidence: byTotal.map(shortened),
    },
    {
      severity: 'info',
      check: 'pg.top-mean-time',
      resource: r,
      message: `top ${byMean.length} queries by mean time`,
      evidence: byMean.map(shortened),
    },
  ];
}

/** A statement's own findings: slow on average, and many rows a call. */
function statementFindings(r: string, q: StatementStats, t: QueryThresholds): Finding[] {
  const f: Finding[] = [];
  if (q.meanMs >= t.slowMeanMs && q.calls >= t.slowCalls) {
    f.push({
      severity: 'warning',
      check: 'pg.slow-query',
      resource: r,
      message: `${q.meanMs.toFixed(1)} ms mean over ${q.calls} calls (${(q.totalMs / 1000).toFixed(1)} s total): ${shortQuery(q.query)}`,
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
      message: `${Math.round(q.rows / q.calls)} rows per call: ${shortQuery(q.query)}`,
      evidence: { calls: q.calls, rows: q.rows },
      remedy: 'Page the results (LIMIT with a keyset) or aggregate in the database.',
    });
  }
  return f;
}

const seqScans = (r: string, tables: QueryStats['seqScanTables']): Finding[] =>
  tables.map((tb) => ({
    severity: 'warning',
    check: 'pg.seq-scans',
    resource: `${r}/table/${tb.table}`,
    message: `${tb.table} (${tb.liveRows} rows) is read by sequential scans ${tb.seqScans} times against ${tb.indexScans} index scans`,
    evidence: tb,
    remedy: `Find the queries filtering ${tb.table} (pg.top-total-time) and index their WHERE columns.`,
  }));

const unusedIndexes = (r: string, unused: QueryStats['unusedIndexes']): Finding[] =>
  unused.map((ix) => ({
    severity: 'info',
    check: 'pg.unused-index',
    resource: `${r}/index/${ix.index}`,
    message: `index ${ix.index} on ${ix.table} was used ${ix.scans} times since statistics were reset (${mebibytes(ix.bytes)})`,
    evidence: ix,
    remedy: `If replicas do not use it either: DROP INDEX CONCURRENTLY ${ix.index}; it costs every write.`,
  }));

/** What query-analysis reports on one database: statements first (or why there are none), then tables and indexes. */
export function judgeQueries(database: string, s: QueryStats, t: QueryThresholds): Finding[] {
  const r = `db/${database}`;
  const statements =
    s.statements === null
      ? [statisticsMissing(r, s.missingReason)]
      : [...topLists(r, s.statements, t.top), ...s.statements.flatMap((q) => statementFindings(r, q, t))];
  return [...statements, ...seqScans(r, s.seqScanTables), ...unusedIndexes(r, s.unusedIndexes)];
}
