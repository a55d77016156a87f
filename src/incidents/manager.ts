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
import { randomBytes } from 'node:crypto';
import { compactUtc, systemClock, type Clock } from '../clock.js';
import type { JobConfig, OpscronConfig } from '../config/schema.js';
import type { Feeds } from '../feeds.js';
import type { RunRow } from '../model.js';
import type { Logger } from '../observability/logger.js';
import type { RunQueue } from '../queue/types.js';
import type { Store } from '../store/index.js';
import type { SignalTx } from '../store/incidents.js';
import type { Opened } from './alert.js';
import { FollowUps } from './follow-ups.js';
import { Notifier } from './notify.js';
import { Remediation } from './remediation.js';
import { step, verdictOf } from './signal.js';

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
    this.followUps = new FollowUps({ ...o, clock: this.clock, notifier: this.notify });
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

  /** Feeds one finished run to its signal. Returns at once; the work is chained per service. */
  observe(row: RunRow, job: JobConfig | undefined): void {
    if (!this.o.config.incidents.enabled || !job || this.stopping) return;
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

  private async apply(
    service: string,
    signal: string,
    verdict: 'bad' | 'good',
    row: RunRow,
    retried = false,
  ): Promise<void> {
    const at = row.finishedAt ?? this.now();
    let outcome: { opened?: Opened; resolved?: string };
    try {
      outcome = await this.o.store.incidents.withSignal(service, signal, (tx) =>
        this.move(tx, service, signal, verdict, row, at),
      );
    } catch (error) {
      // Another replica opened the incident first: apply again, joining it.
      if ((error as { code?: string }).code === '23505' && !retried)
        return this.apply(service, signal, verdict, row, true);
      throw error;
    }
    if (outcome.opened) {
      this.o.logger.warn({ incident: outcome.opened.id, service, signal }, 'incident opened');
      this.track(this.notify.alert(outcome.opened));
      this.track(this.remediation.run(outcome.opened));
    }
    if (outcome.resolved) {
      this.o.logger.info({ incident: outcome.resolved, service }, 'incident resolved');
      this.track(this.notify.settled(outcome.resolved, 'resolved', {}));
      this.track(this.notify.report(outcome.resolved));
    }
  }

  /** One run's effect on its signal and the service's incident, inside the signal's transaction. */
  private async move(
    tx: SignalTx,
    service: string,
    signal: string,
    verdict: 'bad' | 'good',
    row: RunRow,
    at: Date,
  ): Promise<{ opened?: Opened; resolved?: string }> {
    const { next, transition } = step(await tx.state(at), verdict, at, this.o.config.incidents);
    await tx.save(next, row.id, at);
    const open = await tx.open();
    if (open) await tx.event(open.id, at, 'check', signal, row.id, `${row.jobId} ${row.status}: ${row.summary ?? ''}`);
    if (transition === 'failing') {
      if (!open) return { opened: await this.open(tx, service, signal, row, at, next.firstBadAt, next.badStreak) };
      if (!open.signals.includes(signal)) {
        await tx.setSignals(open.id, [...open.signals, signal]);
        await tx.event(
          open.id,
          at,
          'signal',
          signal,
          row.id,
          `${signal} joined: critical on ${next.badStreak} consecutive runs of ${row.jobId}`,
        );
      }
    } else if (transition === 'recovered' && open) {
      await tx.event(
        open.id,
        at,
        'recovered',
        signal,
        row.id,
        `${signal} healthy on ${next.goodStreak} consecutive runs of ${row.jobId}`,
      );
      if (await tx.allHealthy(open.signals)) {
        await tx.resolve(open.id, at);
        await tx.event(open.id, at, 'resolved', null, row.id, `every signal of ${service} is healthy again`);
        return { resolved: open.id };
      }
    }
    return {};
  }

  private async open(
    tx: SignalTx,
    service: string,
    signal: string,
    row: RunRow,
    at: Date,
    firstBadAt: Date | null,
    streak: number,
  ): Promise<Opened> {
    const id = `inc-${compactUtc(at)}-${randomBytes(2).toString('hex')}`;
    const title = `${signal} critical on ${service}`;
    await tx.create({ id, title, openedAt: at, firstBadAt });
    // The runs of the streak before this one, so the timeline starts where the trouble did.
    const earlier = await tx.criticalRuns(row.jobId, new Date((firstBadAt ?? at).getTime() - 60_000), row.id);
    for (const r of earlier)
      await tx.event(id, r.createdAt, 'check', signal, r.id, `${row.jobId} ${r.status}: ${r.summary ?? ''}`);
    await tx.event(
      id,
      at,
      'opened',
      signal,
      row.id,
      `${title}: ${streak} consecutive critical runs of ${row.jobId}. ${row.summary ?? ''}`,
    );
    return {
      id,
      service,
      signal,
      jobId: row.jobId,
      firstBadAt,
      evidence: [
        ...earlier.map((r) => ({ at: r.createdAt, status: r.status, summary: r.summary, findings: r.findings })),
        { at, status: row.status, summary: row.summary, findings: row.findings },
      ],
    };
  }
}
