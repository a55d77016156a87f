/**
 * Alerts Alertmanager sent (`external_alerts`), one row per fingerprint: what makes its
 * repeats (every repeat_interval, and from each Alertmanager of a cluster) change nothing.
 */
import type { Sql } from './sql.js';

export interface ExternalAlert {
  fingerprint: string;
  service: string;
  signal: string;
  severity: string;
  startsAt: Date;
}

export class ExternalAlertRepository {
  constructor(private readonly sql: Sql) {}

  /** The alert fires: true if that is news (new, or firing again, or another severity), false for a repeat. */
  async firing(a: ExternalAlert, now: Date): Promise<boolean> {
    const { rows } = await this.sql.query<{ fingerprint: string }>(
      `insert into external_alerts (fingerprint, service, signal, severity, status, starts_at, updated_at)
       values ($1, $2, $3, $4, 'firing', $5, $6)
       on conflict (fingerprint) do update set service = excluded.service, signal = excluded.signal,
         severity = excluded.severity, status = 'firing', starts_at = excluded.starts_at, updated_at = excluded.updated_at
       where external_alerts.status <> 'firing' or external_alerts.severity <> excluded.severity
         or external_alerts.service <> excluded.service or external_alerts.signal <> excluded.signal
       returning fingerprint`,
      [a.fingerprint, a.service, a.signal, a.severity, a.startsAt, now],
    );
    return rows.length > 0;
  }

  /**
   * The alert resolved: null if it was not firing (a repeat, or never seen), else how many
   * alerts of its signal still fire.
   */
  async resolved(fingerprint: string, now: Date): Promise<number | null> {
    const { rows } = await this.sql.query<{ service: string; signal: string }>(
      `update external_alerts set status = 'resolved', updated_at = $2 where fingerprint = $1 and status = 'firing' returning service, signal`,
      [fingerprint, now],
    );
    const row = rows[0];
    if (!row) return null;
    const left = await this.sql.query<{ n: number | string }>(
      `select count(*) as n from external_alerts where service = $1 and signal = $2 and status = 'firing'`,
      [row.service, row.signal],
    );
    return Number(left.rows[0]?.n ?? 0);
  }
}
