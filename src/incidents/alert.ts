/** The words of an incident alert: what opened it, the evidence, what will be tried. Pure. */
import type { Finding } from '../model.js';

/** An incident as it opens: the runs of the streak that opened it are its evidence. */
export interface Opened {
  id: string;
  service: string;
  signal: string;
  jobId: string;
  firstBadAt: Date | null;
  /** Critical for a run's streak; an alert's severity label. */
  severity?: 'critical' | 'warning';
  evidence: Array<{ at: Date; status: string; summary: string | null; findings: unknown[] }>;
}

export function alertSubject(incident: Opened): string {
  return `[opscron] INCIDENT ${incident.id}: ${incident.signal} ${incident.severity ?? 'critical'} on ${incident.service}`;
}

/** The alert's text; `steps` are the remediation jobs configured for the service, in order. */
export function alertText(incident: Opened, steps: readonly string[]): string {
  const lines = incident.evidence.flatMap((e) => [
    `  ${e.at.toISOString()}  ${e.status.toUpperCase()}  ${e.summary ?? ''}`,
    ...(e.findings as Finding[])
      .filter((f) => f.severity !== 'info')
      .map((f) => `      ${f.check}: ${f.message}${f.remedy ? `\n        remedy: ${f.remedy}` : ''}`),
  ]);
  return [
    `Incident ${incident.id} opened: ${incident.signal} is ${incident.severity ?? 'critical'} on ${incident.service}.`,
    incident.firstBadAt ? `First critical run: ${incident.firstBadAt.toISOString()}.` : '',
    '',
    'Evidence (the runs that opened it):',
    ...lines,
    '',
    steps.length
      ? `Remediation, in order: ${steps.join(', ')}.`
      : 'No remediation is configured for this service (incidents.remediation).',
    'opscron resolves the incident by itself when every signal is healthy again, and mails the incident report.',
  ].join('\n');
}
