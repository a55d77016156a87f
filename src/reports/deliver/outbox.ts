/**
 * Report delivery as a queued step: each delivery is a row in `deliveries`, claimed with
 * a lease (FOR UPDATE SKIP LOCKED, so several workers never send the same one), sent,
 * and marked sent; a failure schedules the next attempt with exponential backoff. With
 * SMTP down the report stays stored and goes out when the server is back — once: the
 * Message-ID is fixed per delivery, so even a crash between sending and marking resends
 * a message receivers recognise as the same.
 */
import type { OpscronConfig, ReportKind } from '../../config/schema.js';
import { FileStorage } from '../../integrations/storage.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { redact } from '../../observability/redact.js';
import { pgJson } from '../../store/copy.js';
import type { Sql } from '../../store/sql.js';
import { createMailer, reportMessage, type Mailer } from './email.js';
import { getReport } from './stored.js';

export async function queueDelivery(sql: Sql, reportId: string, channel: 'email' | 'outbox', recipients: string[], now: Date): Promise<number> {
  const { rows } = await sql.query<{ id: number }>(
    `insert into deliveries (report_id, channel, recipients, status, next_attempt_at, created_at) values ($1, $2, $3, 'pending', $4, $4) returning id`,
    [reportId, channel, pgJson(recipients), now],
  );
  return rows[0]!.id;
}

/** An email that is not a report (an incident alert), queued like one. */
export interface AlertMessage {
  subject: string;
  text: string;
  html?: string;
}

export async function queueAlert(sql: Sql, message: AlertMessage, channel: 'email' | 'outbox', recipients: string[], now: Date): Promise<number> {
  const { rows } = await sql.query<{ id: number }>(
    `insert into deliveries (message, channel, recipients, status, next_attempt_at, created_at) values ($1, $2, $3, 'pending', $4, $4) returning id`,
    [pgJson(message), channel, pgJson(recipients), now],
  );
  return rows[0]!.id;
}

export function channelOf(config: OpscronConfig): 'email' | 'outbox' {
  return config.email.smtpUrl ? 'email' : 'outbox';
}

export function recipientsOf(config: OpscronConfig, kind: ReportKind): string[] {
  return [...config.reports.recipients[kind]];
}

interface DeliveryRow {
  id: number;
  report_id: string | null;
  message: AlertMessage | null;
  channel: 'email' | 'outbox';
  recipients: string[];
  attempts: number;
}

export interface DeliveryState {
  id: number;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  sentAt: Date | null;
}

export async function deliveriesOf(sql: Sql, reportId: string): Promise<DeliveryState[]> {
  const { rows } = await sql.query<{ id: number; status: DeliveryState['status']; attempts: number; last_error: string | null; sent_at: Date | null }>(
    'select id, status, attempts, last_error, sent_at from deliveries where report_id = $1 order by id',
    [reportId],
  );
  return rows.map((r) => ({ id: r.id, status: r.status, attempts: r.attempts, lastError: r.last_error, sentAt: r.sent_at ? new Date(r.sent_at) : null }));
}

export class DeliveryWorker {
  private readonly mailer: Mailer;
  private readonly storage: FileStorage;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  readonly pollMs: number;

  constructor(private readonly o: { config: OpscronConfig; sql: Sql; logger: Logger; metrics: Metrics; now?: () => Date; mailer?: Mailer }) {
    this.mailer = o.mailer ?? createMailer(o.config.email);
    this.storage = new FileStorage(o.config.reports.path);
    this.pollMs = Math.min(5_000, Math.max(100, o.config.email.retry.backoff));
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Look for due deliveries now (after a report was stored). */
  kick(): void {
    if (!this.stopped) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    this.mailer.close();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.runOnce()
        .then(() => undefined)
        .catch((error) => this.o.logger.warn({ err: error }, 'report delivery pass failed'))
        .finally(() => {
          this.running = null;
          const again = this.again;
          this.again = false;
          this.schedule(again ? 0 : this.pollMs);
        });
    }, ms);
    this.timer.unref?.();
  }

  /** One pass: claims what is due and tries each once. Returns how many were sent. */
  async runOnce(): Promise<number> {
    const now = this.o.now?.() ?? new Date();
    const { rows } = await this.o.sql.query<DeliveryRow>(
      `update deliveries set lease_until = $2, attempts = attempts + 1
        where id in (select id from deliveries
                      where status = 'pending' and next_attempt_at <= $1 and (lease_until is null or lease_until < $1)
                      order by id limit 20 for update skip locked)
        returning id, report_id, message, channel, recipients, attempts`,
      [now, new Date(now.getTime() + 300_000)],
    );
    let sent = 0;
    for (const row of rows) if (await this.deliver(row)) sent++;
    return sent;
  }

  private async deliver(row: DeliveryRow): Promise<boolean> {
    const { sql, logger, metrics, config } = this.o;
    const channel = this.mailer.channel;
    try {
      let what: string;
      if (row.report_id) {
        const report = await getReport(sql, row.report_id);
        if (!report) throw new Error(`report ${row.report_id} is gone`);
        const pdf = await this.storage.readBuffer(report.storageKey);
        await this.mailer.send(reportMessage(config.email.from, row.recipients, report, pdf, `<${report.id}.${row.id}@opscron>`));
        what = report.id;
      } else {
        const message = row.message!;
        await this.mailer.send({ from: config.email.from, to: row.recipients, subject: message.subject, text: message.text, html: message.html, messageId: `<alert-${row.id}@opscron>` });
        what = `alert ${row.id}`;
      }
      await sql.query(`update deliveries set status = 'sent', sent_at = $2, lease_until = null, last_error = null where id = $1`, [row.id, this.o.now?.() ?? new Date()]);
      metrics.reportDeliveries.inc({ channel, status: 'sent' });
      logger.info({ what, delivery: row.id, channel, recipients: row.recipients.length, attempt: row.attempts }, 'report delivered');
      return true;
    } catch (error) {
      const message = redact(error instanceof Error ? error.message : String(error));
      const { attempts, backoff, maxBackoff } = config.email.retry;
      const giveUp = row.attempts >= attempts;
      const delay = Math.min(maxBackoff, backoff * 2 ** (row.attempts - 1));
      const now = this.o.now?.() ?? new Date();
      await sql.query(
        `update deliveries set status = $2, next_attempt_at = $3, lease_until = null, last_error = $4 where id = $1`,
        [row.id, giveUp ? 'failed' : 'pending', new Date(now.getTime() + delay), message],
      );
      metrics.reportDeliveries.inc({ channel, status: giveUp ? 'failed' : 'retry' });
      logger.warn({ report: row.report_id ?? `alert`, delivery: row.id, channel, attempt: row.attempts, error: message, retryInMs: giveUp ? null : delay }, giveUp ? 'report delivery failed for good' : 'report delivery failed; will retry');
      return false;
    }
  }
}
