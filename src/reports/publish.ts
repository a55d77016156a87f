/**
 * One path for every report, whoever asks (a scheduled job, an incident resolving, the
 * CLI): read the store → compose the model → render the PDF → store and index it →
 * queue its email. Reports the time each step took and progress as it goes.
 */
import type { OpscronConfig } from '../config/schema.js';
import { InvalidRunError } from '../errors.js';
import type { Feeds } from '../feeds.js';
import { openStorage } from '../integrations/storage-open.js';
import type { ReportKind } from '../model.js';
import type { Store } from '../store/index.js';
import { applyRetention, newReportId, storeReport, type ReportOrigin, type ReportRecord } from './deliver/stored.js';
import { channelOf, recipientsOf } from './deliver/outbox.js';
import {
  loadComplianceInputs,
  loadHealthInputs,
  loadIncidentInputs,
  loadPerformanceInputs,
  type ReportSource,
} from './inputs.js';
import { composeComplianceReport } from './model/compliance.js';
import { composeHealthReport } from './model/health.js';
import { composeIncidentReport } from './model/incident.js';
import { composePerformanceReport } from './model/performance.js';
import { summarize } from './summary.js';
import { renderOffThread } from './pdf/thread.js';
import { periodOf } from './period.js';
import type { Report } from './types.js';

export interface ReportRequest {
  kind: ReportKind;
  from?: Date;
  to?: Date;
  /** Length of the period ending at `to` (or now) when `from` is not given. */
  lengthMs?: number;
  /** incident reports: which incident. */
  incidentId?: string;
  /** compliance: how old the last backup may be. */
  backupTargetMs?: number;
  /** Queue the email to the kind's recipients (or these). Default: yes. */
  email?: boolean;
  recipients?: string[];
  runId?: string;
  /** Who asked: a job or an incident (kept by reports.maxCount), or by hand (api, cli: reports.maxAdhoc). Default job. */
  origin?: ReportOrigin;
}

export interface ReportDeps {
  /** Where inputs are read and the report is indexed and its mail queued. */
  store: ReportSource & Pick<Store, 'deliveries'>;
  config: OpscronConfig;
  /** What each job type feeds to reports (jobs/index.ts jobFeeds). */
  feeds: Feeds;
  now: () => Date;
  progress?: (fraction: number, note: string) => void;
}

export interface Produced {
  record: ReportRecord;
  report: Report;
  pdf: Buffer;
  /** The delivery queued, if any. */
  delivery: { id: number; recipients: string[]; channel: 'email' | 'outbox' } | null;
  timings: { queryMs: number; modelMs: number; renderMs: number; storeMs: number };
}

export const DEFAULT_LENGTH: Record<ReportKind, number> = {
  health: 86_400_000,
  incident: 86_400_000,
  compliance: 7 * 86_400_000,
  performance: 7 * 86_400_000,
};

export async function buildReport(
  deps: ReportDeps,
  request: ReportRequest,
): Promise<{ report: Report; queryMs: number; modelMs: number }> {
  const { store, config, feeds } = deps;
  const generatedAt = deps.now();
  const period = periodOf({
    from: request.from,
    to: request.to,
    lengthMs: request.lengthMs ?? DEFAULT_LENGTH[request.kind],
    timeZone: config.timezone,
    now: generatedAt,
  });
  const t0 = performance.now();
  let compose: () => Report;
  switch (request.kind) {
    case 'health': {
      const inputs = await loadHealthInputs(store, feeds, period, config, generatedAt);
      compose = () => composeHealthReport(inputs);
      break;
    }
    case 'performance': {
      const inputs = await loadPerformanceInputs(store, feeds, period, config, generatedAt);
      compose = () => composePerformanceReport(inputs);
      break;
    }
    case 'compliance': {
      const inputs = await loadComplianceInputs(
        store,
        feeds,
        period,
        config,
        request.backupTargetMs ?? 26 * 3_600_000,
        generatedAt,
      );
      compose = () => composeComplianceReport(inputs);
      break;
    }
    case 'incident': {
      if (!request.incidentId)
        throw new InvalidRunError('an incident report needs the incident id (params.incident, or --incident)');
      const inputs = await loadIncidentInputs(store, feeds, request.incidentId, config, generatedAt);
      compose = () => composeIncidentReport(inputs);
      break;
    }
    default: {
      const unknown: never = request.kind;
      throw new InvalidRunError(`unknown report kind ${String(unknown)}`);
    }
  }
  const t1 = performance.now();
  const report = compose();
  return { report, queryMs: t1 - t0, modelMs: performance.now() - t1 };
}

export async function produceReport(deps: ReportDeps, request: ReportRequest): Promise<Produced> {
  const progress = deps.progress ?? (() => {});
  progress(0.05, `reading the store for the ${request.kind} report`);
  const { report, queryMs, modelMs } = await buildReport(deps, request);
  progress(0.5, 'rendering the PDF');
  const t2 = performance.now();
  // In a worker thread: pdfkit works synchronously, and the scheduler must not wait for it.
  const pdf = await renderOffThread(report);
  const renderMs = performance.now() - t2;
  progress(0.85, `storing ${pdf.length} bytes`);
  const t3 = performance.now();
  const storage = openStorage(deps.config, 'reports');
  const id = newReportId(request.kind, report.generatedAt);
  const record = await storeReport(deps.store.reports, storage, {
    id,
    kind: request.kind,
    title: report.title,
    period: report.period,
    createdAt: report.generatedAt,
    runId: request.runId,
    origin: request.origin ?? 'job',
    status: report.status,
    summary: summarize(report),
    pdf,
  });
  let delivery: Produced['delivery'] = null;
  const recipients = request.recipients ?? recipientsOf(deps.config, request.kind);
  if (request.email !== false && recipients.length) {
    const channel = channelOf(deps.config);
    delivery = {
      id: await deps.store.deliveries.queueReport(record.id, channel, recipients, deps.now()),
      recipients,
      channel,
    };
  }
  await applyRetention(deps.store.reports, storage, deps.config.reports, deps.now());
  const storeMs = performance.now() - t3;
  progress(1, `stored ${record.storageKey}`);
  return { record, report, pdf, delivery, timings: { queryMs, modelMs, renderMs, storeMs } };
}
