/**
 * What PgHero and check_postgres look at beyond the basics: tables autovacuum is not keeping
 * up with (dead rows, changes not analyzed), estimated bloat, and what holds the xmin
 * horizon back so vacuum cannot clean — prepared transactions left open, transactions open
 * for long, replication slots keeping WAL.
 */
import type { Finding } from '../../model.js';
import { mebibytes, percent, shortQuery, span } from '../format.js';
import { quoteIdent, quoteLiteral, quoteQualified } from './sql.js';
import type { PgStats, TableUpkeep } from './stats.js';

export interface UpkeepThresholds {
  /** Dead rows as a share of all rows (autovacuum_vacuum_scale_factor's default). */
  deadTupleShare: number;
  /** How long a table may stay past its autovacuum trigger since its last vacuum (or analyze). */
  maintenanceAgeSeconds: number;
  /** Estimated bloat: both a share of the relation and a size. */
  bloatRatio: number;
  bloatBytes: number;
  preparedTransactionSeconds: number;
  /** WAL an active slot may keep before it is worth a look (or 80 % of max_slot_wal_keep_size, when lower). */
  slotWalBytes: number;
}

/** Below this many dead rows a table's share says nothing. */
const MIN_DEAD_ROWS = 10_000;

type Check = (s: PgStats, r: string, t: UpkeepThresholds) => Finding[];

const deadShare = (tb: TableUpkeep) => (tb.liveRows + tb.deadRows > 0 ? tb.deadRows / (tb.liveRows + tb.deadRows) : 0);
const lastDone = (what: string, seconds: number | null) =>
  seconds === null ? `never ${what}` : `last ${what} ${span(seconds)} ago`;
const autovacuumOff = (tb: TableUpkeep) => (tb.autovacuumEnabled ? '' : ' (autovacuum is off for it)');
const stale = (seconds: number | null, t: UpkeepThresholds) => seconds === null || seconds >= t.maintenanceAgeSeconds;

/** Many dead rows; or past autovacuum's trigger and not vacuumed (or analyzed) for longer than the threshold. */
const tables: Check = (s, r, t) =>
  s.maintenance.tables.flatMap((tb): Finding[] => {
    const f: Finding[] = [];
    const resource = `${r}/table/${tb.table}`;
    const heavy = tb.deadRows >= MIN_DEAD_ROWS && deadShare(tb) >= t.deadTupleShare;
    if (heavy || (tb.deadRows > tb.vacuumTrigger && stale(tb.lastVacuumSeconds, t)))
      f.push({
        severity: 'warning',
        check: heavy ? 'pg.dead-tuples' : 'pg.vacuum-overdue',
        resource,
        message: `${tb.table} has ${tb.deadRows} dead rows (${percent(deadShare(tb))} of its rows; autovacuum steps in at ${Math.round(tb.vacuumTrigger)}), ${lastDone('vacuumed', tb.lastVacuumSeconds)}${autovacuumOff(tb)}`,
        evidence: tb,
        remedy: `VACUUM (VERBOSE) ${quoteQualified(tb.table)}; if autovacuum cannot keep up, lower its autovacuum_vacuum_scale_factor; if the dead rows stay, something holds the xmin horizon (long or prepared transactions, slots).`,
      });
    if (tb.modsSinceAnalyze > tb.analyzeTrigger && stale(tb.lastAnalyzeSeconds, t))
      f.push({
        severity: 'warning',
        check: 'pg.analyze-overdue',
        resource,
        message: `${tb.table} has ${tb.modsSinceAnalyze} rows changed (autovacuum analyzes at ${Math.round(tb.analyzeTrigger)}), ${lastDone('analyzed', tb.lastAnalyzeSeconds)}${autovacuumOff(tb)}`,
        evidence: tb,
        remedy: `ANALYZE ${quoteQualified(tb.table)}; the planner is choosing plans from stale statistics.`,
      });
    return f;
  });

const bloat: Check = (s, r, t) =>
  s.maintenance.bloat
    .filter((b) => b.bytes > 0 && b.wastedBytes >= t.bloatBytes && b.wastedBytes / b.bytes >= t.bloatRatio)
    .map((b) => ({
      severity: 'warning',
      check: `pg.${b.kind}-bloat`,
      resource: `${r}/${b.kind}/${b.name}`,
      message: `${b.kind} ${b.name} is an estimated ${percent(b.wastedBytes / b.bytes)} bloat (${mebibytes(b.wastedBytes)} of ${mebibytes(b.bytes)}; an estimate from pg_stats, as check_postgres and PgHero make it)`,
      evidence: b,
      remedy:
        b.kind === 'index'
          ? `REINDEX INDEX CONCURRENTLY ${quoteQualified(b.name)};`
          : `Rewrite ${b.name} without a long lock (pg_repack), or VACUUM FULL ${quoteQualified(b.name)} in a maintenance window; then find why vacuum fell behind.`,
    }));

/** Prepared transactions keep their locks and hold back the xmin horizon of the whole cluster until committed or rolled back. */
const prepared: Check = (s, r, t) =>
  s.maintenance.preparedTransactions
    .filter((p) => p.seconds >= t.preparedTransactionSeconds)
    .map((p) => ({
      severity: 'critical',
      check: 'pg.prepared-transaction',
      resource: `${r}/prepared/${p.gid}`,
      message: `prepared transaction ${p.gid} (${p.owner}, database ${p.database}) has been left open for ${span(p.seconds)}: it holds its locks and keeps vacuum from cleaning anywhere`,
      evidence: p,
      remedy: `Ask its transaction manager to finish it; if it is orphaned, connected to database ${quoteIdent(p.database)}: COMMIT PREPARED ${quoteLiteral(p.gid)}; or ROLLBACK PREPARED ${quoteLiteral(p.gid)};`,
    }));

const slots: Check = (s, r, t) => {
  const { activeSlots, maxSlotWalKeepBytes: max } = s.maintenance;
  const limit = max === null ? t.slotWalBytes : Math.min(t.slotWalBytes, 0.8 * max);
  return activeSlots
    .filter((x) => x.retainedBytes !== null && x.retainedBytes >= limit)
    .map((x) => ({
      severity: 'warning',
      check: 'pg.slot-retained-wal',
      resource: `${r}/slot/${x.name}`,
      message: `active replication slot ${x.name} keeps ${mebibytes(x.retainedBytes!, 0)} of WAL (limit ${mebibytes(limit, 0)}${max === null ? '' : `; max_slot_wal_keep_size ${mebibytes(max, 0)}`})`,
      evidence: { ...x, limit, maxSlotWalKeepBytes: max },
      remedy: `Its consumer is falling behind: check it (pg_stat_replication, the subscriber's logs); set max_slot_wal_keep_size so a stuck slot cannot fill the disk.`,
    }));
};

/** Transactions open for long whatever they do now; those already named as idle in transaction or long running are not named twice. */
const transactions: Check = (s, r) => {
  const named = new Set([...s.idleInTransaction, ...s.longRunning].map((x) => x.pid));
  return s.maintenance.longTransactions
    .filter((x) => !named.has(x.pid))
    .map((x) => ({
      severity: 'warning',
      check: 'pg.long-transaction',
      resource: r,
      message: `pid ${x.pid} (${x.user ?? '?'}) has had a transaction open for ${span(x.seconds)} (${x.state}): ${shortQuery(x.query)}`,
      evidence: x,
      remedy: `It holds back vacuum everywhere: end it in the application (commit sooner), or select pg_terminate_backend(${x.pid}); set idle_in_transaction_session_timeout and transaction_timeout (PostgreSQL 17).`,
    }));
};

/** Upkeep findings in order: tables, bloat, then what holds the xmin horizon back. */
export function judgeUpkeep(s: PgStats, r: string, t: UpkeepThresholds): Finding[] {
  return [tables, bloat, prepared, slots, transactions].flatMap((check) => check(s, r, t));
}
