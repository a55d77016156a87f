/**
 * Sessions of a user's PostgreSQL server (pg_stat_activity): the ones idle in a transaction,
 * and pg_terminate_backend. clear-stuck judges and decides; this only asks and acts.
 */
import { maskSqlLiterals } from '../analysis/sql-literals.js';
import { withClient } from './pg-stats.js';

/** A session left idle inside a transaction: it holds locks and blocks vacuum until it ends. */
export interface IdleSession {
  pid: number;
  user: string | null;
  seconds: number;
  /** Its last statement, the first 300 characters, constants masked (`?`). */
  query: string;
}

/** What clear-stuck may do on one connection to the database. */
export interface SessionAdmin {
  idleInTransaction(minSeconds: number): Promise<IdleSession[]>;
  /** True when PostgreSQL ended the session (false: gone already, or not permitted). */
  terminate(pid: number): Promise<boolean>;
}

/** Runs `fn` on one connection to `url`, closed after. */
export function withSessions<T>(url: string, fn: (sessions: SessionAdmin) => Promise<T>): Promise<T> {
  return withClient(url, (client) =>
    fn({
      async idleInTransaction(minSeconds) {
        const { rows } = await client.query<IdleSession>(
          `select pid, usename as user, extract(epoch from now() - state_change)::float8 as seconds, left(query, 300) as query
             from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid()
              and state in ('idle in transaction', 'idle in transaction (aborted)')
              and now() - state_change >= make_interval(secs => $1)`,
          [minSeconds],
        );
        return rows.map((row) => ({ ...row, query: maskSqlLiterals(row.query) }));
      },
      async terminate(pid) {
        const { rows } = await client.query<{ ok: boolean }>('select pg_terminate_backend($1) as ok', [pid]);
        return rows[0]?.ok === true;
      },
    }),
  );
}
