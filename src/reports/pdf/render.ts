/**
 * Lays each report model out as pages: title page, summary table, charts, sections. Each
 * kind of report has its own module (render-<kind>.ts); the pieces they share are in
 * sections.ts, not here, so that no module imports the one that imports it.
 */
import { InvalidRunError } from '../../errors.js';
import { periodText } from '../format.js';
import type { Report } from '../types.js';
import { ReportDocument } from './document.js';
import { renderCompliance } from './render-compliance.js';
import { renderHealth } from './render-health.js';
import { renderIncident } from './render-incident.js';
import { renderPerformance } from './render-performance.js';

/** The report as a PDF, every page footed with its name and period. Under a fixed `generatedAt`, the same bytes every time. */
export async function renderReport(report: Report): Promise<Buffer> {
  const pdf = new ReportDocument({
    title: report.title,
    subject: `${report.kind} report, ${periodText(report.period)}`,
    generatedAt: report.generatedAt,
  });
  switch (report.kind) {
    case 'health':
      renderHealth(pdf, report);
      break;
    case 'performance':
      renderPerformance(pdf, report);
      break;
    case 'compliance':
      renderCompliance(pdf, report);
      break;
    case 'incident':
      renderIncident(pdf, report);
      break;
    default: {
      const unknown: never = report;
      throw new InvalidRunError(`unknown report kind ${String((unknown as Report).kind)}`);
    }
  }
  return pdf.finish(`opscron · ${report.title} · ${periodText(report.period)}`);
}
