/** Per-schedule state that must survive a restart: the last slot fired and whether the job is paused. */
import type { Sql } from './sql.js';

export interface ScheduleState {
  jobId: string;
  lastSlot: Date | null;
  paused: boolean;
  pausedBy: string | null;
}

/** Every job's state, or with `jobId` that job's only (a page about one job). */
export async function loadScheduleStates(sql: Sql, jobId?: string): Promise<Map<string, ScheduleState>> {
  const { rows } = await sql.query(
    `select job_id, last_slot, paused, paused_by from schedule_state${jobId === undefined ? '' : ' where job_id = $1'}`,
    jobId === undefined ? [] : [jobId],
  );
  return new Map(
    rows.map((r) => [
      r.job_id as string,
      {
        jobId: r.job_id as string,
        lastSlot: (r.last_slot as Date) ?? null,
        paused: r.paused as boolean,
        pausedBy: (r.paused_by as string) ?? null,
      },
    ]),
  );
}

const ADVANCE = {
  postgres: `insert into schedule_state (job_id, last_slot)
       select * from unnest($1::text[], $2::timestamptz[])
     on conflict (job_id) do update
       set last_slot = greatest(schedule_state.last_slot, excluded.last_slot), updated_at = now()`,
  // RFC 3339 text in UTC sorts as time does; max() of a NULL and a slot would be NULL.
  sqlite: `insert into schedule_state (job_id, last_slot)
       select j.value, s.value from json_each($1) j join json_each($2) s on s.key = j.key where true
     on conflict (job_id) do update
       set last_slot = coalesce(max(schedule_state.last_slot, excluded.last_slot), excluded.last_slot), updated_at = now()`,
};

/** Moves each job's last fired slot forward (never back: several schedulers may race). */
export async function advanceSlots(sql: Sql, jobIds: string[], slots: Date[]): Promise<void> {
  if (!jobIds.length) return;
  await sql.query(ADVANCE[sql.kind], [jobIds, slots.map((s) => s.toISOString())]);
}

export async function setPaused(sql: Sql, jobId: string, paused: boolean, actor: string): Promise<void> {
  await sql.query(
    `insert into schedule_state (job_id, paused, paused_by, paused_at) values ($1, $2, $3, case when $2 then now() end)
     on conflict (job_id) do update set paused = $2, paused_by = $3, paused_at = case when $2 then now() end, updated_at = now()`,
    [jobId, paused, paused ? actor : null],
  );
}
