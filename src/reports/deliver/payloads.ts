/**
 * The bodies receivers get, made from the stored incident event when it is sent: a signed
 * JSON webhook, a Slack incoming-webhook message, a PagerDuty Events API v2 event. Pure.
 *
 * The webhook's signature is Stripe's and Slack's scheme: HMAC-SHA256 under the shared
 * secret over `<unix seconds>.<body>`, so a receiver checks both that the body is ours
 * and that it is fresh (a replayed request carries an old timestamp).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NotificationEvent } from '../../store/deliveries.js';

/** Bodies above this are cut (evidence first): receivers limit what they take (Slack ~40 KB, PagerDuty 512 KB). */
export const MAX_BODY_BYTES = 32_768;
const MAX_EVIDENCE_LINES = 20;
const MAX_LINE = 300;

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The event with its evidence bounded: at most 20 lines of 300 characters. */
function bounded(event: NotificationEvent): NotificationEvent {
  return {
    ...event,
    summary: cut(event.summary, 1000),
    evidence: event.evidence.slice(0, MAX_EVIDENCE_LINES).map((l) => cut(l, MAX_LINE)),
    note: event.note === undefined ? undefined : cut(event.note, 2000),
  };
}

/** JSON no larger than MAX_BODY_BYTES: evidence lines are dropped from the end until it fits. */
function fit(make: (event: NotificationEvent) => unknown, event: NotificationEvent): string {
  let e = bounded(event);
  let body = JSON.stringify(make(e));
  while (Buffer.byteLength(body) > MAX_BODY_BYTES && e.evidence.length) {
    e = { ...e, evidence: e.evidence.slice(0, -1) };
    body = JSON.stringify(make(e));
  }
  return body;
}

export function webhookBody(event: NotificationEvent): string {
  return fit((e) => ({ version: 1, ...e }), event);
}

/** The headers that sign a webhook body at `unixSeconds`. */
export function webhookHeaders(
  secret: string,
  body: string,
  unixSeconds: number,
  eventId: string,
): Record<string, string> {
  return {
    'x-opscron-event-id': eventId,
    'idempotency-key': eventId,
    'x-opscron-timestamp': String(unixSeconds),
    'x-opscron-signature': `v1=${signature(secret, unixSeconds, body)}`,
  };
}

function signature(secret: string, unixSeconds: number, body: string): string {
  return createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
}

/**
 * What a receiver does: true when the signature is ours over this body and the timestamp is
 * within `toleranceSeconds` of `nowSeconds`. (opscron's own tests verify with it; receivers
 * in other languages do the same three steps.)
 */
export function verifyWebhook(
  secret: string,
  headers: { timestamp?: string; signature?: string },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const t = Number(headers.timestamp);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const given = Buffer.from((headers.signature ?? '').replace(/^v1=/, ''), 'hex');
  const expected = Buffer.from(signature(secret, t, body), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const HEADLINE: Record<NotificationEvent['kind'], string> = {
  opened: 'Incident opened',
  renotify: 'Still open, not acknowledged',
  escalated: 'Escalated: not acknowledged',
  raised: 'Now critical',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
};

const ICON: Record<NotificationEvent['kind'], string> = {
  opened: ':rotating_light:',
  renotify: ':rotating_light:',
  escalated: ':sos:',
  raised: ':rotating_light:',
  acknowledged: ':eyes:',
  resolved: ':white_check_mark:',
};

/** Slack's escaping of message text: &, < and > only. */
const slackText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function slackBody(event: NotificationEvent): string {
  return fit((e) => {
    const i = e.incident;
    const headline = `${ICON[e.kind]} ${HEADLINE[e.kind]}: ${i.title}`;
    const fields = [
      `*Service*\n${slackText(i.service)}`,
      `*Severity*\n${slackText(i.severity)}`,
      `*Incident*\n${e.link ? `<${e.link}|${i.id}>` : i.id}`,
      `*Signals*\n${slackText(i.signals.join(', ') || '—')}`,
    ];
    const blocks: unknown[] = [
      { type: 'section', text: { type: 'mrkdwn', text: `*${slackText(headline)}*\n${slackText(e.summary)}` } },
      { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
    ];
    if (e.evidence.length)
      blocks.push({
        type: 'section',
        text: { type: 'mrkdwn', text: cut(`*Evidence*\n\`\`\`${e.evidence.join('\n')}\`\`\``, 2900) },
      });
    if (e.note || e.actor)
      blocks.push({
        type: 'context',
        elements: [{ type: 'mrkdwn', text: slackText(`${e.actor ?? ''}${e.note ? `: ${e.note}` : ''}`) }],
      });
    return { text: `${headline} (${i.service}, ${i.id})`, blocks };
  }, event);
}

const PAGERDUTY_ACTION: Record<NotificationEvent['kind'], 'trigger' | 'acknowledge' | 'resolve'> = {
  opened: 'trigger',
  renotify: 'trigger',
  escalated: 'trigger',
  raised: 'trigger',
  acknowledged: 'acknowledge',
  resolved: 'resolve',
};

/** Events API v2: one alert per incident (dedup_key = the incident id), triggered, acknowledged, resolved. */
export function pagerdutyBody(event: NotificationEvent, routingKey: string): string {
  return fit((e) => {
    const action = PAGERDUTY_ACTION[e.kind];
    const base = { routing_key: routingKey, event_action: action, dedup_key: e.incident.id };
    if (action !== 'trigger') return base;
    return {
      ...base,
      payload: {
        summary: cut(`${e.incident.title}: ${e.summary}`, 1024),
        source: e.incident.service,
        severity: e.incident.severity === 'warning' ? 'warning' : 'critical',
        timestamp: e.incident.openedAt,
        component: e.incident.service,
        class: e.incident.signals.join(','),
        custom_details: { incident: e.incident.id, signals: e.incident.signals, evidence: e.evidence },
      },
      client: 'opscron',
      ...(e.link ? { client_url: e.link, links: [{ href: e.link, text: `opscron incident ${e.incident.id}` }] } : {}),
    };
  }, event);
}
