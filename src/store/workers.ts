/**
 * Worker heartbeats and the runs they leave behind. A process that runs jobs beats every
 * few seconds; a run still marked running whose worker has not beaten within the lease —
 * killed, its machine gone — is closed as failed by whichever process notices. Times come
 * from the caller's clock, so tests move them instead of waiting.
 */
import type { Sql } from './sql.js';

export async function beat(sql: Sql, name: string, at: Date, startedAt: Date): Promise<void> {
  await sql.query(
    'insert into worker_heartbeats (name, started_at, beat_at) values ($1, $2, $3) on conflict (name) do update set beat_at = excluded.beat_at',
    [name, startedAt, at],
  );
}

/** A worker that stopped cleanly: it has nothing running. */
export async function forgetWorker(sql: Sql, name: string): Promise<void> {
  await sql.query('delete from worker_heartbeats where name = $1', [name]);
}

/**
 * Closes the runs still marked running whose worker has not beaten since `aliveSince`
 * (or never did), except `self`'s; forgets those workers. Returns the runs closed.
 */
export async function closeOrphanedRuns(
  sql: Sql,
  self: string,
  aliveSince: Date,
  now: Date,
  why?: string,
): Promise<{ id: string; worker: string | null }[]> {
  const { rows } = await sql.query<{ id: string; worker: string | null }>(
    sql.kind === 'sqlite'
      ? `update runs set status = 'failed', finished_at = $3,
           error = coalesce($5, 'worker ' || coalesce(worker, '(unknown)') || ' stopped while this run was in progress (no heartbeat for ' || $4 || ' s)'),
           summary = 'worker lost mid-run'
         where status = 'running' and (worker is null or worker not in
           (select name from worker_heartbeats where beat_at >= $2 or name = $1))
         returning id, worker`
      : `with alive as (select name from worker_heartbeats where beat_at >= $2 or name = $1),
     closed as (
       update runs set status = 'failed', finished_at = $3,
         error = coalesce($5, 'worker ' || coalesce(worker, '(unknown)') || ' stopped while this run was in progress (no heartbeat for ' || $4::text || ' s)'),
         summary = 'worker lost mid-run'
       where status = 'running' and (worker is null or worker not in (select name from alive))
       returning id, worker)
     select id, worker from closed`,
    [self, aliveSince, now, Math.round((now.getTime() - aliveSince.getTime()) / 1000), why ?? null],
  );
  await sql.query('delete from worker_heartbeats where beat_at < $1 and name <> $2', [aliveSince, self]);
  return rows;
}
