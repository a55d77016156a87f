/**
 * Incidents: every run of a check moves its (service, signal) state (./signal.ts). A
 * signal that turns failing opens an incident for its service — or joins the one already
 * open — and the opening sends an alert (./alert.ts) and starts the configured remediation
 * (./remediation.ts). When every signal of the incident has recovered it is resolved and
 * its incident report is built, stored and emailed. Every change is kept by the store, so
 * any replica (and GET /api/incidents) sees the same incident.
 *
 * Within a process, runs of one service are applied in order; across processes the
 * signal row is locked and one open incident per service is a unique index, so two
 * workers never open two incidents for one outage. Which job types feed which signal is
 * the types' own declaration (feeds.ts), not known here.
 */
import { systemClock, type Clock } from '../clock.js';
import type { JobConfig, OpscronConfig } from '../config/schema.js';
import type { Feeds } from '../feeds.js';
import type { RunRow } from '../model.js';
import type { Logger } from '../observability/logger.js';
import type { RunQueue } from '../queue/types.js';
import { tunedByTrigger } from '../run-request.js';
import type { Store } from '../store/index.js';
import { FollowUps } from './follow-ups.js';
import { Notifier } from './notify.js';
import { Remediation } from './remediation.js';
import { verdictOf } from './signal.js';
import { silencing } from './silence.js';
import { move, type Moved, type Observation } from './transitions.js';

export { INCIDENT_ACTOR } from './remediation.js';

export interface IncidentDeps {
  config: OpscronConfig;
  store: Store;
  queue: RunQueue;
  logger: Logger;
  /** What each job type feeds (the signal its runs move, log timelines). */
  feeds: Feeds;
  /** Called when a mail was queued, so it goes out now rather than at the next poll. */
  onMailQueued?: () => void;
  clock?: Clock;
}

/** The service a run checked: its params.service, or the job id for checks of a bare URL. */
export function serviceOfRun(row: RunRow, job: JobConfig): string {
  const fromRun = (row.params as Record<string, unknown> | null)?.service;
  if (typeof fromRun === 'string') return fromRun;
  return typeof job.params.service === 'string' ? job.params.service : job.id;
}

/** The services a fan-out check (params.services) covered, or null for a one-target run. */
function fanOutServices(row: RunRow, job: JobConfig, config: OpscronConfig): string[] | null {
  const asked = ((row.params as Record<string, unknown> | null)?.services ?? job.params.services) as unknown;
  if (!Array.isArray(asked)) return null;
  return asked.includes('*')
    ? config.services.map((s) => s.name)
    : asked.filter((s): s is string => typeof s === 'string');
}

export class IncidentManager {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly work = new Set<Promise<unknown>>();
  private stopping = false;
  private readonly clock: Clock;
  private readonly remediation: Remediation;
  private readonly notify: Notifier;
  /** Re-notification and escalation of incidents nobody acknowledged (started with the process's loops). */
  readonly followUps: FollowUps;

  constructor(private readonly o: IncidentDeps) {
    this.clock = o.clock ?? systemClock;
    this.notify = new Notifier({ ...o, clock: this.clock });
    this.followUps = new FollowUps({
      ...o,
      clock: this.clock,
      notifier: this.notify,
      remediate: (id) => this.track(this.remediateAfterSilence(id)),
    });
    this.remediation = new Remediation({
      ...o,
      clock: this.clock,
      stopping: () => this.stopping,
      settled: async (service) => this.chains.get(service),
    });
  }

  private now(): Date {
    return new Date(this.clock.now());
  }

  /** The silence that held back an incident's remediation ended while it is open: remediation starts now. */
  private async remediateAfterSilence(id: string): Promise<void> {
    const incident = await this.o.store.incidents.get(id);
    if (!incident || incident.status !== 'open' || this.stopping) return;
    const opened = (await this.o.store.incidents.events(id)).find((e) => e.kind === 'opened');
    const run = opened?.runId ? await this.o.store.runs.get(opened.runId as string) : null;
    const signals = incident.signals as string[];
    await this.remediation.run({
      id,
      service: incident.service as string,
      signal: (opened?.signal as string | undefined) ?? signals[0] ?? '',
      jobId: run?.jobId ?? 'alertmanager',
      firstBadAt: (incident.firstBadAt as Date | null) ?? null,
      severity: incident.severity as 'critical' | 'warning',
      evidence: [],
    });
  }

  /** Feeds one finished run to its signal. Returns at once; the work is chained per service. */
  observe(row: RunRow, job: JobConfig | undefined): void {
    if (!this.o.config.incidents.enabled || !job || this.stopping || tunedByTrigger(row.params)) return;
    const feeds = this.o.feeds;
    if (feeds.typesWith('logTimeline').includes(row.jobType)) {
      const service = serviceOfRun(row, job);
      return this.chain(service, () => this.noteLogs(service, row));
    }
    const signal = feeds.signalOf(row.jobType);
    const verdict = verdictOf(row.status);
    if (!signal || !verdict) return;
    const fannedOut = fanOutServices(row, job, this.o.config);
    if (fannedOut) {
      // One run checked many services: each gets its own verdict from its own findings.
      for (const service of fannedOut) {
        const own = row.findings.some(
          (f) =>
            f.severity === 'critical' &&
            (f.resource === `service/${service}` || f.resource.startsWith(`service/${service}/`)),
        );
        this.chain(service, () =>
          this.apply(service, signal, own ? 'bad' : 'good', { ...row, status: own ? 'critical' : 'ok' }),
        );
      }
      return;
    }
    const service = serviceOfRun(row, job);
    this.chain(service, () => this.apply(service, signal, verdict, row));
  }

  /** Runs `work` after everything already queued for the service. */
  private chain(service: string, work: () => Promise<void>): void {
    const previous = this.chains.get(service) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((error) => this.o.logger.error({ err: error, service }, 'could not update incident state'));
    this.chains.set(service, next);
    this.track(
      next.finally(() => {
        if (this.chains.get(service) === next) this.chains.delete(service);
      }),
    );
  }

  /** New error templates on a service with an open incident join its timeline. */
  private async noteLogs(service: string, row: RunRow): Promise<void> {
    const fresh = row.findings.filter((f) => f.check === 'logs.new-template' || f.check === 'logs.template-spike');
    if (!fresh.length) return;
    const open = await this.o.store.incidents.openOf(service);
    if (!open) return;
    for (const f of fresh)
      await this.o.store.incidents.event(open, row.finishedAt ?? this.now(), 'log', 'logs', row.id, f.message);
  }

  /** Waits for what was observed to be applied (and remediation, reports and alerts started by it to end). */
  async idle(): Promise<void> {
    while (this.work.size) await Promise.allSettled([...this.work]);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.followUps.stop();
    await this.idle();
  }

  private track<T>(promise: Promise<T>): void {
    const p = promise.catch(() => {}).finally(() => this.work.delete(p));
    this.work.add(p);
  }

  /** A run's verdict on its signal. */
  private apply(service: string, signal: string, verdict: 'bad' | 'good', row: RunRow): Promise<void> {
    return this.applyObservation(service, signal, {
      verdict,
      at: row.finishedAt ?? this.now(),
      runId: row.id,
      source: row.jobId,
      status: row.status,
      summary: row.summary,
      findings: row.findings,
      severity: 'critical',
    });
  }

  /**
   * An observation from outside the runs (an Alertmanager alert), applied in the service's
   * order like a run's; resolves once it is applied and what it started is under way.
   */
  async observeExternal(service: string, signal: string, o: Observation): Promise<void> {
    if (!this.o.config.incidents.enabled || this.stopping) return;
    let failure: unknown = null;
    this.chain(service, async () => {
      try {
        await this.applyObservation(service, signal, o);
      } catch (error) {
        failure = error ?? new Error('could not apply the alert');
        throw error;
      }
    });
    await this.chains.get(service);
    if (failure) throw failure; // the sender is told, and sends again
  }

  private async applyObservation(service: string, signal: string, o: Observation, retried = false): Promise<void> {
    const silences = await this.o.store.silences.current(o.at);
    let outcome: Moved;
    try {
      outcome = await this.o.store.incidents.withSignal(service, signal, (tx) =>
        move(tx, { config: this.o.config, service, signal, silences }, o),
      );
    } catch (error) {
      // Another replica opened the incident first: apply again, joining it.
      if ((error as { code?: string }).code === '23505' && !retried)
        return this.applyObservation(service, signal, o, true);
      throw error;
    }
    const opened = outcome.opened;
    if (opened?.silenced) {
      this.o.logger.warn(
        { incident: opened.id, service, signal, silence: opened.silenced.id },
        'incident opened while silenced: nobody is notified, no remediation runs',
      );
    } else if (opened) {
      this.o.logger.warn({ incident: opened.id, service, signal }, 'incident opened');
      this.track(this.notify.alert(opened));
      this.track(this.remediation.run(opened));
    }
    if (outcome.raised) {
      const muted = silencing(silences, { service, signal }, o.at, this.o.config.timezone);
      this.o.logger.warn(
        { incident: outcome.raised, service, signal, silence: muted?.silence.id },
        'incident now critical',
      );
      if (!muted) this.track(this.notify.raised(outcome.raised));
    }
    if (outcome.resolved) {
      this.o.logger.info({ incident: outcome.resolved, service }, 'incident resolved');
      this.track(this.notify.settled(outcome.resolved, 'resolved', {}));
      this.track(this.notify.report(outcome.resolved));
    }
  }
}
