/** Console sessions (migration 10): one row per signed-in browser, found by the SHA-256 of its cookie. */
import type { Sql } from './sql.js';

export interface ConsoleSession {
  tokenName: string;
  /** Of the token the session was opened with: a rotated or removed token no longer matches. */
  fingerprint: string;
  expiresAt: Date;
}

/** Sessions still open at once, past which the oldest are closed on a new sign-in. */
const MAX_SESSIONS = 10_000;

export class ConsoleSessionRepository {
  constructor(private readonly sql: Sql) {}

  /** Opens a session; expired ones go first, and the oldest beyond MAX_SESSIONS with them. */
  async open(id: string, session: ConsoleSession, now: Date): Promise<void> {
    await this.sql.query('delete from console_sessions where expires_at <= $1', [now]);
    await this.sql.query(
      `delete from console_sessions where id in (select id from console_sessions order by created_at desc limit 1000000 offset $1)`,
      [MAX_SESSIONS - 1],
    );
    await this.sql.query(
      'insert into console_sessions (id, token_name, fingerprint, created_at, expires_at) values ($1, $2, $3, $4, $5)',
      [id, session.tokenName, session.fingerprint, now, session.expiresAt],
    );
  }

  /** The session with this id, unless it expired or was closed. */
  async find(id: string, now: Date): Promise<ConsoleSession | null> {
    const { rows } = await this.sql.query<{ token_name: string; fingerprint: string; expires_at: Date }>(
      'select token_name, fingerprint, expires_at from console_sessions where id = $1 and expires_at > $2',
      [id, now],
      'opscron_console_session',
    );
    const row = rows[0];
    return row
      ? { tokenName: row.token_name, fingerprint: row.fingerprint, expiresAt: new Date(row.expires_at) }
      : null;
  }

  async close(id: string): Promise<void> {
    await this.sql.query('delete from console_sessions where id = $1', [id]);
  }
}
