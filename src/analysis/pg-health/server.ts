/**
 * PgHero's health checks with its defaults, one function a family: connections, sessions,
 * locks, cache, replication, wraparound (wraparound.ts), sequences, indexes, upkeep (upkeep.ts). Each gives the remedy an
 * operator would run.
 */
import type { Finding } from '../../model.js';
import { mebibytes, percent, shortQuery, span } from '../format.js';
import type { PgStats, ReplayPosition } from './stats.js';
import { judgeUpkeep, type UpkeepThresholds } from './upkeep.js';
import { judgeWraparound, type WraparoundThresholds } from './wraparound.js';
import { splitLastName } from './sql.js';

export interface PgHealthThresholds extends WraparoundThresholds, UpkeepThresholds {
  connectionsWarn: number;
  connectionsCritical: number;
  cacheHitRate: number;
  replicationLagSeconds: number;
  sequenceRatio: number;
}

/** PgHero's defaults; check_postgres' where PgHero has none (wraparound by share, prepared transactions). */
export const pgHealthDefaults: PgHealthThresholds = {
  connectionsWarn: 0.8,
  connectionsCritical: 0.95,
  cacheHitRate: 0.99,
  replicationLagSeconds: 60,
  wraparoundWarn: 0.5,
  wraparoundCritical: 0.75,
  sequenceRatio: 0.9,
  deadTupleShare: 0.2,
  maintenanceAgeSeconds: 86_400,
  bloatRatio: 0.5,
  bloatBytes: 100 * 2 ** 20,
  preparedTransactionSeconds: 300,
  slotWalBytes: 2 ** 30,
};

/**
 * A replica's lag as PgHero and check_postgres compute it: none when it has replayed all
 * the WAL it received (a primary with no writes sends nothing, and the time since the last
 * replayed transaction says nothing then); otherwise the time since the last replayed
 * transaction. Null when it cannot be known (nothing replayed yet).
 */
export function replicaLagSeconds(p: ReplayPosition): number | null {
  if (p.receiveLsn !== null && p.receiveLsn === p.replayLsn) return 0;
  return p.secondsSinceLastReplay;
}

/** A family of checks: the stats, the database's resource name (`db/<name>`) and the thresholds in, findings out. */
type Check = (s: PgStats, r: string, t: PgHealthThresholds) => Finding[];

/** Below this many blocks read a hit rate says nothing (a fresh or idle database). */
const MIN_CACHE_READS = 1000;
/** A sequence this far through its range is one busy day from failing inserts. */
const SEQUENCE_CRITICAL = 0.98;

const connections: Check = (s, r, t) => {
  const used = s.connections.total / s.connections.max;
  return used >= t.connectionsWarn
    ? [
        {
          severity: used >= t.connectionsCritical ? 'critical' : 'warning',
          check: 'pg.connections',
          resource: r,
          message: `${s.connections.total} of ${s.connections.max} connections in use (${percent(used)})`,
          evidence: s.connections,
          remedy:
            'Put a pooler (PgBouncer) in front, or lower the pool sizes of the apps; raising max_connections costs memory per connection.',
        },
      ]
    : [];
};

/** Sessions idle in a transaction (they hold locks and vacuum back) and queries running too long. */
const sessions: Check = (s, r) => [
  ...s.idleInTransaction.map((x): Finding => ({
    severity: 'warning',
    check: 'pg.idle-in-transaction',
    resource: r,
    message: `pid ${x.pid} (${x.user ?? '?'}) idle in transaction for ${Math.round(x.seconds)} s: ${shortQuery(x.query)}`,
    evidence: x,
    remedy: `select pg_terminate_backend(${x.pid}); and set idle_in_transaction_session_timeout so it cannot hold locks and vacuum back again (clear-stuck does this with confirm).`,
  })),
  ...s.longRunning.map((x): Finding => ({
    severity: 'warning',
    check: 'pg.long-running-query',
    resource: r,
    message: `pid ${x.pid} (${x.user ?? '?'}) running for ${Math.round(x.seconds)} s: ${shortQuery(x.query)}`,
    evidence: x,
    remedy: `select pg_cancel_backend(${x.pid}); then EXPLAIN (ANALYZE, BUFFERS) the query; set statement_timeout for the role that runs it.`,
  })),
];

const locks: Check = (s, r) =>
  s.blocked.map((x) => ({
    severity: 'warning',
    check: 'pg.blocked-query',
    resource: r,
    message: `pid ${x.pid} waits ${Math.round(x.seconds)} s on pid ${x.blockedBy.join(', ')} (${shortQuery(x.blockerQuery ?? '?')}): ${shortQuery(x.query)}`,
    evidence: x,
    remedy: `Find out why pid ${x.blockedBy[0]} holds its lock; if it must go: select pg_terminate_backend(${x.blockedBy[0]});`,
  }));

const cache: Check = (s, r, t) => {
  const { rate, reads, interval } = s.cacheHit;
  return rate !== null && reads >= MIN_CACHE_READS && rate < t.cacheHitRate
    ? [
        {
          severity: 'warning',
          check: 'pg.cache-hit-rate',
          resource: r,
          message: `cache hit rate ${percent(rate)} over ${reads} blocks read ${interval}, below ${percent(t.cacheHitRate)}`,
          evidence: { rate, reads, interval },
          remedy:
            'The working set does not fit in shared_buffers: add memory (and raise shared_buffers), or find the queries reading the most blocks (query-analysis).',
        },
      ]
    : [];
};

/**
 * A replica cut off from its primary has replayed all it received, so its lag reads 0 for
 * as long as it is cut off: what says so is its WAL receiver (pg_stat_wal_receiver) — none
 * running, not streaming, or nothing heard from the primary for longer than the lag allowed
 * (and than wal_receiver_timeout, within which an idle primary is always heard from).
 */
function notReceiving(s: PgStats, t: PgHealthThresholds): string | null {
  const { isReplica, receiver, replay } = s.replication;
  if (!isReplica) return null;
  const replayed =
    replay?.secondsSinceLastReplay != null
      ? `; last transaction replayed ${span(replay.secondsSinceLastReplay)} ago`
      : '';
  if (receiver === null)
    return `this replica is not receiving WAL from the primary: no WAL receiver is running${replayed}`;
  if (receiver.status !== null && receiver.status !== 'streaming')
    return `this replica is not receiving WAL from the primary: its WAL receiver is ${receiver.status}${replayed}`;
  const silent = receiver.secondsSinceMessage;
  if (
    receiver.timeoutSeconds > 0 &&
    silent !== null &&
    silent > Math.max(t.replicationLagSeconds, receiver.timeoutSeconds)
  )
    return `this replica is not receiving WAL from the primary for ${span(silent)}${replayed}`;
  return null;
}

/** This server's lag as a replica (and whether it hears from its primary at all), its standbys' lag as a primary, and slots nobody reads. */
const replication: Check = (s, r, t) => {
  const { isReplica, replay, standbys } = s.replication;
  const lag = replay && replicaLagSeconds(replay);
  const f: Finding[] = [];
  const cutOff = notReceiving(s, t);
  if (cutOff)
    f.push({
      severity: 'critical',
      check: 'pg.wal-receiver',
      resource: r,
      message: cutOff,
      evidence: { receiver: s.replication.receiver, replay },
      remedy:
        "Check the primary is up and reachable from the replica, and the replica's log for why its WAL receiver stopped (primary_conninfo, authentication, a removed WAL segment); a replica restoring only from the archive runs no WAL receiver.",
    });
  if (isReplica && lag !== null && lag >= t.replicationLagSeconds) {
    f.push({
      severity: 'warning',
      check: 'pg.replication-lag',
      resource: r,
      message: `this replica is ${Math.round(lag)} s behind its primary`,
      remedy:
        "Check the replica's disk and network, and long queries on it holding replay back (max_standby_streaming_delay).",
    });
  }
  for (const sb of standbys.filter((x) => x.lagSeconds !== null && x.lagSeconds >= t.replicationLagSeconds))
    f.push({
      severity: 'warning',
      check: 'pg.replication-lag',
      resource: `${r}/standby/${sb.name}`,
      message: `standby ${sb.name} replays ${Math.round(sb.lagSeconds!)} s behind (${sb.state})`,
      remedy: "Check the standby's disk and network.",
    });
  for (const slot of s.inactiveSlots)
    f.push({
      severity: 'warning',
      check: 'pg.inactive-replication-slot',
      resource: `${r}/slot/${slot.name}`,
      message: `replication slot ${slot.name} is inactive${slot.retainedBytes !== null ? ` and holds ${mebibytes(slot.retainedBytes, 0)} of WAL` : ''}`,
      remedy: `If its consumer is gone: select pg_drop_replication_slot('${slot.name}'); an inactive slot keeps WAL until the disk fills.`,
    });
  return f;
};

const wraparound: Check = judgeWraparound;
const upkeep: Check = judgeUpkeep;

const sequences: Check = (s, r, t) =>
  s.sequences
    .filter((seq) => seq.ratio >= t.sequenceRatio)
    .map((seq) => ({
      severity: seq.ratio >= SEQUENCE_CRITICAL ? 'critical' : 'warning',
      check: 'pg.sequence-exhaustion',
      resource: `${r}/sequence/${seq.sequence}`,
      message: `sequence ${seq.sequence}${seq.column ? ` (${seq.column})` : ''} has used ${percent(seq.ratio)} of its range (${seq.lastValue} of ${seq.maxValue})`,
      evidence: seq,
      remedy: seq.column
        ? `ALTER TABLE ${splitLastName(seq.column).join(' ALTER COLUMN ')} TYPE bigint (and the sequence: ALTER SEQUENCE ${seq.sequence} AS bigint) before inserts start failing.`
        : `ALTER SEQUENCE ${seq.sequence} AS bigint MAXVALUE …`,
    }));

/** Invalid indexes (left by a failed CREATE INDEX CONCURRENTLY) and indexes another one covers. */
const indexes: Check = (s, r) => [
  ...s.invalidIndexes.map((ix): Finding => ({
    severity: 'warning',
    check: 'pg.invalid-index',
    resource: `${r}/index/${ix.index}`,
    message: `index ${ix.index} on ${ix.table} is invalid (a failed CREATE INDEX CONCURRENTLY)`,
    remedy: `DROP INDEX CONCURRENTLY ${ix.index}; then create it again.`,
  })),
  ...s.duplicateIndexes.map((ix): Finding => ({
    severity: 'warning',
    check: 'pg.duplicate-index',
    resource: `${r}/index/${ix.index}`,
    message: `index ${ix.index} on ${ix.table} is covered by ${ix.coveredBy} (${mebibytes(ix.bytes)})`,
    evidence: ix,
    remedy: `DROP INDEX CONCURRENTLY ${ix.index}; — ${ix.coveredBy} serves the same lookups.`,
  })),
];

const CHECKS: Check[] = [connections, sessions, locks, cache, replication, wraparound, sequences, indexes, upkeep];

/** Every family's findings on one database, in PgHero's order, then upkeep (upkeep.ts). */
export function judgePgHealth(s: PgStats, t: PgHealthThresholds = pgHealthDefaults): Finding[] {
  const r = `db/${s.database}`;
  return CHECKS.flatMap((check) => check(s, r, t));
}
