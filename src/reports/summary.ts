/**
 * A report in a few words and figures: the title page, the email body and the reports
 * index all show this, so they always agree.
 */
import { pct, span } from './format.js';
import type { Report, ReportSummary } from './types.js';

export function summarize(report: Report): ReportSummary {
  switch (report.kind) {
    case 'health': {
      const services = report.services.data ?? [];
      const jobs = report.jobs.data ?? [];
      const measured = services.filter((s) => s.availability !== null);
      const worst = [...measured].sort((a, b) => a.availability! - b.availability!)[0];
      const incidents = report.incidents.data?.count ?? 0;
      return {
        headline: measured.length
          ? `${services.filter((s) => s.status === 'ok').length} of ${services.length} services healthy; lowest availability: ${worst!.service} ${pct(worst!.availability)}; ${incidents} incident${incidents === 1 ? '' : 's'}.`
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
    case 'performance': {
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
    case 'compliance': {
      const controls = report.controls.data ?? [];
      const failed = controls.filter((c) => !c.passed);
      const stale = (report.backups.data ?? []).filter((b) => !b.fresh);
      return {
        headline: controls.length
          ? `${controls.length - failed.length} of ${controls.length} controls pass; ${stale.length} backup${stale.length === 1 ? ' is' : 's are'} older than target.`
          : `No control was evaluated in this period; ${stale.length} backup${stale.length === 1 ? ' is' : 's are'} older than target.`,
        figures: [
          ['Controls', String(controls.length)],
          ['Failing', String(failed.length)],
          ['Regressed', String(controls.filter((c) => c.change === 'regressed').length)],
          ['Fixed', String(controls.filter((c) => c.change === 'fixed').length)],
          ['Stale backups', String(stale.length)],
          ['Destructive actions', String(report.destructiveActions.data?.length ?? 0)],
        ],
        controls: Object.fromEntries(controls.map((c) => [c.id, c.passed])),
      };
    }
    case 'incident': {
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
  }
}
