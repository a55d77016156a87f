/**
 * Incidents: every run of a check moves its (service, signal) state (./signal.ts). A
 * signal that turns failing opens an incident for its service — or joins the one already
 * open — and the opening sends an alert email with the evidence and starts the configured
 * remediation: each step a job run through the queue, waited for and recorded, then the
 * failing check run again, stopping as soon as the service is healthy. When every signal
 * of the incident has recovered it is resolved and its incident report is built, stored
 * and emailed. Every change is a row in the store, so any replica (and GET /api/incidents)
 * sees the same incident.
 *
 * Within a process, runs of one service are applied in order; across processes the
 * signal row is locked (SELECT ... FOR UPDATE) and one open incident per service is a
 * unique index, so two workers never open two incidents for one outage.
 */
import { randomBytes } from 'node:crypto';
import { isDestructive, triggerRun } from '../actions.js';
import type { JobConfig, OpscronConfig } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { redact } from '../observability/redact.js';
import type { RunQueue } from '../queue/types.js';
import { channelOf, queueAlert, recipientsOf } from '../reports/deliver/outbox.js';
import { produceReport } from '../reports/publish.js';
import type { Store } from '../store/index.js';
import { getRun, type RunRow } from '../store/runs.js';
import { pgJson } from '../store/copy.js';
import type { Sql } from '../store/sql.js';
import { initialSignal, signalOf, step, verdictOf, type SignalState } from './signal.js';
import { compactUtc } from '../clock.js';

export const INCIDENT_ACTOR = 'opscron/incidents';

type Query = Pick<Sql, 'query'>;

interface Opened {
  id: string;
  service: string;
  signal: string;
  jobId: string;
  firstBadAt: Date | null;
  evidence: Array<{ at: Date; status: string; summary: string | null; findings: unknown[] }>;
}

export interface IncidentDeps {
  config: OpscronConfig;
  store: Store;
  queue: RunQueue;
  logger: Logger;
  metrics: Metrics;
  /** Called when a mail was queued, so it goes out now rather than at the next poll. */
  onMailQueued?: () => void;
  now?: () => Date;
}

/** The service a run checked: its params.service, or the job id for checks of a bare URL. */
export function serviceOfRun(row: RunRow, job: JobConfig): string {
  const fromRun = (row.params as Record<string, unknown> | null)?.service;
  if (typeof fromRun === 'string') return fromRun;
  return typeof job.params.service === 'string' ? job.params.service : job.id;
}

/** The services a fan-out health check (params.services) covered, or null for a one-target run. */
function fanOutServices(row: RunRow, job: JobConfig, config: OpscronConfig): string[] | null {
  const asked = ((row.params as Record<string, unknown> | null)?.services ?? job.params.services) as unknown;
  if (row.jobType !== 'health-check' || !Array.isArray(asked)) return null;
  return asked.includes('*') ? config.services.map((s) => s.name) : asked.filter((s): s is string => typeof s === 'string');
}

export class IncidentManager {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly work = new Set<Promise<unknown>>();
  private stopping = false;

  constructor(private readonly o: IncidentDeps) {}

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  /** Feeds one finished run to its signal. Returns at once; the work is chained per service. */
  observe(row: RunRow, job: JobConfig | undefined): void {
    if (!this.o.config.incidents.enabled || !job || this.stopping) return;
    if (row.jobType === 'log-analysis') {
      const service = serviceOfRun(row, job);
      return this.chain(service, () => this.noteLogs(service, row));
    }
    const signal = signalOf(row.jobType);
    const verdict = verdictOf(row.status);
    if (!signal || !verdict) return;
    const fannedOut = fanOutServices(row, job, this.o.config);
    if (fannedOut) {
      // One run checked many services: each gets its own verdict from its own findings.
      for (const service of fannedOut) {
        const own = row.findings.some((f) => f.severity === 'critical' && (f.resource === `service/${service}` || f.resource.startsWith(`service/${service}/`)));
        this.chain(service, () => this.apply(service, signal, own ? 'bad' : 'good', { ...row, status: own ? 'critical' : 'ok' }));
      }
      return;
    }
    const service = serviceOfRun(row, job);
    this.chain(service, () => this.apply(service, signal, verdict, row));
  }

  /** Runs `work` after everything already queued for the service. */
  private chain(service: string, work: () => Promise<void>): void {
    const previous = this.chains.get(service) ?? Promise.resolve();
    const next = previous.then(work).catch((error) => this.o.logger.error({ err: error, service }, 'could not update incident state'));
    this.chains.set(service, next);
    this.track(next.finally(() => {
      if (this.chains.get(service) === next) this.chains.delete(service);
    }));
  }

  /** New error templates on a service with an open incident join its timeline. */
  private async noteLogs(service: string, row: RunRow): Promise<void> {
    const fresh = row.findings.filter((f) => f.check === 'logs.new-template' || f.check === 'logs.template-spike');
    if (!fresh.length) return;
    const { rows } = await this.o.store.sql.query<{ id: string }>(`select id from incidents where service = $1 and status = 'open'`, [service]);
    if (!rows[0]) return;
    for (const f of fresh) await event(this.o.store.sql, rows[0].id, row.finishedAt ?? this.now(), 'log', 'logs', row.id, f.message);
  }

  /** Waits for what was observed to be applied (and remediation, reports and alerts started by it to end). */
  async idle(): Promise<void> {
    while (this.work.size) await Promise.allSettled([...this.work]);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }

  private track<T>(promise: Promise<T>): void {
    const p = promise.catch(() => {}).finally(() => this.work.delete(p));
    this.work.add(p);
  }

  private async apply(service: string, signal: string, verdict: 'bad' | 'good', row: RunRow, retried = false): Promise<void> {
    const { config, store } = this.o;
    const at = row.finishedAt ?? this.now();
    let opened = null as Opened | null; // set inside the transaction
    let resolved = null as string | null;
    try {
      await store.sql.transaction(async (q) => {
        await q.query(`insert into signal_states (service, signal, state, updated_at) values ($1, $2, 'healthy', $3) on conflict do nothing`, [service, signal, at]);
        const { rows } = await q.query<{ state: SignalState['state']; bad_streak: number; good_streak: number; first_bad_at: Date | null }>(
          'select state, bad_streak, good_streak, first_bad_at from signal_states where service = $1 and signal = $2 for update',
          [service, signal],
        );
        const current: SignalState = rows[0] ? { state: rows[0].state, badStreak: rows[0].bad_streak, goodStreak: rows[0].good_streak, firstBadAt: rows[0].first_bad_at ? new Date(rows[0].first_bad_at) : null } : initialSignal;
        const { next, transition } = step(current, verdict, at, config.incidents);
        await q.query(
          'update signal_states set state = $3, bad_streak = $4, good_streak = $5, first_bad_at = $6, last_run_id = $7, updated_at = $8 where service = $1 and signal = $2',
          [service, signal, next.state, next.badStreak, next.goodStreak, next.firstBadAt, row.id, at],
        );
        const open = (await q.query<{ id: string; signals: string[] }>(`select id, signals from incidents where service = $1 and status = 'open' for update`, [service])).rows[0];
        if (open) await event(q, open.id, at, 'check', signal, row.id, `${row.jobId} ${row.status}: ${row.summary ?? ''}`);

        if (transition === 'failing') {
          if (open) {
            if (!open.signals.includes(signal)) {
              await q.query('update incidents set signals = $2 where id = $1', [open.id, pgJson([...open.signals, signal])]);
              await event(q, open.id, at, 'signal', signal, row.id, `${signal} joined: critical on ${next.badStreak} consecutive runs of ${row.jobId}`);
            }
            return;
          }
          const id = `inc-${compactUtc(at)}-${randomBytes(2).toString('hex')}`;
          const title = `${signal} critical on ${service}`;
          await q.query(
            `insert into incidents (id, service, title, status, severity, opened_at, first_bad_at, signals) values ($1, $2, $3, 'open', 'critical', $4, $5, $6)`,
            [id, service, title, at, next.firstBadAt, pgJson([signal])],
          );
          // The runs of the streak before this one, so the timeline starts where the trouble did.
          const earlier = await q.query<{ id: string; created_at: Date; status: string; summary: string | null; findings: unknown[] }>(
            `select id, created_at, status, summary, findings from runs where job_id = $1 and created_at >= $2 and id <> $3 and status = 'critical' order by created_at`,
            [row.jobId, new Date((next.firstBadAt ?? at).getTime() - 60_000), row.id],
          );
          for (const r of earlier.rows) await event(q, id, new Date(r.created_at), 'check', signal, r.id, `${row.jobId} ${r.status}: ${r.summary ?? ''}`);
          await event(q, id, at, 'opened', signal, row.id, `${title}: ${next.badStreak} consecutive critical runs of ${row.jobId}. ${row.summary ?? ''}`);
          opened = {
            id, service, signal, jobId: row.jobId, firstBadAt: next.firstBadAt,
            evidence: [...earlier.rows.map((r) => ({ at: new Date(r.created_at), status: r.status, summary: r.summary, findings: r.findings })), { at, status: row.status, summary: row.summary, findings: row.findings }],
          };
        } else if (transition === 'recovered' && open) {
          await event(q, open.id, at, 'recovered', signal, row.id, `${signal} healthy on ${next.goodStreak} consecutive runs of ${row.jobId}`);
          const states = await q.query<{ state: string }>('select state from signal_states where service = $1 and signal = any($2)', [service, open.signals]);
          if (states.rows.every((s) => s.state === 'healthy')) {
            await q.query(`update incidents set status = 'resolved', resolved_at = $2 where id = $1`, [open.id, at]);
            await event(q, open.id, at, 'resolved', null, row.id, `every signal of ${service} is healthy again`);
            resolved = open.id;
          }
        }
      });
    } catch (error) {
      // Another replica opened the incident first: apply again, joining it.
      if ((error as { code?: string }).code === '23505' && !retried) return this.apply(service, signal, verdict, row, true);
      throw error;
    }
    if (opened) {
      this.o.logger.warn({ incident: opened.id, service, signal }, 'incident opened');
      this.track(this.alert(opened));
      this.track(this.remediate(opened));
    }
    if (resolved) {
      this.o.logger.info({ incident: resolved, service }, 'incident resolved');
      this.track(this.report(resolved));
    }
  }

  private async alert(incident: Opened): Promise<void> {
    const recipients = recipientsOf(this.o.config, 'incident');
    if (!recipients.length) return;
    const lines = incident.evidence.flatMap((e) => [
      `  ${e.at.toISOString()}  ${e.status.toUpperCase()}  ${e.summary ?? ''}`,
      ...(e.findings as Array<{ severity: string; check: string; message: string; remedy?: string }>).filter((f) => f.severity !== 'info').map((f) => `      ${f.check}: ${f.message}${f.remedy ? `\n        remedy: ${f.remedy}` : ''}`),
    ]);
    const steps = this.steps(incident.service);
    const text = redact([
      `Incident ${incident.id} opened: ${incident.signal} is critical on ${incident.service}.`,
      incident.firstBadAt ? `First critical run: ${incident.firstBadAt.toISOString()}.` : '',
      '',
      'Evidence (the runs that opened it):',
      ...lines,
      '',
      steps.length ? `Remediation, in order: ${steps.map((s) => s.job).join(', ')}.` : 'No remediation is configured for this service (incidents.remediation).',
      'opscron resolves the incident by itself when every signal is healthy again, and mails the incident report.',
    ].join('\n'));
    await queueAlert(this.o.store.sql, { subject: `[opscron] INCIDENT ${incident.id}: ${incident.signal} critical on ${incident.service}`, text }, channelOf(this.o.config), recipients, this.now());
    await event(this.o.store.sql, incident.id, this.now(), 'notified', null, null, `alert queued for ${recipients.join(', ')}`);
    this.o.onMailQueued?.();
  }

  private steps(service: string): OpscronConfig['incidents']['remediation'][string] {
    const r = this.o.config.incidents.remediation;
    return r[service] ?? r['*'] ?? [];
  }

  private async remediate(incident: Opened): Promise<void> {
    const steps = this.steps(incident.service);
    const { store, config } = this.o;
    for (const [i, s] of steps.entries()) {
      if (this.stopping || !(await this.stillFailing(incident.id))) return;
      const job = config.jobs.find((j) => j.id === s.job)!;
      const reason = `incident ${incident.id}: remediation step ${i + 1} of ${steps.length}`;
      await event(store.sql, incident.id, this.now(), 'remediation-started', s.job, null, `${s.job} (${job.type}) started`);
      let summary: string;
      try {
        // Listed in the configuration for this service: that is the confirmation a destructive step needs.
        const runId = await triggerRun({ config, queue: this.o.queue, store }, { jobId: s.job, params: { ...s.params, ...(isDestructive(job) ? { confirm: true } : {}) }, reason, actor: INCIDENT_ACTOR, source: 'incident' });
        const run = await this.waitForRun(runId, s.timeout);
        summary = run ? `${s.job} ${run.status}: ${run.summary ?? ''}` : `${s.job} did not finish within ${s.timeout} ms`;
        await event(store.sql, incident.id, this.now(), 'remediation-finished', s.job, run?.id ?? runId, summary);
      } catch (error) {
        summary = `${s.job} could not run: ${redact(error instanceof Error ? error.message : String(error))}`;
        await event(store.sql, incident.id, this.now(), 'remediation-finished', s.job, null, summary);
      }
      if (config.incidents.verify) await this.verify(incident);
    }
  }

  /** Runs the check that went critical again, now: its outcome moves the signal like any run. */
  private async verify(incident: Opened): Promise<void> {
    if (this.stopping || !(await this.stillFailing(incident.id))) return;
    try {
      const runId = await triggerRun({ config: this.o.config, queue: this.o.queue, store: this.o.store }, { jobId: incident.jobId, reason: `incident ${incident.id}: verify after remediation`, actor: INCIDENT_ACTOR, source: 'incident' });
      const job = this.o.config.jobs.find((j) => j.id === incident.jobId)!;
      await this.waitForRun(runId, job.timeout + 5_000);
      await this.chains.get(incident.service); // its verdict applied before the next step decides
    } catch (error) {
      this.o.logger.warn({ err: error, incident: incident.id }, 'could not verify after a remediation step');
    }
  }

  private async stillFailing(id: string): Promise<boolean> {
    const { rows } = await this.o.store.sql.query<{ failing: boolean }>(
      `select i.status = 'open' and exists (select 1 from signal_states s where s.service = i.service and s.signal in (select jsonb_array_elements_text(i.signals)) and s.good_streak = 0) as failing
         from incidents i where i.id = $1`,
      [id],
    );
    return rows[0]?.failing === true;
  }

  private async waitForRun(queueId: string, timeoutMs: number): Promise<RunRow | null> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !this.stopping) {
      const run = await getRun(this.o.store.sql, queueId);
      if (run && run.status !== 'running') return run;
      await new Promise((r) => setTimeout(r, 200));
    }
    return null;
  }

  private async report(id: string): Promise<void> {
    try {
      const produced = await produceReport({ sql: this.o.store.sql, config: this.o.config, now: () => this.now() }, { kind: 'incident', incidentId: id, origin: 'incident' });
      await this.o.store.sql.query('update incidents set report_id = $2 where id = $1', [id, produced.record.id]);
      await event(this.o.store.sql, id, this.now(), 'report', null, null, `incident report ${produced.record.id} stored${produced.delivery ? ` and queued for ${produced.delivery.recipients.join(', ')}` : ''}`);
      if (produced.delivery) this.o.onMailQueued?.();
    } catch (error) {
      this.o.logger.error({ err: error, incident: id }, 'could not build the incident report');
    }
  }
}

async function event(q: Query, incidentId: string, at: Date, kind: string, signal: string | null, runId: string | null, message: string): Promise<void> {
  await q.query('insert into incident_events (incident_id, at, kind, signal, run_id, message) values ($1, $2, $3, $4, $5, $6)', [incidentId, at, kind, signal, runId, redact(message).slice(0, 2000)]);
}

const INCIDENT_COLUMNS = `id, service, title, status, severity, opened_at as "openedAt", first_bad_at as "firstBadAt", resolved_at as "resolvedAt", signals, report_id as "reportId"`;

/** Open and recent incidents, newest first, for the API. */
export async function listIncidents(sql: Sql, filter: { status?: 'open' | 'resolved'; limit: number }): Promise<Array<Record<string, unknown>>> {
  const { rows } = await sql.query(`select ${INCIDENT_COLUMNS} from incidents where ($1::text is null or status = $1) order by opened_at desc limit $2`, [filter.status ?? null, filter.limit]);
  return rows;
}

export async function getIncident(sql: Sql, id: string): Promise<Record<string, unknown> | null> {
  const { rows } = await sql.query(`select ${INCIDENT_COLUMNS} from incidents where id = $1`, [id]);
  return rows[0] ?? null;
}

export async function incidentEventsOf(sql: Sql, id: string): Promise<Array<Record<string, unknown>>> {
  const { rows } = await sql.query(`select at, kind, signal, run_id as "runId", message from incident_events where incident_id = $1 order by at, id`, [id]);
  return rows;
}
