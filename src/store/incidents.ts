/**
 * Incidents (`incidents`, `incident_events`): read for the API and the reports, and the
 * changes made outside a signal's transaction (signals.ts). The rules — when a signal fails
 * or recovers, when an incident opens, joins or resolves — are incidents/.
 */
import type { Period } from '../model.js';
import {
  incidentById,
  incidentEvents,
  incidentsIn,
  type IncidentEvent,
  type IncidentSummary,
} from './incident-summaries.js';
import { addEvent, SignalTx } from './signals.js';
import type { Sql } from './sql.js';

const INCIDENT_COLUMNS = `id, service, title, status, severity, opened_at as "openedAt", first_bad_at as "firstBadAt", acknowledged_at as "acknowledgedAt", acknowledged_by as "acknowledgedBy", notified_at as "notifiedAt", silenced_by as "silencedBy", resolved_at as "resolvedAt", signals, report_id as "reportId"`;

/** Who did something to an incident by hand, and what they said. */
export interface IncidentAction {
  actor: string;
  source: string;
  at: Date;
  note?: string | null;
}

/** What became of an action on an incident: done, or why not. */
export type ActionResult = 'done' | 'missing' | 'resolved' | 'already';

const said = (a: IncidentAction) => (a.note ? `: ${a.note}` : '');

/** Incidents as the API, incidents/ and the reports read and change them. */
export class IncidentRepository {
  constructor(private readonly sql: Sql) {}

  /** Runs `fn` on one signal of a service in one transaction, its state row locked. */
  withSignal<T>(service: string, signal: string, fn: (tx: SignalTx) => Promise<T>): Promise<T> {
    return this.sql.transaction((q) => fn(new SignalTx(q, service, signal)));
  }

  async openOf(service: string): Promise<string | null> {
    const { rows } = await this.sql.query<{ id: string }>(
      `select id from incidents where service = $1 and status = 'open'`,
      [service],
    );
    return rows[0]?.id ?? null;
  }

  event(
    incidentId: string,
    at: Date,
    kind: string,
    signal: string | null,
    runId: string | null,
    message: string,
  ): Promise<void> {
    return addEvent(this.sql, incidentId, at, kind, signal, runId, message);
  }

  /** "I'm on it": once per incident, while it is open. */
  async acknowledge(id: string, a: IncidentAction): Promise<ActionResult> {
    return this.sql.transaction(async (q) => {
      const { rows } = await q.query<{ status: string; acknowledged_at: Date | null }>(
        'select status, acknowledged_at from incidents where id = $1 for update',
        [id],
      );
      const row = rows[0];
      if (!row) return 'missing';
      if (row.status !== 'open') return 'resolved';
      if (row.acknowledged_at) return 'already';
      await q.query('update incidents set acknowledged_at = $2, acknowledged_by = $3 where id = $1', [
        id,
        a.at,
        a.actor,
      ]);
      await addEvent(q, id, a.at, 'acknowledged', null, null, `acknowledged by ${a.actor}${said(a)}`, {
        actor: a.actor,
        source: a.source,
      });
      return 'done';
    });
  }

  /**
   * Resolved by hand: the incident closes and its signals start healthy again, so a service
   * still failing opens a new incident after the configured streak rather than never again.
   * The signals are locked before the incident, in the order a run's transaction takes them.
   */
  async resolveByHand(id: string, a: IncidentAction): Promise<ActionResult> {
    const found = await this.get(id);
    if (!found) return 'missing';
    const signals = (found.signals as string[]).slice().sort();
    return this.sql.transaction(async (q) => {
      await q.query(
        `select signal from signal_states where service = $1 and signal = any($2) order by signal for update`,
        [found.service, signals],
      );
      const { rows } = await q.query<{ status: string }>('select status from incidents where id = $1 for update', [id]);
      if (rows[0]?.status !== 'open') return 'resolved';
      await q.query(`update incidents set status = 'resolved', resolved_at = $2 where id = $1`, [id, a.at]);
      await q.query(
        `update signal_states set state = 'healthy', bad_streak = 0, good_streak = 0, first_bad_at = null, updated_at = $3
         where service = $1 and signal = any($2)`,
        [found.service, signals, a.at],
      );
      await addEvent(q, id, a.at, 'resolved', null, null, `resolved by ${a.actor}${said(a)}`, {
        actor: a.actor,
        source: a.source,
      });
      return 'done';
    });
  }

  /** A note on the timeline, open or resolved. */
  async note(id: string, a: IncidentAction & { note: string }): Promise<ActionResult> {
    if (!(await this.get(id))) return 'missing';
    await addEvent(this.sql, id, a.at, 'note', null, null, `${a.actor}: ${a.note}`, {
      actor: a.actor,
      source: a.source,
    });
    return 'done';
  }

  async setReport(id: string, reportId: string): Promise<void> {
    await this.sql.query('update incidents set report_id = $2 where id = $1', [id, reportId]);
  }
  /** Open, with one of its signals still without a healthy run. */
  async stillFailing(id: string): Promise<boolean> {
    const { rows } = await this.sql.query<{ failing: boolean }>(
      `select i.status = 'open' and exists (select 1 from signal_states s where s.service = i.service and s.signal in (${
        this.sql.kind === 'sqlite'
          ? 'select value from json_each(i.signals)'
          : 'select jsonb_array_elements_text(i.signals)'
      }) and s.good_streak = 0) as failing
         from incidents i where i.id = $1`,
      [id],
    );
    return rows[0]?.failing === true;
  }
  /** Each signal of each open incident (the opscron_incidents_open gauge). */
  async openSignals(): Promise<Array<{ service: string; signal: string }>> {
    const { rows } = await this.sql.query<{ service: string; signal: string }>(
      this.sql.kind === 'sqlite'
        ? `select i.service, s.value as signal from incidents i, json_each(i.signals) s where i.status = 'open'`
        : `select service, jsonb_array_elements_text(signals) as signal from incidents where status = 'open'`,
    );
    return rows;
  }

  /** Open incidents nobody has acknowledged: what re-notification, escalation and the end of a silence look at. */
  async unacknowledged(): Promise<
    Array<{
      id: string;
      service: string;
      severity: string;
      signals: string[];
      openedAt: Date;
      notifiedAt: Date | null;
      acknowledgedAt: Date | null;
    }>
  > {
    const { rows } = await this.sql.query<{
      id: string;
      service: string;
      severity: string;
      signals: string[];
      opened_at: Date;
      notified_at: Date | null;
    }>(
      `select id, service, severity, signals, opened_at, notified_at from incidents where status = 'open' and acknowledged_at is null order by opened_at`,
    );
    return rows.map((r) => ({
      id: r.id,
      service: r.service,
      severity: r.severity,
      signals: r.signals,
      openedAt: new Date(r.opened_at),
      notifiedAt: r.notified_at ? new Date(r.notified_at) : null,
      acknowledgedAt: null,
    }));
  }

  /** The opening of a silenced incident is told now (its silence ended): true for the one caller that marks it. */
  async markNotified(id: string, at: Date): Promise<boolean> {
    const { rows } = await this.sql.query<{ id: string }>(
      `update incidents set notified_at = $2 where id = $1 and notified_at is null and status = 'open' returning id`,
      [id, at],
    );
    return rows.length > 0;
  }

  /** For the API: newest first, in the API's names. */
  async list(filter: { status?: 'open' | 'resolved'; limit: number }): Promise<Array<Record<string, unknown>>> {
    const { rows } = await this.sql.query(
      `select ${INCIDENT_COLUMNS} from incidents where ($1::text is null or status = $1) order by opened_at desc limit $2`,
      [filter.status ?? null, filter.limit],
    );
    return rows;
  }
  async get(id: string): Promise<Record<string, unknown> | null> {
    const { rows } = await this.sql.query(`select ${INCIDENT_COLUMNS} from incidents where id = $1`, [id]);
    return rows[0] ?? null;
  }
  async events(id: string): Promise<Array<Record<string, unknown>>> {
    const { rows } = await this.sql.query(
      `select at, kind, signal, run_id as "runId", message, data from incident_events where incident_id = $1 order by at, id`,
      [id],
    );
    return rows;
  }

  /** For reports: incidents open at any time in the period, with time to detect and to recover. */
  within(period: Period): Promise<IncidentSummary[]> {
    return incidentsIn(this.sql, period);
  }

  summary(id: string): Promise<IncidentSummary | null> {
    return incidentById(this.sql, id);
  }

  timeline(id: string): Promise<IncidentEvent[]> {
    return incidentEvents(this.sql, id);
  }
}

export type { IncidentEvent, IncidentSummary } from './incident-summaries.js';
export type { StoredSignal } from './signals.js';
export { SignalTx } from './signals.js';
