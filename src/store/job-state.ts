/**
 * What a job keeps between its runs (`job_state`): the counters it read last time (Redis
 * INFO, pg_stat_*), so the next run judges the change since then rather than totals since
 * a server started; log templates with their ids. One row per job and scope (a cache, a
 * database, a service), replaced at each run that keeps one.
 */
import type { Sql } from './sql.js';

/** What a job kept under one scope, and when. */
export interface KeptState {
  at: Date;
  runId: string;
  value: unknown;
}

/** A kept value is JSON of at most this many bytes: a job keeps counters and templates, not data. */
export const MAX_STATE_BYTES = 1024 * 1024;

export class JobStateRepository {
  constructor(private readonly sql: Sql) {}

  async get(jobId: string, scope: string): Promise<KeptState | null> {
    const { rows } = await this.sql.query<{ taken_at: Date; run_id: string; state: string }>(
      'select taken_at, run_id, state::text as state from job_state where job_id = $1 and scope = $2',
      [jobId, scope],
    );
    const row = rows[0];
    return row ? { at: new Date(row.taken_at), runId: row.run_id, value: JSON.parse(row.state) } : null;
  }

  async put(jobId: string, scope: string, runId: string, at: Date, value: unknown): Promise<void> {
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError(`job state ${jobId}/${scope}: the value is not JSON`);
    const bytes = Buffer.byteLength(json);
    if (bytes > MAX_STATE_BYTES)
      throw new RangeError(
        `job state ${jobId}/${scope}: ${bytes} bytes is over the ${MAX_STATE_BYTES} a job may keep between runs`,
      );
    await this.sql.query(
      `insert into job_state (job_id, scope, run_id, taken_at, state) values ($1, $2, $3, $4, $5::jsonb)
       on conflict (job_id, scope) do update set run_id = excluded.run_id, taken_at = excluded.taken_at, state = excluded.state`,
      [jobId, scope, runId, at, json],
    );
  }
}
