/**
 * Counters that only grow — Redis INFO's evicted_keys and rejected_connections, PostgreSQL's
 * pg_stat_* — are totals since the server started or its statistics were reset. Judged as
 * they are, one bad hour alerts on every run until a restart, and a fixed problem never
 * clears. A job keeps the counters it read (JobContext.state) and judges what changed since
 * its previous run, over the interval it names.
 */
import { span } from './format.js';

/** Counters as read at one moment. */
export interface CounterReading {
  /** When they were read (ISO 8601). */
  at: string;
  /**
   * What identifies the counting period: Redis' run_id, PostgreSQL's stats_reset. A change
   * means the counters started again from zero.
   */
  epoch: string | null;
  /** When the counting started, if the server says (Redis: now − uptime; PostgreSQL: stats_reset). */
  since: string | null;
  values: Record<string, number>;
}

/** What changed between two readings, and over which interval. */
export interface CounterChange {
  /** Counter → increase over the interval (never negative). Counters the earlier reading lacked count from the start of the interval. */
  deltas: Record<string, number>;
  /** Start of the interval (ISO 8601): the previous reading, or when counting started. */
  from: string | null;
  to: string;
  /** Length of the interval in seconds (null when its start is unknown). */
  seconds: number | null;
  /**
   * `previous`: since the previous run; `reset`: the counters restarted in between, at a
   * time the server gives, and the interval starts there; `reset-within`: they restarted at
   * an unknown time since the previous run, which starts the interval (its length is the
   * most it can be); `start`: no earlier reading, so since counting started.
   */
  basis: 'previous' | 'reset' | 'reset-within' | 'start';
}

const seconds = (from: string | null, to: string): number | null =>
  from === null ? null : Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);

/**
 * The change from `previous` to `current`. A new epoch (a restart) or any counter that went
 * down is a reset of them all — Redis' CONFIG RESETSTAT and pg_stat_reset() zero every
 * counter at once, so one that went down says the others restarted from zero too — and
 * each counter's whole current value happened since the reset: the best that can be known.
 */
export function counterChange(previous: CounterReading | null, current: CounterReading): CounterChange {
  if (!previous)
    return {
      deltas: { ...current.values },
      from: current.since,
      to: current.at,
      seconds: seconds(current.since, current.at),
      basis: 'start',
    };
  const wentDown = Object.entries(current.values).some(([k, v]) => k in previous.values && v < previous.values[k]!);
  const newEpoch = previous.epoch !== current.epoch;
  if (newEpoch || wentDown) {
    const since = current.since === null ? null : Date.parse(current.since);
    // A new epoch whose counting began before the previous reading is another server (a
    // failover, a config now pointing elsewhere): its counters were never read, so they are
    // judged since it started, as on a first run — not as if they all happened since then.
    if (newEpoch && since !== null && since <= Date.parse(previous.at))
      return {
        deltas: { ...current.values },
        from: current.since,
        to: current.at,
        seconds: seconds(current.since, current.at),
        basis: 'start',
      };
    // Otherwise a reset between the readings: from the reset when the server says when, else
    // from the previous reading, the earliest it can have been.
    const known = since !== null && since > Date.parse(previous.at);
    const from = known ? current.since! : previous.at;
    return {
      deltas: { ...current.values },
      from,
      to: current.at,
      seconds: seconds(from, current.at),
      basis: known ? 'reset' : 'reset-within',
    };
  }
  const deltas: Record<string, number> = {};
  for (const [k, v] of Object.entries(current.values)) deltas[k] = v - (previous.values[k] ?? 0);
  return { deltas, from: previous.at, to: current.at, seconds: seconds(previous.at, current.at), basis: 'previous' };
}

/** "since the previous run 1 h 2 m ago", "since Redis started 3 d ago", for a finding's text. */
export function describeInterval(change: CounterChange, startedWhat = 'the server started'): string {
  const ago = change.seconds === null ? '' : ` ${span(change.seconds)} ago`;
  switch (change.basis) {
    case 'previous':
      return `since the previous run${ago}`;
    case 'reset':
      return `since the counters were reset${ago}`;
    case 'reset-within':
      return `since the counters were reset, at most${ago}`;
    case 'start':
      return `since ${startedWhat}${ago}`;
  }
}

/** A reading kept by an earlier run, if it has the shape of one (what is kept is read back untrusted). */
export function asReading(value: unknown): CounterReading | null {
  if (!value || typeof value !== 'object') return null;
  const r = value as Partial<CounterReading>;
  if (typeof r.at !== 'string' || Number.isNaN(Date.parse(r.at))) return null;
  if (r.epoch !== null && typeof r.epoch !== 'string') return null;
  if (r.since !== null && typeof r.since !== 'string') return null;
  if (!r.values || typeof r.values !== 'object') return null;
  const values: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.values)) if (typeof v === 'number' && Number.isFinite(v)) values[k] = v;
  return { at: r.at, epoch: r.epoch ?? null, since: r.since ?? null, values };
}
