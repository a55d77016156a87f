/**
 * The outbox: each mail (a report, an incident alert) is a row, claimed with a lease
 * (FOR UPDATE SKIP LOCKED, so two workers never send the same one), marked sent, or
 * scheduled again with backoff. Statements only; the sending is reports/deliver/outbox.ts.
 */
import { pgJson } from './copy.js';
import type { Sql } from './sql.js';

export type Channel = 'email' | 'outbox' | 'webhook' | 'slack' | 'pagerduty';

/** The channels that are an HTTP request to a receiver, not a mail. */
export const HTTP_CHANNELS = ['webhook', 'slack', 'pagerduty'] as const;
export type HttpChannel = (typeof HTTP_CHANNELS)[number];

/**
 * An incident event as the outbox keeps it for an HTTP channel: the facts, never a secret;
 * the body (and its signature, or PagerDuty's routing key) is made from it when it is sent.
 */
export interface NotificationEvent {
  /** The outbox key `<incident>/<step>/<channel>`: the receiver's idempotency key. */
  id: string;
  kind: 'opened' | 'renotify' | 'escalated' | 'raised' | 'acknowledged' | 'resolved';
  at: string;
  incident: {
    id: string;
    service: string;
    severity: string;
    title: string;
    status: 'open' | 'resolved';
    openedAt: string;
    signals: string[];
  };
  /** One line: what happened. */
  summary: string;
  /** The evidence, a few lines (the runs that opened it, their findings). */
  evidence: string[];
  actor?: string;
  note?: string;
  /** Where a person sees the incident (http.publicUrl), when configured. */
  link?: string;
}

/** One notification to queue: a mail (message, recipients) or an HTTP channel's event. */
export interface QueuedNotification {
  channel: Channel;
  /** The configured channel's name. */
  target: string;
  incidentId: string;
  dedupKey: string;
  message: AlertMessage | NotificationEvent;
  recipients: string[];
}

/** A mail that is not a report (an incident alert), queued like one. */
export interface AlertMessage {
  subject: string;
  text: string;
  html?: string;
}

export interface DueDelivery {
  id: number;
  reportId: string | null;
  /** A mail's message, or an HTTP channel's event. */
  message: AlertMessage | NotificationEvent | null;
  channel: Channel;
  /** The configured channel's name (incident notifications). */
  target: string | null;
  recipients: string[];
  /** Attempts including this one. */
  attempts: number;
}

export interface DeliveryState {
  id: number;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  sentAt: Date | null;
}

/** The outbox's statements. */
export class DeliveryRepository {
  constructor(private readonly sql: Sql) {}

  queueReport(reportId: string, channel: Channel, recipients: string[], now: Date): Promise<number> {
    return this.insert(reportId, null, channel, recipients, now);
  }

  queueAlert(message: AlertMessage, channel: Channel, recipients: string[], now: Date): Promise<number> {
    return this.insert(null, message, channel, recipients, now);
  }

  /**
   * Queues the notifications of one step in one transaction, each only if its key is new:
   * returns the keys that were queued now (none when another replica queued the step first).
   */
  async queueNotifications(
    items: QueuedNotification[],
    now: Date,
    options: { whileUnacknowledged?: boolean } = {},
  ): Promise<string[]> {
    if (!items.length) return [];
    // A follow-up (re-notification, escalation) is queued only while nobody has acknowledged.
    const guard = options.whileUnacknowledged
      ? `exists (select 1 from incidents where id = $6 and status = 'open' and acknowledged_at is null)`
      : 'true';
    return this.sql.transaction(async (q) => {
      const queued: string[] = [];
      for (const n of items) {
        const { rows } = await q.query<{ dedup_key: string }>(
          `insert into deliveries (message, channel, recipients, status, next_attempt_at, created_at, target, incident_id, dedup_key)
           select $1::jsonb, $2::text, $3::jsonb, 'pending', $4::timestamptz, $4::timestamptz, $5::text, $6::text, $7::text where ${guard}
           on conflict (dedup_key) do nothing returning dedup_key`,
          [pgJson(n.message), n.channel, pgJson(n.recipients), now, n.target, n.incidentId, n.dedupKey],
        );
        if (rows[0]) queued.push(rows[0].dedup_key);
      }
      return queued;
    });
  }

  /** What was queued for an incident: each notification's key, channel and state. */
  async ofIncident(incidentId: string): Promise<Array<DeliveryState & { key: string; target: string }>> {
    const { rows } = await this.sql.query<{
      id: number;
      dedup_key: string;
      target: string;
      status: DeliveryState['status'];
      attempts: number;
      last_error: string | null;
      sent_at: Date | null;
    }>(
      'select id, dedup_key, target, status, attempts, last_error, sent_at from deliveries where incident_id = $1 order by id',
      [incidentId],
    );
    return rows.map((r) => ({
      id: r.id,
      key: r.dedup_key,
      target: r.target,
      status: r.status,
      attempts: r.attempts,
      lastError: r.last_error,
      sentAt: r.sent_at ? new Date(r.sent_at) : null,
    }));
  }

  private async insert(
    reportId: string | null,
    message: AlertMessage | null,
    channel: Channel,
    recipients: string[],
    now: Date,
  ): Promise<number> {
    const { rows } = await this.sql.query<{ id: number }>(
      `insert into deliveries (report_id, message, channel, recipients, status, next_attempt_at, created_at) values ($1, $2, $3, $4, 'pending', $5, $5) returning id`,
      [reportId, message === null ? null : pgJson(message), channel, pgJson(recipients), now],
    );
    return rows[0]!.id;
  }

  async ofReport(reportId: string): Promise<DeliveryState[]> {
    const { rows } = await this.sql.query<{
      id: number;
      status: DeliveryState['status'];
      attempts: number;
      last_error: string | null;
      sent_at: Date | null;
    }>('select id, status, attempts, last_error, sent_at from deliveries where report_id = $1 order by id', [reportId]);
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      attempts: r.attempts,
      lastError: r.last_error,
      sentAt: r.sent_at ? new Date(r.sent_at) : null,
    }));
  }

  /**
   * Claims up to `limit` due deliveries for `leaseMs` and counts the attempt. An incident's
   * notifications to one channel go in order: one waits while an earlier one to the same
   * channel is still pending (being retried), so a receiver never gets the resolve before the trigger.
   */
  async claimDue(now: Date, leaseMs: number, limit = 20): Promise<DueDelivery[]> {
    const { rows } = await this.sql.query<{
      id: number;
      report_id: string | null;
      message: AlertMessage | NotificationEvent | null;
      channel: Channel;
      target: string | null;
      recipients: string[];
      attempts: number;
    }>(
      `update deliveries set lease_until = $2, attempts = attempts + 1
        where id in (select id from deliveries d
                      where status = 'pending' and next_attempt_at <= $1 and (lease_until is null or lease_until < $1)
                        and (incident_id is null or not exists (select 1 from deliveries e
                              where e.incident_id = d.incident_id and e.target = d.target and e.id < d.id and e.status = 'pending'))
                      order by id limit $3 for update skip locked)
        returning id, report_id, message${this.sql.kind === 'sqlite' ? ' as "message:json"' : ''}, channel, target, recipients, attempts`,
      [now, new Date(now.getTime() + leaseMs), limit],
    );
    // Oldest first: one channel hears of an incident in order (PagerDuty's trigger before its resolve).
    return rows
      .sort((a, b) => a.id - b.id)
      .map((r) => ({
        id: r.id,
        reportId: r.report_id,
        message: r.message,
        channel: r.channel,
        target: r.target,
        recipients: r.recipients,
        attempts: r.attempts,
      }));
  }

  async markSent(id: number, at: Date): Promise<void> {
    await this.sql.query(
      `update deliveries set status = 'sent', sent_at = $2, lease_until = null, last_error = null where id = $1`,
      [id, at],
    );
  }

  /** A failed attempt: tried again at `nextAttemptAt`, or given up (`failed`). */
  async markFailed(id: number, failure: { giveUp: boolean; nextAttemptAt: Date; error: string }): Promise<void> {
    await this.sql.query(
      'update deliveries set status = $2, next_attempt_at = $3, lease_until = null, last_error = $4 where id = $1',
      [id, failure.giveUp ? 'failed' : 'pending', failure.nextAttemptAt, failure.error],
    );
  }
}
