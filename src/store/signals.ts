/**
 * A signal's transaction (`signal_states`, and the service's incident while it is held):
 * its row locked, everything done through it commits together or not at all, so replicas
 * never open two incidents for one outage. The rules are incidents/; this is where they
 * are kept.
 */
import { redact } from '../observability/redact.js';
import { pgJson } from './copy.js';
import type { Sql } from './sql.js';

export type Query = Pick<Sql, 'query'>;

/** A signal's state as kept: its health and the streaks that move it. */
export interface StoredSignal {
  state: 'healthy' | 'failing';
  badStreak: number;
  goodStreak: number;
  firstBadAt: Date | null;
}

export interface CriticalRun {
  id: string;
  createdAt: Date;
  status: string;
  summary: string | null;
  findings: unknown[];
}

/** One event on an incident's timeline (the message redacted and cut to 2,000 characters). */
export async function addEvent(
  q: Query,
  incidentId: string,
  at: Date,
  kind: string,
  signal: string | null,
  runId: string | null,
  message: string,
  data: Record<string, unknown> | null = null,
): Promise<void> {
  await q.query(
    'insert into incident_events (incident_id, at, kind, signal, run_id, message, data) values ($1, $2, $3, $4, $5, $6, $7)',
    [incidentId, at, kind, signal, runId, redact(message).slice(0, 2000), data === null ? null : pgJson(data)],
  );
}

export class SignalTx {
  constructor(
    private readonly q: Query,
    private readonly service: string,
    private readonly signal: string,
  ) {}

  /** The signal's state, its row created (healthy) if new, and locked until the transaction ends. */
  async state(at: Date): Promise<StoredSignal> {
    await this.q.query(
      `insert into signal_states (service, signal, state, updated_at) values ($1, $2, 'healthy', $3) on conflict do nothing`,
      [this.service, this.signal, at],
    );
    const { rows } = await this.q.query<{
      state: StoredSignal['state'];
      bad_streak: number;
      good_streak: number;
      first_bad_at: Date | null;
    }>(
      'select state, bad_streak, good_streak, first_bad_at from signal_states where service = $1 and signal = $2 for update',
      [this.service, this.signal],
    );
    const r = rows[0]!;
    return {
      state: r.state,
      badStreak: r.bad_streak,
      goodStreak: r.good_streak,
      firstBadAt: r.first_bad_at ? new Date(r.first_bad_at) : null,
    };
  }

  async save(next: StoredSignal, runId: string | null, at: Date): Promise<void> {
    await this.q.query(
      'update signal_states set state = $3, bad_streak = $4, good_streak = $5, first_bad_at = $6, last_run_id = $7, updated_at = $8 where service = $1 and signal = $2',
      [this.service, this.signal, next.state, next.badStreak, next.goodStreak, next.firstBadAt, runId, at],
    );
  }

  /** The service's open incident, locked. */
  async open(): Promise<{ id: string; signals: string[]; severity: string } | null> {
    const { rows } = await this.q.query<{ id: string; signals: string[]; severity: string }>(
      `select id, signals, severity from incidents where service = $1 and status = 'open' for update`,
      [this.service],
    );
    return rows[0] ?? null;
  }

  event(
    incidentId: string,
    at: Date,
    kind: string,
    signal: string | null,
    runId: string | null,
    message: string,
  ): Promise<void> {
    return addEvent(this.q, incidentId, at, kind, signal, runId, message);
  }

  async setSignals(incidentId: string, signals: string[]): Promise<void> {
    await this.q.query('update incidents set signals = $2 where id = $1', [incidentId, pgJson(signals)]);
  }

  /** A new open incident; `silencedBy` a silence muting its opening (then nobody is told yet: notified_at stays null). */
  async create(incident: {
    id: string;
    title: string;
    openedAt: Date;
    firstBadAt: Date | null;
    severity: string;
    silencedBy: string | null;
  }): Promise<void> {
    await this.q.query(
      `insert into incidents (id, service, title, status, severity, opened_at, first_bad_at, signals, notified_at, silenced_by) values ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $9)`,
      [
        incident.id,
        this.service,
        incident.title,
        incident.severity,
        incident.openedAt,
        incident.firstBadAt,
        pgJson([this.signal]),
        incident.silencedBy ? null : incident.openedAt,
        incident.silencedBy,
      ],
    );
  }

  /** The signal's severity while it fails (an alert's severity label, a run's verdict). */
  async setSeverity(severity: string): Promise<void> {
    await this.q.query('update signal_states set severity = $3 where service = $1 and signal = $2', [
      this.service,
      this.signal,
      severity,
    ]);
  }

  /**
   * The incident's severity: the highest of its failing signals (critical above warning); kept
   * as it was when none is failing (the incident is about to resolve). Returns it.
   */
  async refreshSeverity(incidentId: string, signals: string[]): Promise<string | null> {
    const { rows } = await this.q.query<{ severity: string }>(
      `select severity from signal_states where service = $1 and signal = any($2) and state = 'failing'`,
      [this.service, signals],
    );
    if (!rows.length) return null;
    const severity = rows.some((r) => r.severity === 'critical') ? 'critical' : 'warning';
    await this.q.query('update incidents set severity = $2 where id = $1', [incidentId, severity]);
    return severity;
  }

  /** The critical runs of a job since `since` (the start of a streak), but `exceptRunId`. */
  async criticalRuns(jobId: string, since: Date, exceptRunId: string): Promise<CriticalRun[]> {
    const { rows } = await this.q.query<{
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
  }

  async allHealthy(signals: string[]): Promise<boolean> {
    const { rows } = await this.q.query<{ state: string }>(
      'select state from signal_states where service = $1 and signal = any($2)',
      [this.service, signals],
    );
    return rows.every((s) => s.state === 'healthy');
  }

  async resolve(incidentId: string, at: Date): Promise<void> {
    await this.q.query(`update incidents set status = 'resolved', resolved_at = $2 where id = $1`, [incidentId, at]);
  }
}
