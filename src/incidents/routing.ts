/**
 * What to send when, and to whom: pure functions of the configuration, the incident and
 * what was already sent. The outbox rows they lead to are keyed `<incident>/<step>/<channel>`,
 * so a step decided twice (two replicas, a restart) is queued once.
 *
 *   opened ──► notified (routes) ──► re-notified every incidents.renotify ┐ until acknowledged
 *                                └──► escalated after each step's `after` ┘ or resolved
 *   warning → critical ──► the routes for critical (a warning route may not page), once
 *   acknowledged, resolved ──► every channel that heard of the incident, and the routes
 */
import type { ChannelConfig, OpscronConfig } from '../config/schema.js';

/** The route used when none is configured: mail to reports.recipients.incident, as before routes existed. */
export const DEFAULT_CHANNEL = 'reports.recipients.incident';

export type NotificationKind = 'opened' | 'renotify' | 'escalated' | 'raised' | 'acknowledged' | 'resolved';

/** A follow-up the clock made due: its step key (part of the outbox key) and the channels it goes to. */
export interface DueStep {
  step: string;
  kind: 'renotify' | 'escalated';
  channels: string[];
}

/** An open incident as the follow-up decision needs it. */
export interface OpenIncident {
  service: string;
  severity: string;
  openedAt: Date;
  acknowledgedAt: Date | null;
}

/** The channel a name stands for; the default one is email to reports.recipients.incident. */
export function channelNamed(config: OpscronConfig, name: string): ChannelConfig | undefined {
  if (name === DEFAULT_CHANNEL) return { type: 'email', to: [] };
  return config.notifications.channels[name];
}

/** The channels of every route matching the service and severity, in route order, once each. */
export function routeChannels(config: OpscronConfig, service: string, severity: string): string[] {
  const routes = config.notifications.routes;
  if (!routes.length) return [DEFAULT_CHANNEL];
  const out: string[] = [];
  for (const route of routes) {
    const serviceMatches = route.services === '*' || route.services.includes(service);
    const severityMatches = route.severity === 'any' || route.severity === severity;
    if (serviceMatches && severityMatches) for (const c of route.channels) if (!out.includes(c)) out.push(c);
  }
  return out;
}

/**
 * Whether a channel hears of this kind of event. PagerDuty re-notifies by its own escalation
 * policies, so it gets no re-notification (a repeated trigger would only add noise). The
 * default mail keeps what it always did: the alert (and its re-notifications and escalations);
 * the resolution reaches it as the incident report.
 */
export function wants(name: string, channel: ChannelConfig, kind: NotificationKind): boolean {
  if (channel.type === 'pagerduty') return kind !== 'renotify';
  if (name === DEFAULT_CHANNEL)
    return kind === 'opened' || kind === 'renotify' || kind === 'escalated' || kind === 'raised';
  return true;
}

/** The escalation steps of a service: its own, else those of "*". */
export function escalationOf(config: OpscronConfig, service: string) {
  const steps = config.incidents.escalation;
  return steps[service] ?? steps['*'] ?? [];
}

/**
 * The follow-ups due now for an open incident, given the step keys already queued for it:
 * the newest re-notification due (never a burst of the ones missed while down) and each
 * escalation step whose delay has passed. Nothing once it is acknowledged.
 */
export function dueSteps(
  config: OpscronConfig,
  incident: OpenIncident,
  sent: ReadonlySet<string>,
  now: Date,
): DueStep[] {
  if (incident.acknowledgedAt) return [];
  const age = now.getTime() - incident.openedAt.getTime();
  const out: DueStep[] = [];
  const every = config.incidents.renotify;
  if (every > 0 && age >= every) {
    const n = Math.floor(age / every);
    const step = `renotify-${n}`;
    if (!sent.has(step))
      out.push({ step, kind: 'renotify', channels: routeChannels(config, incident.service, incident.severity) });
  }
  escalationOf(config, incident.service).forEach((e, i) => {
    const step = `escalate-${i + 1}`;
    if (age >= e.after && !sent.has(step)) out.push({ step, kind: 'escalated', channels: [...e.channels] });
  });
  return out;
}

/** The outbox key of one step to one channel. */
export const dedupKey = (incidentId: string, step: string, channel: string): string =>
  `${incidentId}/${step}/${channel}`;

/** The step of an outbox key (`renotify-2` of `inc-1/renotify-2/oncall`). */
export function stepOfKey(key: string): string {
  const parts = key.split('/');
  return parts.length >= 3 ? parts[parts.length - 2]! : key;
}
