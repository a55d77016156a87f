/**
 * Who hears of an incident. Each step — opened, re-notified, escalated, acknowledged,
 * resolved — is queued in the outbox for the channels routing.ts names, one row per channel
 * under the key `<incident>/<step>/<channel>` (insert-if-absent: replicas deciding the same
 * step queue it once), and is an event on the incident's timeline. The outbox sends it
 * (reports/deliver/outbox.ts). The resolution also builds the incident report, stored,
 * linked and mailed.
 */
import type { Clock } from '../clock.js';
import type { OpscronConfig } from '../config/schema.js';
import type { Feeds } from '../feeds.js';
import type { Finding } from '../model.js';
import type { Logger } from '../observability/logger.js';
import { redact, redactValue } from '../observability/redact.js';
import { channelOf, recipientsOf } from '../reports/deliver/outbox.js';
import { produceReport } from '../reports/publish.js';
import type { NotificationEvent, QueuedNotification } from '../store/deliveries.js';
import type { Store } from '../store/index.js';
import { alertSubject, alertText, type Opened } from './alert.js';
import { stepsFor } from './remediation.js';
import {
  channelNamed,
  dedupKey,
  DEFAULT_CHANNEL,
  routeChannels,
  wants,
  type DueStep,
  type NotificationKind,
} from './routing.js';

export interface NotifierDeps {
  config: OpscronConfig;
  store: Store;
  logger: Logger;
  feeds: Feeds;
  clock: Clock;
  onMailQueued?: () => void;
}

/** One step for one incident: what happened, in words and evidence lines. */
interface Step {
  step: string;
  kind: NotificationKind;
  channels: string[];
  summary: string;
  evidence?: string[];
  actor?: string;
  note?: string;
  /** The mail of the default route when the incident opens: the alert as it always was. */
  mail?: { subject: string; text: string };
}

type IncidentFacts = NotificationEvent['incident'];

const minutes = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000}m` : `${Math.round(ms / 1000)}s`);

/** The runs that opened the incident and their findings, as short lines. */
function evidenceLines(incident: Opened): string[] {
  return incident.evidence.flatMap((e) => [
    `${e.at.toISOString()} ${e.status.toUpperCase()} ${e.summary ?? ''}`.trim(),
    ...(e.findings as Finding[]).filter((f) => f.severity !== 'info').map((f) => `  ${f.check}: ${f.message}`),
  ]);
}

export class Notifier {
  constructor(private readonly o: NotifierDeps) {}

  private now(): Date {
    return new Date(this.o.clock.now());
  }

  /** The incident opened: every route matching its service and severity hears of it. */
  async alert(incident: Opened): Promise<void> {
    const facts: IncidentFacts = {
      id: incident.id,
      service: incident.service,
      severity: incident.severity ?? 'critical',
      title: `${incident.signal} ${incident.severity ?? 'critical'} on ${incident.service}`,
      status: 'open',
      openedAt: (incident.evidence.at(-1)?.at ?? this.now()).toISOString(),
      signals: [incident.signal],
    };
    const steps = stepsFor(this.o.config, incident.service).map((s) => s.job);
    try {
      await this.queue(facts, {
        step: 'opened',
        kind: 'opened',
        channels: routeChannels(this.o.config, incident.service, facts.severity),
        summary: `${facts.title}.${steps.length ? ` Remediation: ${steps.join(', ')}.` : ''}`,
        evidence: evidenceLines(incident),
        mail: { subject: alertSubject(incident), text: alertText(incident, steps) },
      });
    } catch (error) {
      // Said loudly: the incident is open and nobody was told (re-notification, if configured, tries again).
      this.o.logger.error(
        { err: error, incident: incident.id },
        'could not queue the notifications of an incident that opened',
      );
    }
  }

  /** A follow-up the clock made due (routing.ts dueSteps): re-notification or escalation. */
  async followUp(id: string, due: DueStep): Promise<void> {
    const facts = await this.facts(id);
    if (!facts || facts.status !== 'open') return;
    const age = minutes(this.o.clock.now() - Date.parse(facts.openedAt));
    await this.queue(
      facts,
      { ...due, summary: `${facts.title}: open for ${age}, not acknowledged.` },
      { whileUnacknowledged: true },
    );
  }

  /** Warning became critical: the routes for critical hear of it once (step `critical`), if anyone was told of the opening. */
  async raised(id: string): Promise<void> {
    try {
      const facts = await this.facts(id);
      if (!facts || facts.status !== 'open') return;
      if (!(await this.o.store.incidents.get(id))?.notifiedAt) return; // opened under a silence: its end tells
      await this.queue(facts, {
        step: 'critical',
        kind: 'raised',
        channels: routeChannels(this.o.config, facts.service, 'critical'),
        summary: `${facts.title}: now critical.`,
      });
    } catch (error) {
      this.o.logger.error(
        { err: error, incident: id },
        'could not queue the notifications of an incident now critical',
      );
    }
  }

  /** The silence that kept the opening quiet ended, the incident still open: it is told now, once. */
  async unsilenced(id: string): Promise<void> {
    const facts = await this.facts(id);
    if (!facts || facts.status !== 'open') return;
    await this.o.store.incidents.event(
      id,
      this.now(),
      'unsilenced',
      null,
      null,
      'the silence ended while the incident is open',
    );
    await this.queue(facts, {
      step: 'opened',
      kind: 'opened',
      channels: routeChannels(this.o.config, facts.service, facts.severity),
      summary: `${facts.title}: opened ${facts.openedAt} under a silence that has now ended; still open.`,
    });
  }

  /** Acknowledged or resolved: the routes and every channel that heard of the incident are told. */
  async settled(id: string, kind: 'acknowledged' | 'resolved', who: { actor?: string; note?: string }): Promise<void> {
    try {
      const facts = await this.facts(id);
      if (!facts) return;
      // Opened under a silence and never told: the silence covers its end too.
      if (!(await this.o.store.incidents.get(id))?.notifiedAt) return;
      const earlier = (await this.o.store.deliveries.ofIncident(id)).map((d) => d.target);
      const channels = [...new Set([...routeChannels(this.o.config, facts.service, facts.severity), ...earlier])];
      const how =
        kind === 'acknowledged'
          ? `acknowledged by ${who.actor}`
          : `resolved${who.actor ? ` by ${who.actor}` : ': every signal is healthy again'}`;
      await this.queue(facts, { step: kind, kind, channels, summary: `${facts.title}: ${how}.`, ...who });
    } catch (error) {
      this.o.logger.error({ err: error, incident: id }, `could not queue the ${kind} notifications`);
    }
  }

  private async facts(id: string): Promise<IncidentFacts | null> {
    const row = await this.o.store.incidents.get(id);
    if (!row) return null;
    return {
      id,
      service: row.service as string,
      severity: row.severity as string,
      title: row.title as string,
      status: row.status as 'open' | 'resolved',
      openedAt: (row.openedAt as Date).toISOString(),
      signals: row.signals as string[],
    };
  }

  /** Queues the step for each channel that wants it; the timeline says who was told (only the replica that queued it). */
  private async queue(facts: IncidentFacts, s: Step, options: { whileUnacknowledged?: boolean } = {}): Promise<void> {
    const items = s.channels.flatMap((name) => this.item(facts, s, name));
    const queued = await this.o.store.deliveries.queueNotifications(items, this.now(), options);
    if (!queued.length) return;
    const told = items.filter((i) => queued.includes(i.dedupKey)).map((i) => this.describe(i));
    const [kind, message] =
      s.kind === 'renotify'
        ? ['renotified', `re-notified ${told.join(', ')}: ${s.summary}`]
        : s.kind === 'escalated'
          ? ['escalated', `escalated to ${told.join(', ')}: ${s.summary}`]
          : ['notified', `notified ${told.join(', ')} (${s.kind})`];
    await this.o.store.incidents.event(facts.id, this.now(), kind, null, null, redact(message));
    this.o.onMailQueued?.(); // the outbox sends it now rather than at its next pass
  }

  private describe(item: QueuedNotification): string {
    return item.target === DEFAULT_CHANNEL ? item.recipients.join(', ') : item.target;
  }

  /** The outbox row of the step for one channel, or none (unknown, or not for this kind of event, or nobody to mail). */
  private item(facts: IncidentFacts, s: Step, name: string): QueuedNotification[] {
    const config = this.o.config;
    const channel = channelNamed(config, name);
    if (!channel || !wants(name, channel, s.kind)) return [];
    const key = dedupKey(facts.id, s.step, name);
    const base = { target: name, incidentId: facts.id, dedupKey: key };
    if (channel.type === 'email') {
      const recipients = channel.to.length ? [...channel.to] : recipientsOf(config, 'incident');
      if (!recipients.length) return [];
      const mail = s.mail ?? {
        subject: `[opscron] ${s.kind.toUpperCase()} ${facts.id}: ${facts.title}`,
        text: [s.summary, s.note ? `Note: ${s.note}` : '', this.link(facts.id) ?? ''].filter(Boolean).join('\n\n'),
      };
      return [
        {
          ...base,
          channel: channelOf(config),
          recipients,
          message: { subject: mail.subject, text: redact(mail.text) },
        },
      ];
    }
    const event: NotificationEvent = redactValue({
      id: key,
      kind: s.kind,
      at: this.now().toISOString(),
      incident: facts,
      summary: s.summary,
      evidence: s.evidence ?? [],
      ...(s.actor ? { actor: s.actor } : {}),
      ...(s.note ? { note: s.note } : {}),
      ...(this.link(facts.id) ? { link: this.link(facts.id) } : {}),
    });
    return [{ ...base, channel: channel.type, recipients: [], message: event }];
  }

  private link(id: string): string | undefined {
    const base = this.o.config.http.publicUrl;
    // The console's incident page (sign-in first if need be), not the token-protected API.
    return base ? `${base.replace(/\/+$/, '')}/incidents/${encodeURIComponent(id)}` : undefined;
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
