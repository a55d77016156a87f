/**
 * Report email: nodemailer over SMTP_URL (STARTTLS when the server offers it, required
 * when email.requireTLS is set), or, with no SMTP configured, the same message written as
 * an .eml file to the outbox directory. Text and HTML summary, the PDF attached.
 */
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import type { OpscronConfig } from '../../config/schema.js';
import { FileStorage } from '../../integrations/storage.js';
import type { ReportRecord } from './stored.js';

export interface Mailer {
  readonly channel: 'email' | 'outbox';
  send(message: SendMailOptions & { messageId: string }): Promise<string>;
  close(): void;
}

/**
 * Whether the SMTP URL's host (as a URL parser reads it, after any user info) is this
 * machine: the one server that need not offer STARTTLS.
 */
export function smtpIsLoopback(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || (isIPv4(host) && host.startsWith('127.'));
}

export function createMailer(email: OpscronConfig['email']): Mailer {
  if (email.smtpUrl) {
    const loopback = smtpIsLoopback(email.smtpUrl);
    const transport = nodemailer.createTransport({
      url: email.smtpUrl,
      requireTLS: email.requireTLS ?? !loopback,
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      ...(email.caFile ? { tls: { ca: readFileSync(email.caFile, 'utf8') } } : {}),
    } as never);
    return {
      channel: 'email',
      send: async (message) => ((await transport.sendMail(message)) as { messageId: string }).messageId,
      close: () => transport.close(),
    };
  }
  const outbox = new FileStorage(email.outbox);
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    channel: 'outbox',
    send: async (message) => {
      const info = (await transport.sendMail(message)) as { message: Buffer };
      const name = message.messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9._-]/g, '_');
      await outbox.put(`${name}.eml`, info.message);
      return message.messageId;
    },
    close: () => {},
  };
}

const escape = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function reportMessage(
  from: string,
  to: string[],
  report: ReportRecord,
  pdf: Buffer,
  messageId: string,
): SendMailOptions & { messageId: string } {
  const period = `${report.periodFrom.toISOString().slice(0, 16).replace('T', ' ')} – ${report.periodTo.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const subject = `[opscron] ${report.title}: ${report.status.toUpperCase()} (${report.periodFrom.toISOString().slice(0, 10)} – ${report.periodTo.toISOString().slice(0, 10)})`;
  const figures = report.summary.figures;
  const text = [
    `${report.title} — ${report.status.toUpperCase()}`,
    `Period: ${period}`,
    '',
    report.summary.headline,
    '',
    ...figures.map(([k, v]) => `${k}: ${v}`),
    '',
    `The full report is attached (${report.id}.pdf, ${report.bytes} bytes, sha256 ${report.sha256}).`,
  ].join('\n');
  const color = { ok: '#2e7d32', warning: '#ef8f00', critical: '#c62828' }[report.status];
  const html = `<!doctype html><html><body style="font-family:sans-serif;color:#1f2328">
<h2 style="margin:0 0 4px">${escape(report.title)} <span style="color:${color}">${report.status.toUpperCase()}</span></h2>
<p style="color:#57606a;margin:0 0 12px">${escape(period)}</p>
<p>${escape(report.summary.headline)}</p>
<table cellpadding="4" style="border-collapse:collapse">${figures.map(([k, v]) => `<tr><td style="color:#57606a">${escape(k)}</td><td><b>${escape(String(v))}</b></td></tr>`).join('')}</table>
<p style="color:#57606a">The full report is attached: ${escape(report.id)}.pdf</p>
</body></html>`;
  return {
    from,
    to,
    subject,
    text,
    html,
    messageId,
    attachments: [{ filename: `${report.id}.pdf`, content: pdf, contentType: 'application/pdf' }],
  };
}
