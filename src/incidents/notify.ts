/**
 * Who hears of an incident: the alert when it opens (mailed to reports.recipients.incident
 * through the outbox, with the evidence and the remediation to come), and the incident
 * report when it resolves (built, stored, linked and mailed). Both are on its timeline.
 */
import type { Clock } from '../clock.js';
import type { OpscronConfig } from '../config/schema.js';
import type { Feeds } from '../feeds.js';
import type { Logger } from '../observability/logger.js';
import { redact } from '../observability/redact.js';
import { channelOf, recipientsOf } from '../reports/deliver/outbox.js';
import { produceReport } from '../reports/publish.js';
import type { Store } from '../store/index.js';
import { alertSubject, alertText, type Opened } from './alert.js';
import { stepsFor } from './remediation.js';

export interface NotifierDeps {
  config: OpscronConfig;
  store: Store;
  logger: Logger;
  feeds: Feeds;
  clock: Clock;
  onMailQueued?: () => void;
}

export class Notifier {
  constructor(private readonly o: NotifierDeps) {}

  private now(): Date {
    return new Date(this.o.clock.now());
  }

  async alert(incident: Opened): Promise<void> {
    const recipients = recipientsOf(this.o.config, 'incident');
    if (!recipients.length) return;
    const text = redact(
      alertText(
        incident,
        stepsFor(this.o.config, incident.service).map((s) => s.job),
      ),
    );
    await this.o.store.deliveries.queueAlert(
      { subject: alertSubject(incident), text },
      channelOf(this.o.config),
      recipients,
      this.now(),
    );
    await this.o.store.incidents.event(
      incident.id,
      this.now(),
      'notified',
      null,
      null,
      `alert queued for ${recipients.join(', ')}`,
    );
    this.o.onMailQueued?.();
  }

  async report(id: string): Promise<void> {
    try {
      const produced = await produceReport(
        { store: this.o.store, config: this.o.config, feeds: this.o.feeds, now: () => this.now() },
        { kind: 'incident', incidentId: id, origin: 'incident' },
      );
      await this.o.store.incidents.setReport(id, produced.record.id);
      await this.o.store.incidents.event(
        id,
        this.now(),
        'report',
        null,
        null,
        `incident report ${produced.record.id} stored${produced.delivery ? ` and queued for ${produced.delivery.recipients.join(', ')}` : ''}`,
      );
      if (produced.delivery) this.o.onMailQueued?.();
    } catch (error) {
      this.o.logger.error({ err: error, incident: id }, 'could not build the incident report');
    }
  }
}
