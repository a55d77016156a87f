/**
 * Incidents and the state of their signals (`incidents`, `incident_events`,
 * `signal_states`). The rules — when a signal fails or recovers, when an incident opens,
 * joins or resolves — are incidents/; this is where they are kept. A signal's changes run
 * in one transaction with its row locked (withSignal), so replicas never open two
 * incidents for one outage.
 */
import type { Period } from '../model.js';
import { redact } from '../observability/redact.js';
import { pgJson } from './copy.js';
import type { Sql } from './sql.js';

type Query = Pick<Sql, 'query'>;

/** A signal's state as kept: its health and the streaks that move it. */
export interface StoredSignal {
  state: 'healthy' | 'failing';
  badStreak: number;
  goodStreak: number;
  firstBadAt: Date | null;
}

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
  };
}

async function incidentsIn(sql: Sql, period: Period): Promise<IncidentSummary[]> {
  const { rows } = await sql.query<IncidentRow>(
    `select * from incidents where opened_at < $2 and (resolved_at is null or resolved_at >= $1) order by opened_at`,
    [period.from, period.to],
  );
  return rows.map(incidentSummary);
}

async function incidentById(sql: Sql, id: string): Promise<IncidentSummary | null> {
  const { rows } = await sql.query<IncidentRow>('select * from incidents where id = $1', [id]);
  return rows[0] ? incidentSummary(rows[0]) : null;
}

async function incidentEvents(sql: Sql, id: string): Promise<IncidentEvent[]> {
  const { rows } = await sql.query<{
    at: Date;
    kind: string;
    signal: string | null;
    run_id: string | null;
    message: string;
  }>('select at, kind, signal, run_id, message from incident_events where incident_id = $1 order by at, id', [id]);
  return rows.map((r) => ({ at: new Date(r.at), kind: r.kind, signal: r.signal, runId: r.run_id, message: r.message }));
}

async function addEvent(
  q: Query,
  incidentId: string,
  at: Date,
  kind: string,
  signal: string | null,
  runId: string | null,
  message: string,
): Promise<void> {
  await q.query(
    'insert into incident_events (incident_id, at, kind, signal, run_id, message) values ($1, $2, $3, $4, $5, $6)',
    [incidentId, at, kind, signal, runId, redact(message).slice(0, 2000)],
  );
}

/** What a signal's transaction can do; everything in it commits together or not at all. */
function signalTx(q: Query, service: string, signal: string) {
  return {
    async state(at: Date): Promise<StoredSignal> {
      await q.query(
        `insert into signal_states (service, signal, state, updated_at) values ($1, $2, 'healthy', $3) on conflict do nothing`,
        [service, signal, at],
      );
      const { rows } = await q.query<{
        state: StoredSignal['state'];
        bad_streak: number;
        good_streak: number;
        first_bad_at: Date | null;
      }>(
        'select state, bad_streak, good_streak, first_bad_at from signal_states where service = $1 and signal = $2 for update',
        [service, signal],
      );
      const r = rows[0]!;
      return {
        state: r.state,
        badStreak: r.bad_streak,
        goodStreak: r.good_streak,
        firstBadAt: r.first_bad_at ? new Date(r.first_bad_at) : null,
      };
    },
    async save(next: StoredSignal, runId: string, at: Date): Promise<void> {
      await q.query(
        'update signal_states set state = $3, bad_streak = $4, good_streak = $5, first_bad_at = $6, last_run_id = $7, updated_at = $8 where service = $1 and signal = $2',
        [service, signal, next.state, next.badStreak, next.goodStreak, next.firstBadAt, runId, at],
      );
    },
    /** The service's open incident, locked. */
    async open(): Promise<{ id: string; signals: string[] } | null> {
      const { rows } = await q.query<{ id: string; signals: string[] }>(
        `select id, signals from incidents where service = $1 and status = 'open' for update`,
        [service],
      );
      return rows[0] ?? null;
    },
    event: (
      incidentId: string,
      at: Date,
      kind: string,
      eventSignal: string | null,
      runId: string | null,
      message: string,
    ) => addEvent(q, incidentId, at, kind, eventSignal, runId, message),
    async setSignals(incidentId: string, signals: string[]): Promise<void> {
      await q.query('update incidents set signals = $2 where id = $1', [incidentId, pgJson(signals)]);
    },
    async create(incident: { id: string; title: string; openedAt: Date; firstBadAt: Date | null }): Promise<void> {
      await q.query(
        `insert into incidents (id, service, title, status, severity, opened_at, first_bad_at, signals) values ($1, $2, $3, 'open', 'critical', $4, $5, $6)`,
        [incident.id, service, incident.title, incident.openedAt, incident.firstBadAt, pgJson([signal])],
      );
    },
    /** The critical runs of a job since `since` (the start of a streak), but `exceptRunId`. */
    async criticalRuns(
      jobId: string,
      since: Date,
      exceptRunId: string,
    ): Promise<Array<{ id: string; createdAt: Date; status: string; summary: string | null; findings: unknown[] }>> {
      const { rows } = await q.query<{
        id: string;
        created_at: Date;
        status: string;
        summary: string | null;
        findings: unknown[];
      }>(
        `select id, created_at, status, summary, findings from runs where job_id = $1 and created_at >= $2 and id <> $3 and status = 'critical' order by created_at`,
        [jobId, since, exceptRunId],
      );
      return rows.map((r) => ({
        id: r.id,
        createdAt: new Date(r.created_at),
        status: r.status,
        summary: r.summary,
        findings: r.findings,
      }));
    },
    async allHealthy(signals: string[]): Promise<boolean> {
      const { rows } = await q.query<{ state: string }>(
        'select state from signal_states where service = $1 and signal = any($2)',
        [service, signals],
      );
      return rows.every((s) => s.state === 'healthy');
    },
    async resolve(incidentId: string, at: Date): Promise<void> {
      await q.query(`update incidents set status = 'resolved', resolved_at = $2 where id = $1`, [incidentId, at]);
    },
  };
}

export type SignalTx = ReturnType<typeof signalTx>;

const INCIDENT_COLUMNS = `id, service, title, status, severity, opened_at as "openedAt", first_bad_at as "firstBadAt", resolved_at as "resolvedAt", signals, report_id as "reportId"`;

export function incidentRepository(sql: Sql) {
  return {
    /** Runs `fn` on one signal of a service in one transaction, its state row locked. */
    withSignal: <T>(service: string, signal: string, fn: (tx: SignalTx) => Promise<T>): Promise<T> =>
      sql.transaction((q) => fn(signalTx(q, service, signal))),

    async openOf(service: string): Promise<string | null> {
      const { rows } = await sql.query<{ id: string }>(
        `select id from incidents where service = $1 and status = 'open'`,
        [service],
      );
      return rows[0]?.id ?? null;
    },
    event: (incidentId: string, at: Date, kind: string, signal: string | null, runId: string | null, message: string) =>
      addEvent(sql, incidentId, at, kind, signal, runId, message),
    async setReport(id: string, reportId: string): Promise<void> {
      await sql.query('update incidents set report_id = $2 where id = $1', [id, reportId]);
    },
    /** Open, with one of its signals still without a healthy run. */
    async stillFailing(id: string): Promise<boolean> {
      const { rows } = await sql.query<{ failing: boolean }>(
        `select i.status = 'open' and exists (select 1 from signal_states s where s.service = i.service and s.signal in (select jsonb_array_elements_text(i.signals)) and s.good_streak = 0) as failing
           from incidents i where i.id = $1`,
        [id],
      );
      return rows[0]?.failing === true;
    },
    /** Each signal of each open incident (the opscron_incidents_open gauge). */
    async openSignals(): Promise<Array<{ service: string; signal: string }>> {
      const { rows } = await sql.query<{ service: string; signal: string }>(
        `select service, jsonb_array_elements_text(signals) as signal from incidents where status = 'open'`,
      );
      return rows;
    },

    /** For the API: newest first, in the API's names. */
    async list(filter: { status?: 'open' | 'resolved'; limit: number }): Promise<Array<Record<string, unknown>>> {
      const { rows } = await sql.query(
        `select ${INCIDENT_COLUMNS} from incidents where ($1::text is null or status = $1) order by opened_at desc limit $2`,
        [filter.status ?? null, filter.limit],
      );
      return rows;
    },
    async get(id: string): Promise<Record<string, unknown> | null> {
      const { rows } = await sql.query(`select ${INCIDENT_COLUMNS} from incidents where id = $1`, [id]);
      return rows[0] ?? null;
    },
    async events(id: string): Promise<Array<Record<string, unknown>>> {
      const { rows } = await sql.query(
        `select at, kind, signal, run_id as "runId", message from incident_events where incident_id = $1 order by at, id`,
        [id],
      );
      return rows;
    },

    /** For reports: incidents open at any time in the period, with time to detect and to recover. */
    within: (period: Period) => incidentsIn(sql, period),
    summary: (id: string) => incidentById(sql, id),
    timeline: (id: string) => incidentEvents(sql, id),
  };
}
