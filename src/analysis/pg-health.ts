/**
 * PgHero's checks with its defaults, as findings with the remedy an operator would run.
 * Pure: takes what src/integrations/pg-stats.ts read.
 */
import type { Finding } from '../model.js';

export interface PgStats {
  database: string;
  serverVersion: string;
  connections: { total: number; max: number };
  idleInTransaction: Array<{ pid: number; user: string | null; seconds: number; query: string }>;
  longRunning: Array<{ pid: number; user: string | null; seconds: number; query: string }>;
  blocked: Array<{ pid: number; blockedBy: number[]; seconds: number; query: string; blockerQuery: string | null }>;
  cacheHit: { table: number | null; index: number | null; tableReads: number; indexReads: number };
  replication: {
    isReplica: boolean;
    replicaLagSeconds: number | null;
    standbys: Array<{ name: string; lagSeconds: number | null; state: string }>;
  };
  inactiveSlots: Array<{ name: string; retainedBytes: number | null }>;
  wraparound: { age: number; remaining: number };
  sequences: Array<{ sequence: string; column: string | null; lastValue: number; maxValue: number; ratio: number }>;
  invalidIndexes: Array<{ index: string; table: string }>;
  duplicateIndexes: Array<{ index: string; coveredBy: string; table: string; bytes: number }>;
}

export interface StatementStats {
  query: string;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
}

export interface QueryStats {
  /** null: pg_stat_statements is not there; the reason says why. */
  statements: StatementStats[] | null;
  missingReason?: string;
  seqScanTables: Array<{ table: string; seqScans: number; indexScans: number; liveRows: number; seqTupRead: number }>;
  unusedIndexes: Array<{ index: string; table: string; scans: number; bytes: number }>;
}

export interface PgHealthThresholds {
  connectionsWarn: number;
  connectionsCritical: number;
  cacheHitRate: number;
  replicationLagSeconds: number;
  wraparoundRemaining: number;
  sequenceRatio: number;
}

export const pgHealthDefaults: PgHealthThresholds = {
  connectionsWarn: 0.8,
  connectionsCritical: 0.95,
  cacheHitRate: 0.99,
  replicationLagSeconds: 60,
  wraparoundRemaining: 10_000_000,
  sequenceRatio: 0.9,
};

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const short = (q: string) => q.replace(/\s+/g, ' ').trim().slice(0, 160);

export function judgePgHealth(s: PgStats, t: PgHealthThresholds = pgHealthDefaults): Finding[] {
  const r = `db/${s.database}`;
  const f: Finding[] = [];
  const used = s.connections.total / s.connections.max;
  if (used >= t.connectionsWarn) {
    f.push({
      severity: used >= t.connectionsCritical ? 'critical' : 'warning',
      check: 'pg.connections',
      resource: r,
      message: `${s.connections.total} of ${s.connections.max} connections in use (${pct(used)})`,
      evidence: s.connections,
      remedy:
        'Put a pooler (PgBouncer) in front, or lower the pool sizes of the apps; raising max_connections costs memory per connection.',
    });
  }
  for (const x of s.idleInTransaction) {
    f.push({
      severity: 'warning',
      check: 'pg.idle-in-transaction',
      resource: r,
      message: `pid ${x.pid} (${x.user ?? '?'}) idle in transaction for ${Math.round(x.seconds)} s: ${short(x.query)}`,
      evidence: x,
      remedy: `select pg_terminate_backend(${x.pid}); and set idle_in_transaction_session_timeout so it cannot hold locks and vacuum back again (clear-stuck does this with confirm).`,
    });
  }
  for (const x of s.longRunning) {
    f.push({
      severity: 'warning',
      check: 'pg.long-running-query',
      resource: r,
      message: `pid ${x.pid} (${x.user ?? '?'}) running for ${Math.round(x.seconds)} s: ${short(x.query)}`,
      evidence: x,
      remedy: `select pg_cancel_backend(${x.pid}); then EXPLAIN (ANALYZE, BUFFERS) the query; set statement_timeout for the role that runs it.`,
    });
  }
  for (const x of s.blocked) {
    f.push({
      severity: 'warning',
      check: 'pg.blocked-query',
      resource: r,
      message: `pid ${x.pid} waits ${Math.round(x.seconds)} s on pid ${x.blockedBy.join(', ')} (${short(x.blockerQuery ?? '?')}): ${short(x.query)}`,
      evidence: x,
      remedy: `Find out why pid ${x.blockedBy[0]} holds its lock; if it must go: select pg_terminate_backend(${x.blockedBy[0]});`,
    });
  }
  for (const [kind, rate, reads] of [
    ['table', s.cacheHit.table, s.cacheHit.tableReads],
    ['index', s.cacheHit.index, s.cacheHit.indexReads],
  ] as const) {
    if (rate !== null && reads >= 1000 && rate < t.cacheHitRate) {
      f.push({
        severity: 'warning',
        check: `pg.${kind}-cache-hit-rate`,
        resource: r,
        message: `${kind} cache hit rate ${pct(rate)}, below ${pct(t.cacheHitRate)}`,
        evidence: { rate, reads },
        remedy:
          'The working set does not fit in shared_buffers: add memory (and raise shared_buffers), or find the queries reading the most blocks (query-analysis).',
      });
    }
  }
  if (
    s.replication.isReplica &&
    s.replication.replicaLagSeconds !== null &&
    s.replication.replicaLagSeconds >= t.replicationLagSeconds
  ) {
    f.push({
      severity: 'warning',
      check: 'pg.replication-lag',
      resource: r,
      message: `this replica is ${Math.round(s.replication.replicaLagSeconds)} s behind its primary`,
      remedy:
        "Check the replica's disk and network, and long queries on it holding replay back (max_standby_streaming_delay).",
    });
  }
  for (const sb of s.replication.standbys) {
    if (sb.lagSeconds !== null && sb.lagSeconds >= t.replicationLagSeconds)
      f.push({
        severity: 'warning',
        check: 'pg.replication-lag',
        resource: `${r}/standby/${sb.name}`,
        message: `standby ${sb.name} replays ${Math.round(sb.lagSeconds)} s behind (${sb.state})`,
        remedy: "Check the standby's disk and network.",
      });
  }
  for (const slot of s.inactiveSlots) {
    f.push({
      severity: 'warning',
      check: 'pg.inactive-replication-slot',
      resource: `${r}/slot/${slot.name}`,
      message: `replication slot ${slot.name} is inactive${slot.retainedBytes !== null ? ` and holds ${(slot.retainedBytes / 2 ** 20).toFixed(0)} MiB of WAL` : ''}`,
      remedy: `If its consumer is gone: select pg_drop_replication_slot('${slot.name}'); an inactive slot keeps WAL until the disk fills.`,
    });
  }
  if (s.wraparound.remaining < t.wraparoundRemaining * 10) {
    f.push({
      severity: s.wraparound.remaining < t.wraparoundRemaining ? 'critical' : 'warning',
      check: 'pg.transaction-id-wraparound',
      resource: r,
      message: `${s.wraparound.remaining.toLocaleString('en')} transaction IDs left before wraparound`,
      evidence: s.wraparound,
      remedy:
        'VACUUM (FREEZE) the oldest tables now (order by age(relfrozenxid)); check that autovacuum is not blocked by long transactions or inactive slots.',
    });
  }
  for (const seq of s.sequences) {
    if (seq.ratio >= t.sequenceRatio) {
      f.push({
        severity: seq.ratio >= 0.98 ? 'critical' : 'warning',
        check: 'pg.sequence-exhaustion',
        resource: `${r}/sequence/${seq.sequence}`,
        message: `sequence ${seq.sequence}${seq.column ? ` (${seq.column})` : ''} has used ${pct(seq.ratio)} of its range (${seq.lastValue} of ${seq.maxValue})`,
        evidence: seq,
        remedy: seq.column
          ? `ALTER TABLE … ALTER COLUMN ${seq.column.split('.').pop()} TYPE bigint (and the sequence: ALTER SEQUENCE ${seq.sequence} AS bigint) before inserts start failing.`
          : `ALTER SEQUENCE ${seq.sequence} AS bigint MAXVALUE …`,
      });
    }
  }
  for (const ix of s.invalidIndexes) {
    f.push({
      severity: 'warning',
      check: 'pg.invalid-index',
      resource: `${r}/index/${ix.index}`,
      message: `index ${ix.index} on ${ix.table} is invalid (a failed CREATE INDEX CONCURRENTLY)`,
      remedy: `DROP INDEX CONCURRENTLY ${ix.index}; then create it again.`,
    });
  }
  for (const ix of s.duplicateIndexes) {
    f.push({
      severity: 'warning',
      check: 'pg.duplicate-index',
      resource: `${r}/index/${ix.index}`,
      message: `index ${ix.index} on ${ix.table} is covered by ${ix.coveredBy} (${(ix.bytes / 2 ** 20).toFixed(1)} MiB)`,
      evidence: ix,
      remedy: `DROP INDEX CONCURRENTLY ${ix.index}; — ${ix.coveredBy} serves the same lookups.`,
    });
  }
  return f;
}

export interface QueryThresholds {
  top: number;
  slowMeanMs: number;
  slowCalls: number;
  rowsPerCall: number;
}

export function judgeQueries(database: string, s: QueryStats, t: QueryThresholds): Finding[] {
  const r = `db/${database}`;
  const f: Finding[] = [];
  if (s.statements === null) {
    f.push({
      severity: 'warning',
      check: 'pg.stat-statements',
      resource: r,
      message: `no query statistics: ${s.missingReason}`,
      remedy:
        'Add pg_stat_statements to shared_preload_libraries in postgresql.conf, restart PostgreSQL, then run CREATE EXTENSION pg_stat_statements; in this database.',
    });
  } else {
    const byTotal = s.statements.slice(0, t.top);
    const byMean = [...s.statements].sort((a, b) => b.meanMs - a.meanMs).slice(0, t.top);
    f.push({
      severity: 'info',
      check: 'pg.top-total-time',
      resource: r,
      message: `top ${byTotal.length} queries by total time`,
      evidence: byTotal.map((q) => ({ ...q, query: short(q.query) })),
    });
    f.push({
      severity: 'info',
      check: 'pg.top-mean-time',
      resource: r,
      message: `top ${byMean.length} queries by mean time`,
      evidence: byMean.map((q) => ({ ...q, query: short(q.query) })),
    });
    for (const q of s.statements) {
      if (q.meanMs >= t.slowMeanMs && q.calls >= t.slowCalls) {
        f.push({
          severity: 'warning',
          check: 'pg.slow-query',
          resource: r,
          message: `${q.meanMs.toFixed(1)} ms mean over ${q.calls} calls (${(q.totalMs / 1000).toFixed(1)} s total): ${short(q.query)}`,
          evidence: { ...q, query: short(q.query) },
          remedy:
            'EXPLAIN (ANALYZE, BUFFERS) it with real parameters; an index on its filter or join columns, or a narrower select, usually fixes it.',
        });
      }
      if (q.calls > 0 && q.rows / q.calls >= t.rowsPerCall) {
        f.push({
          severity: 'info',
          check: 'pg.rows-per-call',
          resource: r,
          message: `${Math.round(q.rows / q.calls)} rows per call: ${short(q.query)}`,
          evidence: { calls: q.calls, rows: q.rows },
          remedy: 'Page the results (LIMIT with a keyset) or aggregate in the database.',
        });
      }
    }
  }
  for (const tb of s.seqScanTables) {
    f.push({
      severity: 'warning',
      check: 'pg.seq-scans',
      resource: `${r}/table/${tb.table}`,
      message: `${tb.table} (${tb.liveRows} rows) is read by sequential scans ${tb.seqScans} times against ${tb.indexScans} index scans`,
      evidence: tb,
      remedy: `Find the queries filtering ${tb.table} (pg.top-total-time) and index their WHERE columns.`,
    });
  }
  for (const ix of s.unusedIndexes) {
    f.push({
      severity: 'info',
      check: 'pg.unused-index',
      resource: `${r}/index/${ix.index}`,
      message: `index ${ix.index} on ${ix.table} was used ${ix.scans} times since statistics were reset (${(ix.bytes / 2 ** 20).toFixed(1)} MiB)`,
      evidence: ix,
      remedy: `If replicas do not use it either: DROP INDEX CONCURRENTLY ${ix.index}; it costs every write.`,
    });
  }
  return f;
}
