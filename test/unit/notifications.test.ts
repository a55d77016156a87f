/**
 * What to send when (routing.ts) and what receivers get (payloads.ts): pure, on fixed inputs.
 */
import { parseConfig } from '../../src/configure.js';
import { DEFAULT_CHANNEL, dueSteps, routeChannels, stepOfKey, wants } from '../../src/incidents/routing.js';
import {
  MAX_BODY_BYTES,
  pagerdutyBody,
  slackBody,
  verifyWebhook,
  webhookBody,
  webhookHeaders,
} from '../../src/reports/deliver/payloads.js';
import type { NotificationEvent } from '../../src/store/deliveries.js';

const T0 = Date.parse('2026-12-01T03:00:00Z');
const min = 60_000;

const config = parseConfig({
  services: [
    { name: 'shop', url: 'http://shop.internal' },
    { name: 'cart', url: 'http://cart.internal' },
  ],
  incidents: {
    renotify: '15m',
    escalation: {
      shop: [
        { after: '10m', channels: ['lead'] },
        { after: '30m', channels: ['pd'] },
      ],
    },
  },
  notifications: {
    channels: {
      'oncall-slack': { type: 'slack', url: 'https://hooks.slack.com/services/T0/B0/abcdefghijkl' },
      hook: { type: 'webhook', url: 'https://hooks.example.com/opscron', secret: 'a-shared-secret-of-32-chars-long' },
      lead: { type: 'webhook', url: 'https://lead.example.com/x', secret: 'another-shared-secret-0123456' },
      pd: { type: 'pagerduty', routingKey: 'R0UT1NGKEY0123456789' },
    },
    routes: [
      { services: ['shop'], severity: 'critical', channels: ['oncall-slack', 'pd'] },
      { services: '*', channels: ['hook', 'oncall-slack'] },
    ],
  },
});

const open = { service: 'shop', severity: 'critical', openedAt: new Date(T0), acknowledgedAt: null };

describe('routing', () => {
  it('uses every matching route once each, in order; nothing configured means the incident email', () => {
    expect(routeChannels(config, 'shop', 'critical')).toEqual(['oncall-slack', 'pd', 'hook']);
    expect(routeChannels(config, 'shop', 'warning')).toEqual(['hook', 'oncall-slack']);
    expect(routeChannels(config, 'cart', 'critical')).toEqual(['hook', 'oncall-slack']);
    expect(routeChannels(parseConfig({}), 'cart', 'critical')).toEqual([DEFAULT_CHANNEL]);
  });

  it('re-notifies the newest due step only, escalates each step after its delay, nothing once acknowledged', () => {
    expect(dueSteps(config, open, new Set(), new Date(T0 + 9 * min))).toEqual([]);
    expect(dueSteps(config, open, new Set(), new Date(T0 + 10 * min))).toEqual([
      { step: 'escalate-1', kind: 'escalated', channels: ['lead'] },
    ]);
    expect(dueSteps(config, open, new Set(['escalate-1']), new Date(T0 + 16 * min))).toEqual([
      { step: 'renotify-1', kind: 'renotify', channels: ['oncall-slack', 'pd', 'hook'] },
    ]);
    // Down for an hour: one re-notification (the newest), not four, and the escalations missed.
    expect(dueSteps(config, open, new Set(['escalate-1', 'renotify-1']), new Date(T0 + 61 * min))).toEqual([
      { step: 'renotify-4', kind: 'renotify', channels: ['oncall-slack', 'pd', 'hook'] },
      { step: 'escalate-2', kind: 'escalated', channels: ['pd'] },
    ]);
    expect(
      dueSteps(config, { ...open, acknowledgedAt: new Date(T0 + min) }, new Set(), new Date(T0 + 61 * min)),
    ).toEqual([]);
    expect(dueSteps(parseConfig({}), open, new Set(), new Date(T0 + 600 * min))).toEqual([]);
    expect(stepOfKey('inc-20261201T030000Z-ab12/renotify-4/oncall-slack')).toBe('renotify-4');
  });

  it('PagerDuty gets no re-notification; the default mail keeps to alerts', () => {
    const pd = config.notifications.channels.pd!;
    expect(
      ['opened', 'renotify', 'escalated', 'acknowledged', 'resolved'].filter((k) => wants('pd', pd, k as never)),
    ).toEqual(['opened', 'escalated', 'acknowledged', 'resolved']);
    const mail = { type: 'email' as const, to: [] };
    expect(
      ['opened', 'renotify', 'escalated', 'acknowledged', 'resolved'].filter((k) =>
        wants(DEFAULT_CHANNEL, mail, k as never),
      ),
    ).toEqual(['opened', 'renotify', 'escalated']);
  });

  it('refuses routes and steps naming unknown channels or services, naming the path', () => {
    expect(() =>
      parseConfig({
        services: [{ name: 'shop', url: 'http://shop.internal' }],
        incidents: { escalation: { shopp: [{ after: '10m', channels: ['lead'] }] } },
        notifications: { routes: [{ services: ['shop'], channels: ['slak'] }] },
      }),
    ).toThrow(
      /notifications\.routes\[0\]\.channels\[0\]: "slak" — not a channel[\s\S]*incidents\.escalation\.shopp: "shopp" — not in services[\s\S]*incidents\.escalation\.shopp\[0\]\.channels\[0\]: "lead" — not a channel/,
    );
    let message = '';
    try {
      parseConfig({
        notifications: { channels: { s: { type: 'slack', url: 'hooks.slack.com/services/T0/B0/tokentoken' } } },
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/notifications\.channels\.s\.url: \(hidden\)/);
    expect(message).not.toContain('tokentoken');
    expect(() => parseConfig({ notifications: { channels: { s: { type: 'sms', to: '1' } } } })).toThrow(
      /notifications\.channels\.s\.type/,
    );
  });
});

const event: NotificationEvent = {
  id: 'inc-1/opened/hook',
  kind: 'opened',
  at: '2026-12-01T03:00:00.000Z',
  incident: {
    id: 'inc-1',
    service: 'shop',
    severity: 'critical',
    title: 'error-rate critical on shop',
    status: 'open',
    openedAt: '2026-12-01T03:00:00.000Z',
    signals: ['error-rate'],
  },
  summary: 'error-rate critical on shop.',
  evidence: ['2026-12-01T02:59:00.000Z CRITICAL shop: 5.00 % 5xx'],
  link: 'https://opscron.example.com/api/incidents/inc-1',
};

describe('payloads', () => {
  const secret = 'a-shared-secret-of-32-chars-long';
  const now = Math.floor(T0 / 1000);

  it('signs the webhook over timestamp.body; a tampered body, another secret or an old timestamp fail', () => {
    const body = webhookBody(event);
    const h = webhookHeaders(secret, body, now, event.id);
    expect(h['x-opscron-event-id']).toBe('inc-1/opened/hook');
    const headers = { timestamp: h['x-opscron-timestamp'], signature: h['x-opscron-signature'] };
    expect(verifyWebhook(secret, headers, body, now + 10)).toBe(true);
    expect(verifyWebhook(secret, headers, body.replace('shop', 'shoq'), now)).toBe(false);
    expect(verifyWebhook('another-secret-entirely-000000', headers, body, now)).toBe(false);
    expect(verifyWebhook(secret, headers, body, now + 301)).toBe(false);
    expect(verifyWebhook(secret, { ...headers, signature: 'v1=00' }, body, now)).toBe(false);
    expect(JSON.parse(body)).toMatchObject({ version: 1, id: event.id, kind: 'opened', incident: { id: 'inc-1' } });
  });

  it('PagerDuty: trigger with payload, acknowledge and resolve with the incident id as dedup_key', () => {
    const trigger = JSON.parse(pagerdutyBody(event, 'R0UT1NGKEY0123456789'));
    expect(trigger).toMatchObject({
      routing_key: 'R0UT1NGKEY0123456789',
      event_action: 'trigger',
      dedup_key: 'inc-1',
      payload: {
        summary: expect.stringContaining('error-rate critical on shop'),
        source: 'shop',
        severity: 'critical',
      },
      links: [{ href: event.link }],
    });
    expect(JSON.parse(pagerdutyBody({ ...event, kind: 'acknowledged' }, 'R0UT1NGKEY0123456789'))).toEqual({
      routing_key: 'R0UT1NGKEY0123456789',
      event_action: 'acknowledge',
      dedup_key: 'inc-1',
    });
    expect(JSON.parse(pagerdutyBody({ ...event, kind: 'resolved' }, 'k')).event_action).toBe('resolve');
  });

  it('Slack: service, severity, incident (linked), evidence; escaped; bodies bounded', () => {
    const slack = JSON.parse(slackBody({ ...event, summary: 'a <b> & c' }));
    const text = JSON.stringify(slack.blocks);
    expect(slack.text).toContain('error-rate critical on shop');
    expect(text).toContain('*Service*\\nshop');
    expect(text).toContain('*Severity*\\ncritical');
    expect(text).toContain(`<${event.link}|inc-1>`);
    expect(text).toContain('a &lt;b&gt; &amp; c');
    expect(text).toContain('5.00 % 5xx');
    const huge = { ...event, evidence: Array.from({ length: 500 }, () => 'x'.repeat(5000)) };
    for (const body of [webhookBody(huge), slackBody(huge), pagerdutyBody(huge, 'k')])
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
  });
});
