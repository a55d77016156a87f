/**
 * A report in a few words and figures: the title page, the email body and the reports
 * index all show this, so they always agree.
 */
import { InvalidRunError } from '../errors.js';
import { pct, span } from './format.js';
import type {
  ComplianceReport,
  HealthReport,
  IncidentReport,
  PerformanceReport,
  Report,
  ReportSummary,
} from './types.js';

/** The report's headline and key figures; a compliance report also keeps each control's result for the next one. */
export function summarize(report: Report): ReportSummary {
  switch (report.kind) {
    case 'health':
      return healthSummary(report);
    case 'performance':
      return performanceSummary(report);
    case 'compliance':
      return complianceSummary(report);
    case 'incident':
      return incidentSummary(report);
    default: {
      const unknown: never = report;
      throw new InvalidRunError(`unknown report kind ${String((unknown as Report).kind)}`);
    }
  }
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function healthSummary(report: HealthReport): ReportSummary {
  const services = report.services.data ?? [];
  const jobs = report.jobs.data ?? [];
  // Services without a health check have no availability: neither the lowest nor in the mean.
  const measured = services.filter((s) => s.availability !== null);
  const worst = [...measured].sort((a, b) => a.availability! - b.availability!)[0];
  const incidents = report.incidents.data?.count ?? 0;
  return {
    headline: measured.length
      ? `${services.filter((s) => s.status === 'ok').length} of ${services.length} services healthy; lowest availability: ${worst!.service} ${pct(worst!.availability)}; ${plural(incidents, 'incident')}.`
      : 'No health check ran in this period: availability is unknown.',
    figures: [
      ['Services', String(services.length)],
      [
        'Mean availability',
        measured.length ? pct(measured.reduce((s, x) => s + x.availability!, 0) / measured.length) : 'no data',
      ],
      ['Incidents', String(incidents)],
      ['Failed or critical runs', String(jobs.reduce((n, j) => n + j.failed + j.critical, 0))],
      ['Missed runs', String(jobs.reduce((n, j) => n + j.missed, 0))],
      ['Days', String(report.days.length)],
    ],
  };
}

function performanceSummary(report: PerformanceReport): ReportSummary {
  const lat = report.latency.data ?? [];
  const slowest = [...lat].filter((l) => l.p95Ms !== null).sort((a, b) => b.p95Ms! - a.p95Ms!)[0];
  return {
    headline: slowest
      ? `Slowest service by p95: ${slowest.service} at ${Math.round(slowest.p95Ms!)} ms.`
      : 'No latency was recorded in this period.',
    figures: [
      ['Services with latency data', String(lat.length)],
      ['Services with error-rate data', String(report.errorRate.data?.length ?? 0)],
      ['Resource findings', String(report.resources.data?.length ?? 0)],
      ['Slow-query findings', String(report.slowQueries.data?.length ?? 0)],
      ['Caches measured', String(report.cache.data?.length ?? 0)],
      ['Days', String(report.days.length)],
    ],
  };
}

function complianceSummary(report: ComplianceReport): ReportSummary {
  const controls = report.controls.data ?? [];
  const failed = controls.filter((c) => !c.passed);
  const stale = (report.backups.data ?? []).filter((b) => !b.fresh);
  const staleBackups = `${stale.length} backup${stale.length === 1 ? ' is' : 's are'} older than target.`;
  return {
    headline: controls.length
      ? `${controls.length - failed.length} of ${controls.length} controls pass; ${staleBackups}`
      : `No control was evaluated in this period; ${staleBackups}`,
    figures: [
      ['Controls', String(controls.length)],
      ['Failing', String(failed.length)],
      ['Regressed', String(controls.filter((c) => c.change === 'regressed').length)],
      ['Fixed', String(controls.filter((c) => c.change === 'fixed').length)],
      ['Stale backups', String(stale.length)],
      ['Destructive actions', String(report.destructiveActions.data?.length ?? 0)],
    ],
    // The next compliance report reads these to say which controls regressed or were fixed.
    controls: Object.fromEntries(controls.map((c) => [c.id, c.passed])),
  };
}

function incidentSummary(report: IncidentReport): ReportSummary {
  const i = report.incident;
  return {
    headline:
      i.status === 'resolved'
        ? `${i.service} recovered after ${span(i.timeToRecoverMs)} (${i.title}).`
        : `${i.service} is still failing (${i.title}).`,
    figures: [
      ['Service', i.service],
      ['Status', i.status],
      ['Signals', i.signals.join(', ') || '—'],
      ['Time to detect', span(i.timeToDetectMs)],
      ['Time to recover', span(i.timeToRecoverMs)],
      ['Actions', String(report.actions.data?.length ?? 0)],
    ],
  };
}
