/** Incidents as the reports read them: with time to detect, to acknowledge and to recover. */
import type { Period } from '../model.js';
import type { Sql } from './sql.js';

export interface IncidentSummary {
  id: string;
  service: string;
  title: string;
  status: 'open' | 'resolved';
  openedAt: Date;
  resolvedAt: Date | null;
  /** From the first failing run to the incident opening. */
  timeToDetectMs: number | null;
  /** From the incident opening to its resolution. */
  timeToRecoverMs: number | null;
  /** From when people were told (the opening, or the end of the silence that muted it) to the acknowledgement. */
  timeToAcknowledgeMs: number | null;
  /** The silence that muted its opening, if one did. */
  silencedBy: string | null;
  signals: string[];
}

export interface IncidentEvent {
  at: Date;
  kind: string;
  signal: string | null;
  runId: string | null;
  message: string;
}

interface IncidentRow {
  id: string;
  service: string;
  title: string;
  status: 'open' | 'resolved';
  opened_at: Date;
  first_bad_at: Date | null;
  resolved_at: Date | null;
  acknowledged_at: Date | null;
  notified_at: Date | null;
  silenced_by: string | null;
  signals: string[];
}

function incidentSummary(row: IncidentRow): IncidentSummary {
  const openedAt = new Date(row.opened_at);
  const resolvedAt = row.resolved_at ? new Date(row.resolved_at) : null;
  return {
    id: row.id,
    service: row.service,
    title: row.title,
    status: row.status,
    openedAt,
    resolvedAt,
    signals: row.signals,
    timeToDetectMs: row.first_bad_at ? openedAt.getTime() - new Date(row.first_bad_at).getTime() : null,
    timeToRecoverMs: resolvedAt ? resolvedAt.getTime() - openedAt.getTime() : null,
    timeToAcknowledgeMs:
      row.acknowledged_at && row.notified_at
        ? Math.max(0, new Date(row.acknowledged_at).getTime() - new Date(row.notified_at).getTime())
        : null,
    silencedBy: row.silenced_by ?? null,
  };
}

export async function incidentsIn(sql: Sql, period: Period): Promise<IncidentSummary[]> {
  const { rows } = await sql.query<IncidentRow>(
    `select * from incidents where opened_at < $2 and (resolved_at is null or resolved_at >= $1) order by opened_at`,
    [period.from, period.to],
  );
  return rows.map(incidentSummary);
}

export async function incidentById(sql: Sql, id: string): Promise<IncidentSummary | null> {
  const { rows } = await sql.query<IncidentRow>('select * from incidents where id = $1', [id]);
  return rows[0] ? incidentSummary(rows[0]) : null;
}

export async function incidentEvents(sql: Sql, id: string): Promise<IncidentEvent[]> {
  const { rows } = await sql.query<{
    at: Date;
    kind: string;
    signal: string | null;
    run_id: string | null;
    message: string;
  }>('select at, kind, signal, run_id, message from incident_events where incident_id = $1 order by at, id', [id]);
  return rows.map((r) => ({ at: new Date(r.at), kind: r.kind, signal: r.signal, runId: r.run_id, message: r.message }));
}
