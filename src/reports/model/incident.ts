/**
 * The incident report: one incident's timeline (signals, runs, remediation), the actions
 * people took (audit log), how long detection and recovery took, and the findings of the
 * failing runs that explain it.
 */
import type { FindingRow, IncidentEvent, IncidentReport, IncidentSummary, Period } from '../types.js';

export interface IncidentInputs {
  generatedAt: Date;
  timeZone: string;
  incident: IncidentSummary;
  events: IncidentEvent[];
  audit: Array<{ at: Date; actor: string; action: string; job: string | null; reason: string | null }>;
  findings: FindingRow[];
}

/** The window an incident report covers: an hour before it opened to its end (or now). */
export function incidentWindow(incident: IncidentSummary, timeZone: string, now: Date): Period {
  return {
    from: new Date(incident.openedAt.getTime() - (incident.timeToDetectMs ?? 0) - 3_600_000),
    to: incident.resolvedAt ?? now,
    timeZone,
  };
}

export function composeIncidentReport(input: IncidentInputs): IncidentReport {
  const { incident } = input;
  const remediation = input.events.filter((e) => e.kind.startsWith('remediation'));
  const actions = [
    ...remediation.map((e) => ({
      at: e.at,
      actor: 'opscron',
      action: e.kind,
      job: e.signal,
      outcome: e.message,
      reason: 'incident remediation',
    })),
    ...input.audit.map((a) => ({
      at: a.at,
      actor: a.actor,
      action: a.action,
      job: a.job,
      outcome: '',
      reason: a.reason,
    })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());
  return {
    kind: 'incident',
    title: `Incident ${incident.id}: ${incident.title}`,
    period: incidentWindow(incident, input.timeZone, input.generatedAt),
    generatedAt: input.generatedAt,
    status: incident.status === 'open' ? 'critical' : 'ok',
    incident,
    timeline: input.events.length ? { data: input.events } : { empty: 'No event was recorded for this incident.' },
    actions: actions.length
      ? { data: actions }
      : { empty: 'No remediation ran and nobody triggered a job of this service during the incident.' },
    findings: input.findings.length
      ? { data: input.findings }
      : { empty: 'The failing runs recorded no findings for this service.' },
  };
}
