/**
 * Who hears of an incident, and how: named channels (webhook, Slack, PagerDuty, email) and
 * routes from (service, severity) to channels. Nothing configured means what opscron always
 * did: the alert mailed to reports.recipients.incident. Cross-references (route → channel,
 * service names) are checked in load.ts, where the whole configuration is known.
 */
import { z } from 'zod';
import { duration } from './duration.js';

/** A channel name as routes and escalation steps refer to it. */
export const CHANNEL_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const httpsOrLoopback = (what: string) =>
  z.url({
    protocol: /^https?$/,
    error: `must be an http(s) URL (${what}); give it as \${VAR} so it is redacted everywhere`,
  });

/** Request bounds every HTTP channel shares. */
const bounded = {
  /** A receiver that has not answered in this long counts as down (retried). */
  timeout: duration
    .refine((ms) => ms >= 100 && ms <= 120_000, { error: 'must be between 100ms and 2m' })
    .default(10_000),
};

const webhookChannel = z.strictObject({
  type: z.literal('webhook'),
  url: httpsOrLoopback('where the incident event is POSTed as JSON'),
  /** Shared secret of the HMAC-SHA256 signature (X-Opscron-Signature). */
  secret: z.string().min(16, { error: 'must be at least 16 characters' }),
  ...bounded,
});

const slackChannel = z.strictObject({
  type: z.literal('slack'),
  url: httpsOrLoopback('a Slack incoming-webhook URL'),
  ...bounded,
});

const pagerdutyChannel = z.strictObject({
  type: z.literal('pagerduty'),
  /** The Events API v2 integration key of the PagerDuty service. */
  routingKey: z.string().min(8, { error: 'must be a PagerDuty integration (routing) key' }),
  url: httpsOrLoopback('the Events API v2 endpoint').default('https://events.pagerduty.com/v2/enqueue'),
  ...bounded,
});

const emailChannel = z.strictObject({
  type: z.literal('email'),
  /** Addresses; empty means reports.recipients.incident. */
  to: z
    .array(z.email({ pattern: z.regexes.html5Email, error: 'must be an email address such as ops@example.com' }))
    .default([]),
});

export const channelSchema = z.discriminatedUnion(
  'type',
  [webhookChannel, slackChannel, pagerdutyChannel, emailChannel],
  {
    error: 'must have a type: webhook, slack, pagerduty or email',
  },
);

export const SEVERITIES = ['critical', 'warning', 'any'] as const;

const routeSchema = z.strictObject({
  /** Service names, or "*" for every service. */
  services: z.union([z.literal('*'), z.array(z.string()).min(1)]).default('*'),
  severity: z.enum(SEVERITIES).default('any'),
  channels: z.array(z.string()).min(1, { error: 'must name at least one channel' }),
});

export const notificationsSchema = z
  .strictObject({
    channels: z
      .record(z.string().regex(CHANNEL_NAME, { error: 'must be 1-63 characters of a-z, 0-9, - and _' }), channelSchema)
      .default({}),
    /** Every route whose services and severity match an incident is used; none configured → email to reports.recipients.incident. */
    routes: z.array(routeSchema).default([]),
    /** Sending to a channel is retried with exponential backoff (email keeps email.retry). */
    retry: z
      .strictObject({
        attempts: z.number().int().min(1).max(1000).default(100),
        backoff: duration.default(10_000),
        maxBackoff: duration.default(600_000),
      })
      .default({ attempts: 100, backoff: 10_000, maxBackoff: 600_000 }),
  })
  .default({ channels: {}, routes: [], retry: { attempts: 100, backoff: 10_000, maxBackoff: 600_000 } });

/** Escalation steps per service (or "*"): when nobody has acknowledged `after` the opening, these channels hear of it too. */
export const escalationSchema = z
  .record(
    z.string(),
    z.array(
      z.strictObject({
        after: duration.refine((ms) => ms >= 1000, { error: 'must be at least 1s' }),
        channels: z.array(z.string()).min(1, { error: 'must name at least one channel' }),
      }),
    ),
  )
  .default({});

export type ChannelConfig = z.output<typeof channelSchema>;

/**
 * What the schema cannot see alone: routes and escalation steps name configured channels,
 * and services that exist. One line per problem, naming the path.
 */
export function notificationIssues(
  notifications: z.output<typeof notificationsSchema>,
  escalation: z.output<typeof escalationSchema>,
  services: readonly string[],
): string[] {
  const issues: string[] = [];
  const channels = Object.keys(notifications.channels);
  const known = `configured: ${channels.join(', ') || 'none (notifications.channels)'}`;
  const checkChannels = (path: string, names: readonly string[]) =>
    names.forEach((name, i) => {
      if (!channels.includes(name))
        issues.push(`${path}.channels[${i}]: ${JSON.stringify(name)} — not a channel; ${known}`);
    });
  const checkService = (path: string, name: string) => {
    if (name !== '*' && !services.includes(name))
      issues.push(`${path}: ${JSON.stringify(name)} — not in services; use a service name or "*"`);
  };
  notifications.routes.forEach((route, i) => {
    if (route.services !== '*')
      route.services.forEach((s, j) => checkService(`notifications.routes[${i}].services[${j}]`, s));
    checkChannels(`notifications.routes[${i}]`, route.channels);
  });
  for (const [service, steps] of Object.entries(escalation)) {
    checkService(`incidents.escalation.${service}`, service);
    steps.forEach((step, i) => checkChannels(`incidents.escalation.${service}[${i}]`, step.channels));
  }
  return issues;
}

/** The secrets of the channels: webhook and Slack URLs (their tokens are in the path), signing secrets, routing keys. */
export function channelSecrets(channels: Readonly<Record<string, ChannelConfig>>): string[] {
  const out: string[] = [];
  for (const channel of Object.values(channels)) {
    switch (channel.type) {
      case 'webhook':
        out.push(channel.secret, ...urlSecrets(channel.url));
        break;
      case 'slack':
        out.push(...urlSecrets(channel.url));
        break;
      case 'pagerduty':
        out.push(channel.routingKey);
        break;
      case 'email':
        break;
    }
  }
  return out;
}

/** The whole URL, and its path and query where a token usually is (Slack's /services/T…/B…/x…). */
function urlSecrets(url: string): string[] {
  const u = new URL(url);
  const rest = `${u.pathname}${u.search}`;
  return rest.length >= 12 ? [url, rest] : [url];
}
