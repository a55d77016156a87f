/**
 * Alerts Alertmanager sent (`external_alerts`), one row per fingerprint: what makes its
 * repeats (every repeat_interval, and from each Alertmanager of a cluster) change nothing.
 * A row is written after the alert was applied, so an alert whose application failed is
 * news again when Alertmanager retries it.
 */
import type { Sql } from './sql.js';

export interface ExternalAlert {
  fingerprint: string;
  service: string;
  signal: string;
  severity: string;
  startsAt: Date;
}

export interface KeptAlert {
  service: string;
  signal: string;
  severity: string;
  status: 'firing' | 'resolved';
}

export class ExternalAlertRepository {
  constructor(private readonly sql: Sql) {}

  async get(fingerprint: string): Promise<KeptAlert | null> {
    const { rows } = await this.sql.query<KeptAlert>(
      'select service, signal, severity, status from external_alerts where fingerprint = $1',
      [fingerprint],
    );
    return rows[0] ?? null;
  }

  /** How many other alerts of the signal fire. */
  async othersFiring(service: string, signal: string, fingerprint: string): Promise<number> {
    const { rows } = await this.sql.query<{ n: number | string }>(
      `select count(*) as n from external_alerts where service = $1 and signal = $2 and status = 'firing' and fingerprint <> $3`,
      [service, signal, fingerprint],
    );
    return Number(rows[0]?.n ?? 0);
  }

  async firing(a: ExternalAlert, now: Date): Promise<void> {
    await this.sql.query(
      `insert into external_alerts (fingerprint, service, signal, severity, status, starts_at, updated_at)
       values ($1, $2, $3, $4, 'firing', $5, $6)
       on conflict (fingerprint) do update set service = excluded.service, signal = excluded.signal,
         severity = excluded.severity, status = 'firing', starts_at = excluded.starts_at, updated_at = excluded.updated_at`,
      [a.fingerprint, a.service, a.signal, a.severity, a.startsAt, now],
    );
  }

  async resolved(fingerprint: string, now: Date): Promise<void> {
    await this.sql.query(`update external_alerts set status = 'resolved', updated_at = $2 where fingerprint = $1`, [
      fingerprint,
      now,
    ]);
  }
}
