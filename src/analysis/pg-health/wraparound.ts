/**
 * Transaction ID and multixact wraparound, as check_postgres' txid_wraparound judges it: by
 * the share of the 2^31 IDs a database (or table) may be behind before PostgreSQL stops
 * accepting writes — warning at half (about 1.07 billion), critical at three quarters —
 * so there is time to act; and per table, a table whose age is well past the
 * autovacuum_freeze_max_age that should have made autovacuum freeze it.
 */
import { quoteQualified } from './sql.js';
import type { Finding } from '../../model.js';
import { percent } from '../format.js';
import type { PgStats } from './stats.js';

/** 2^31: how far behind the oldest unfrozen ID may fall before wraparound. */
export const WRAPAROUND_HORIZON = 2 ** 31;
/** A table this many times past its freeze_max_age: the anti-wraparound autovacuum that should have frozen it is not getting there. */
const FREEZE_OVERDUE = 1.5;

export interface WraparoundThresholds {
  /** Shares of the 2^31 horizon consumed. */
  wraparoundWarn: number;
  wraparoundCritical: number;
}

const REMEDY =
  'VACUUM (FREEZE, VERBOSE) the oldest tables now (pg.table-wraparound names them); check that autovacuum is not held back by long transactions, prepared transactions or replication slots.';

const severityOf = (ratio: number, t: WraparoundThresholds): Finding['severity'] | null =>
  ratio >= t.wraparoundCritical ? 'critical' : ratio >= t.wraparoundWarn ? 'warning' : null;

const ids = (n: number) => Math.round(n).toLocaleString('en');

/** Each database behind by a warning share of transaction IDs or of multixact IDs. */
function databases(s: PgStats, r: string, t: WraparoundThresholds): Finding[] {
  return s.wraparound.databases.flatMap((d) =>
    (
      [
        ['transaction', 'pg.transaction-id-wraparound', d.xidAge],
        ['multixact', 'pg.multixact-wraparound', d.multixactAge],
      ] as const
    ).flatMap(([kind, check, age]): Finding[] => {
      const severity = severityOf(age / WRAPAROUND_HORIZON, t);
      if (!severity) return [];
      return [
        {
          severity,
          check,
          resource: d.database === s.database ? r : `${r}/database/${d.database}`,
          message: `database ${d.database} has used ${percent(age / WRAPAROUND_HORIZON)} of its ${kind} IDs before wraparound (age ${ids(age)}, ${ids(WRAPAROUND_HORIZON - age)} left)`,
          evidence: { database: d.database, kind, age, horizon: WRAPAROUND_HORIZON },
          remedy: REMEDY,
        },
      ];
    }),
  );
}

/** This database's tables behind by a warning share, or far past the age autovacuum should have frozen them at. */
function tables(s: PgStats, r: string, t: WraparoundThresholds): Finding[] {
  return s.wraparound.tables.flatMap((tb): Finding[] => {
    const ratio = Math.max(tb.xidAge, tb.multixactAge) / WRAPAROUND_HORIZON;
    const overdue =
      tb.xidAge >= FREEZE_OVERDUE * tb.freezeMaxAge || tb.multixactAge >= FREEZE_OVERDUE * tb.multixactFreezeMaxAge;
    const severity = severityOf(ratio, t) ?? (overdue ? 'warning' : null);
    if (!severity) return [];
    return [
      {
        severity,
        check: 'pg.table-wraparound',
        resource: `${r}/table/${tb.table}`,
        message: `table ${tb.table} has used ${percent(ratio)} of the IDs before wraparound (transaction ID age ${ids(tb.xidAge)} against autovacuum_freeze_max_age ${ids(tb.freezeMaxAge)}, multixact age ${ids(tb.multixactAge)} against ${ids(tb.multixactFreezeMaxAge)})`,
        evidence: tb,
        remedy: `VACUUM (FREEZE, VERBOSE) ${quoteQualified(tb.table)}; and find what keeps autovacuum from freezing it (pg_stat_progress_vacuum, long or prepared transactions, slots).`,
      },
    ];
  });
}

/** Wraparound findings: per database (transaction and multixact IDs), then per table. */
export function judgeWraparound(s: PgStats, r: string, t: WraparoundThresholds): Finding[] {
  return [...databases(s, r, t), ...tables(s, r, t)];
}
