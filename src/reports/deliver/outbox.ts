/**
 * Report delivery as a queued step: each delivery is a row in the store's outbox, claimed
 * with a lease (so several workers never send the same one), sent, and marked sent; a
 * failure schedules the next attempt with exponential backoff. With SMTP down the report
 * stays stored and goes out when the server is back — once: the Message-ID is fixed per
 * delivery, so even a crash between sending and marking resends a message receivers
 * recognise as the same. The pass runs on the loop primitive, on the injected clock.
 */
import { systemClock, type Clock } from '../../clock.js';
import type { OpscronConfig } from '../../config/schema.js';
import { openStorage } from '../../integrations/storage-open.js';
import type { Storage } from '../../integrations/storage.js';
import { startLoop, type Loop } from '../../loop.js';
import type { ReportKind } from '../../model.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { redact } from '../../observability/redact.js';
import type { ChannelConfig } from '../../config/schema.js';
import {
  HTTP_CHANNELS,
  type AlertMessage,
  type Channel,
  type DueDelivery,
  type HttpChannel,
  type NotificationEvent,
} from '../../store/deliveries.js';
import { ChannelRefusedError, sendToChannel } from './channels.js';
import type { Store } from '../../store/index.js';
import { createMailer, reportMessage, type Mailer } from './email.js';

export type { AlertMessage, DeliveryState } from '../../store/deliveries.js';

const LEASE_MS = 300_000;
/** A delivery not started this long before its lease ends waits for the next claim. */
const LEASE_MARGIN_MS = 60_000;

/** Due deliveries by channel (mail; each HTTP channel by name), each lane in claim order. */
function lanesOf(due: DueDelivery[]): Map<string, DueDelivery[]> {
  const lanes = new Map<string, DueDelivery[]>();
  for (const d of due) {
    const key = isHttp(d.channel) ? `${d.channel}:${d.target ?? ''}` : 'mail';
    lanes.set(key, [...(lanes.get(key) ?? []), d]);
  }
  return lanes;
}

export function channelOf(config: OpscronConfig): 'email' | 'outbox' {
  return config.email.smtpUrl ? 'email' : 'outbox';
}

export function recipientsOf(config: OpscronConfig, kind: ReportKind): string[] {
  return [...config.reports.recipients[kind]];
}

export interface DeliveryDeps {
  config: OpscronConfig;
  store: Pick<Store, 'deliveries' | 'reports'>;
  logger: Logger;
  metrics: Metrics;
  clock?: Clock;
  mailer?: Mailer;
}

export class DeliveryWorker {
  private readonly mailer: Mailer;
  private readonly storage: Storage;
  private readonly clock: Clock;
  private loop: Loop | null = null;
  readonly pollMs: number;

  constructor(private readonly o: DeliveryDeps) {
    this.mailer = o.mailer ?? createMailer(o.config.email);
    this.storage = openStorage(o.config, 'reports');
    this.clock = o.clock ?? systemClock;
    this.pollMs = Math.min(5_000, Math.max(100, o.config.email.retry.backoff));
  }

  start(): void {
    this.loop ??= startLoop({
      clock: this.clock,
      intervalMs: this.pollMs,
      step: async () => {
        await this.runOnce();
      },
      onError: (error) => this.o.logger.warn({ err: error }, 'report delivery pass failed'),
    });
  }

  /** Look for due deliveries now (after a report or an alert was queued). */
  kick(): void {
    this.loop?.kick();
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = null;
    this.mailer.close();
  }

  /**
   * One pass: claims what is due and tries each once, again while that sent something (an
   * incident's next notification to a channel waits for the one before it). Returns how many were sent.
   */
  async runOnce(): Promise<number> {
    let sent = 0;
    for (let round = 0; round < 10; round++) {
      const claimedAt = this.clock.now();
      const due = await this.o.store.deliveries.claimDue(new Date(claimedAt), LEASE_MS);
      const counts = await Promise.all([...lanesOf(due).values()].map((lane) => this.deliverLane(lane, claimedAt)));
      const now = counts.reduce((a, b) => a + b, 0);
      sent += now;
      if (!now) break;
    }
    return sent;
  }

  /**
   * One channel's deliveries, in order. Lanes run side by side, so a mail server that
   * hangs does not hold back a page. What the lease no longer covers is left for the next
   * claim (another process may have claimed it by now: sending it too would send it twice).
   */
  private async deliverLane(lane: DueDelivery[], claimedAt: number): Promise<number> {
    let sent = 0;
    for (const delivery of lane) {
      if (this.clock.now() >= claimedAt + LEASE_MS - LEASE_MARGIN_MS) break;
      if (await this.deliver(delivery)) sent++;
    }
    return sent;
  }

  private async deliver(d: DueDelivery): Promise<boolean> {
    const { store, logger, metrics } = this.o;
    const channel = isHttp(d.channel) ? d.channel : this.mailer.channel;
    try {
      const what = isHttp(d.channel) ? await this.post(d) : await this.mail(d);
      await store.deliveries.markSent(d.id, new Date(this.clock.now()));
      metrics.reportDeliveries.inc({ channel, status: 'sent' });
      logger.info(
        {
          what,
          delivery: d.id,
          channel,
          target: d.target ?? undefined,
          recipients: d.recipients.length,
          attempt: d.attempts,
        },
        isHttp(d.channel) ? 'notification delivered' : 'report delivered',
      );
      return true;
    } catch (error) {
      await this.failed(d, channel, error);
      return false;
    }
  }

  /** A failed attempt: retried with backoff, or given up (attempts spent, or the receiver refused it). */
  private async failed(d: DueDelivery, channel: string, error: unknown): Promise<void> {
    const { store, logger, metrics, config } = this.o;
    const message = redact(error instanceof Error ? error.message : String(error));
    const { attempts, backoff, maxBackoff } = isHttp(d.channel) ? config.notifications.retry : config.email.retry;
    const refused = error instanceof ChannelRefusedError;
    const giveUp = refused || d.attempts >= attempts;
    const delay = Math.min(maxBackoff, backoff * 2 ** (d.attempts - 1));
    await store.deliveries.markFailed(d.id, {
      giveUp,
      nextAttemptAt: new Date(this.clock.now() + delay),
      error: message,
    });
    metrics.reportDeliveries.inc({ channel, status: refused ? 'refused' : giveUp ? 'failed' : 'retry' });
    logger.warn(
      {
        report: d.reportId ?? 'alert',
        delivery: d.id,
        channel,
        target: d.target ?? undefined,
        attempt: d.attempts,
        error: message,
        retryInMs: giveUp ? null : delay,
      },
      refused
        ? 'the receiver refused the notification; not retried'
        : giveUp
          ? 'report delivery failed for good'
          : 'report delivery failed; will retry',
    );
  }

  /** A report or an alert by email; returns what was sent. */
  private async mail(d: DueDelivery): Promise<string> {
    const { store, config } = this.o;
    if (d.reportId) {
      const report = await store.reports.get(d.reportId);
      if (!report) throw new Error(`report ${d.reportId} is gone`);
      const pdf = await this.storage.readBuffer(report.storageKey);
      await this.mailer.send(
        reportMessage(config.email.from, d.recipients, report, pdf, `<${report.id}.${d.id}@opscron>`),
      );
      return report.id;
    }
    const message = d.message as AlertMessage;
    await this.mailer.send({
      from: config.email.from,
      to: d.recipients,
      subject: message.subject,
      text: message.text,
      html: message.html,
      messageId: `<alert-${d.id}@opscron>`,
    });
    return `alert ${d.id}`;
  }

  /** An incident event to its HTTP channel, as configured now (a channel since removed is refused). */
  private async post(d: DueDelivery): Promise<string> {
    const event = d.message as NotificationEvent;
    const channel = d.target ? this.o.config.notifications.channels[d.target] : undefined;
    if (!channel || channel.type !== d.channel)
      throw new ChannelRefusedError(`channel ${d.target ?? '?'} (${d.channel}) is no longer configured`);
    await sendToChannel(
      d.target!,
      channel as ChannelConfig & { type: HttpChannel },
      event,
      Math.floor(this.clock.now() / 1000),
    );
    return event.id;
  }
}

const isHttp = (channel: Channel): channel is HttpChannel => (HTTP_CHANNELS as readonly string[]).includes(channel);
