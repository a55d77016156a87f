/**
 * Re-notification and escalation, on the injected clock: a loop in each process that runs
 * jobs looks at the open incidents nobody has acknowledged and queues the follow-ups
 * routing.ts says are due. Several replicas may decide the same step at once; the outbox
 * key makes it one notification, and an acknowledgement that lands first stops it.
 */
import type { Clock } from '../clock.js';
import type { OpscronConfig } from '../config/schema.js';
import { startLoop, type Loop } from '../loop.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/index.js';
import type { Notifier } from './notify.js';
import { dueSteps, stepOfKey } from './routing.js';
import { allSilenced } from './silence.js';

export interface FollowUpDeps {
  config: OpscronConfig;
  store: Pick<Store, 'incidents' | 'deliveries' | 'silences'>;
  logger: Logger;
  clock: Clock;
  notifier: Notifier;
  /** Starts the service's remediation for an incident whose opening a silence kept back (once, by the replica that told it). */
  remediate?: (incidentId: string) => void;
}

/** How often open incidents are looked at: often enough that a 1 m step is late by seconds. */
export const FOLLOW_UP_INTERVAL_MS = 15_000;

export class FollowUps {
  private loop: Loop | null = null;

  constructor(private readonly o: FollowUpDeps) {}

  /** Whether anything is configured to follow up at all. */
  get enabled(): boolean {
    const i = this.o.config.incidents;
    return i.renotify > 0 || Object.values(i.escalation).some((steps) => steps.length > 0);
  }

  /** Always started: a silence may end while its incident is open, and that is told here. */
  start(): void {
    this.loop ??= startLoop({
      clock: this.o.clock,
      intervalMs: FOLLOW_UP_INTERVAL_MS,
      immediate: false,
      step: async () => {
        await this.runOnce();
      },
      onError: (error) => this.o.logger.warn({ err: error }, 'incident follow-up pass failed'),
    });
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = null;
  }

  /**
   * One pass: queues what is due now. Returns how many steps were due. A silenced incident
   * (every signal muted) gets nothing; one whose opening a silence kept quiet is told once
   * its silence ends, and its re-notification and escalation count from then.
   */
  async runOnce(): Promise<number> {
    const now = new Date(this.o.clock.now());
    const silences = await this.o.store.silences.current(now);
    let due = 0;
    for (const incident of await this.o.store.incidents.unacknowledged()) {
      if (allSilenced(silences, incident.service, incident.signals, now, this.o.config.timezone)) continue;
      if (!incident.notifiedAt) {
        due++;
        await this.o.notifier.unsilenced(incident.id);
        if (await this.o.store.incidents.markNotified(incident.id, now)) this.o.remediate?.(incident.id);
        continue;
      }
      if (!this.enabled) continue;
      const sent = new Set((await this.o.store.deliveries.ofIncident(incident.id)).map((d) => stepOfKey(d.key)));
      for (const step of dueSteps(this.o.config, { ...incident, openedAt: incident.notifiedAt }, sent, now)) {
        due++;
        await this.o.notifier.followUp(incident.id, step);
      }
    }
    return due;
  }
}
