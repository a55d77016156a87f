/**
 * Silences and maintenance windows (`silences`). Which signal a silence mutes, and when, is
 * decided in incidents/silence.ts; this keeps them. Expiring one moves its end to now, as
 * Alertmanager does, so the record of what was silenced stays.
 */
import type { Silence } from '../model.js';
import { pgJson } from './copy.js';
import type { Sql } from './sql.js';

interface SilenceRow {
  id: string;
  matchers: Silence['matchers'];
  starts_at: Date;
  ends_at: Date;
  schedule: string | null;
  time_zone: string | null;
  duration_ms: number | string | null;
  reason: string;
  created_by: string;
  created_at: Date;
  expired_by: string | null;
}

const toSilence = (r: SilenceRow): Silence => ({
  id: r.id,
  matchers: r.matchers,
  startsAt: new Date(r.starts_at),
  endsAt: new Date(r.ends_at),
  schedule: r.schedule,
  timeZone: r.time_zone,
  durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: new Date(r.created_at),
  expiredBy: r.expired_by,
});

export class SilenceRepository {
  constructor(private readonly sql: Sql) {}

  /** Adds the silence unless `max` silences are already pending or active; returns whether it was added. */
  async create(s: Silence, max: number): Promise<boolean> {
    return this.sql.transaction(async (q) => {
      const { rows } = await q.query<{ n: number | string }>('select count(*) as n from silences where ends_at > $1', [
        s.createdAt,
      ]);
      if (Number(rows[0]?.n ?? 0) >= max) return false;
      await q.query(
        `insert into silences (id, matchers, starts_at, ends_at, schedule, time_zone, duration_ms, reason, created_by, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          s.id,
          pgJson(s.matchers),
          s.startsAt,
          s.endsAt,
          s.schedule,
          s.timeZone,
          s.durationMs,
          s.reason,
          s.createdBy,
          s.createdAt,
        ],
      );
      return true;
    });
  }

  /** Silences not yet over at `now` (pending or active): what decides whether a signal is muted. */
  async current(now: Date): Promise<Silence[]> {
    const { rows } = await this.sql.query<SilenceRow>(
      'select * from silences where ends_at > $1 order by starts_at, id',
      [now],
    );
    return rows.map(toSilence);
  }

  /** Silences that overlapped the period (for reports), or all not yet over when `from` is null; newest first. */
  async list(filter: { from: Date; to: Date } | { now: Date; all: boolean }, limit = 500): Promise<Silence[]> {
    const { rows } =
      'from' in filter
        ? await this.sql.query<SilenceRow>(
            'select * from silences where starts_at < $2 and ends_at > $1 order by starts_at desc, id limit $3',
            [filter.from, filter.to, limit],
          )
        : await this.sql.query<SilenceRow>(
            'select * from silences where ($2 or ends_at > $1) order by starts_at desc, id limit $3',
            [filter.now, filter.all, limit],
          );
    return rows.map(toSilence);
  }

  async get(id: string): Promise<Silence | null> {
    const { rows } = await this.sql.query<SilenceRow>('select * from silences where id = $1', [id]);
    return rows[0] ? toSilence(rows[0]) : null;
  }

  /** Ends the silence now; false if there is none by that id or it was already over. */
  async expire(id: string, now: Date, by: string): Promise<boolean> {
    const { rows } = await this.sql.query<{ id: string }>(
      `update silences set starts_at = case when starts_at > $2 then $2 else starts_at end, ends_at = $2, expired_by = $3
       where id = $1 and ends_at > $2 returning id`,
      [id, now, by],
    );
    return rows.length > 0;
  }
}
