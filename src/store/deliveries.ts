/**
 * The outbox: each mail (a report, an incident alert) is a row, claimed with a lease
 * (FOR UPDATE SKIP LOCKED, so two workers never send the same one), marked sent, or
 * scheduled again with backoff. Statements only; the sending is reports/deliver/outbox.ts.
 */
import { pgJson } from './copy.js';
import type { Sql } from './sql.js';

export type Channel = 'email' | 'outbox';

/** A mail that is not a report (an incident alert), queued like one. */
export interface AlertMessage {
  subject: string;
  text: string;
  html?: string;
}

export interface DueDelivery {
  id: number;
  reportId: string | null;
  message: AlertMessage | null;
  channel: Channel;
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

  /** Claims up to `limit` due deliveries for `leaseMs` and counts the attempt. */
  async claimDue(now: Date, leaseMs: number, limit = 20): Promise<DueDelivery[]> {
    const { rows } = await this.sql.query<{
      id: number;
      report_id: string | null;
      message: AlertMessage | null;
      channel: Channel;
      recipients: string[];
      attempts: number;
    }>(
      `update deliveries set lease_until = $2, attempts = attempts + 1
        where id in (select id from deliveries
                      where status = 'pending' and next_attempt_at <= $1 and (lease_until is null or lease_until < $1)
                      order by id limit $3 for update skip locked)
        returning id, report_id, message${this.sql.kind === 'sqlite' ? ' as "message:json"' : ''}, channel, recipients, attempts`,
      [now, new Date(now.getTime() + leaseMs), limit],
    );
    return rows.map((r) => ({
      id: r.id,
      reportId: r.report_id,
      message: r.message,
      channel: r.channel,
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
