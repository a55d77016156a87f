/**
 * health-report, performance-report, compliance-report and incident-report: build the
 * report for the period that ends now, store it as a PDF and queue its email. The job's
 * own status says whether the report was produced; what the report found is in the PDF,
 * so a red report never makes the reporting job look broken.
 */
import { z } from 'zod';
import { duration, emailAddress, type ReportKind } from '../config/schema.js';
import { MAX_REPORT_PERIOD_MS } from '../limits.js';
import { defineJob, type JobDefinition } from './types.js';

const base = {
  /** How far back the report looks from now (at most 366 days). */
  period: duration
    .refine((ms) => ms > 0 && ms <= MAX_REPORT_PERIOD_MS, { error: 'must be more than 0 and at most 366d' })
    .optional(),
  /** Email it to the kind's recipients (reports.recipients) or these. */
  email: z.boolean().default(true),
  recipients: z.array(emailAddress).optional(),
};

/** A trigger may choose the period and whether to mail it, never where the mail goes. */
function reportJob<S extends z.ZodRawShape>(
  kind: ReportKind,
  summary: string,
  extra: S,
  tunable: readonly (keyof S & string)[] = [],
): JobDefinition<z.output<z.ZodObject<typeof base & S>>> {
  const params = z.strictObject({ ...base, ...extra }) as unknown as z.ZodType<z.output<z.ZodObject<typeof base & S>>>;
  return defineJob({
    type: `${kind}-report`,
    summary,
    params,
    overridable: ['period', 'email', ...tunable] as never,
    async run(ctx, p) {
      const q = p as {
        period?: number;
        email: boolean;
        recipients?: string[];
        backupTarget?: number;
        incident?: string;
      };
      const produced = await ctx.reports.produce({
        kind,
        lengthMs: q.period,
        email: q.email,
        recipients: q.recipients,
        backupTargetMs: q.backupTarget,
        incidentId: q.incident,
      });
      const { record, delivery, timings } = produced;
      const mailed = delivery
        ? `; queued for ${delivery.recipients.length} recipient${delivery.recipients.length === 1 ? '' : 's'} (${delivery.channel})`
        : '; not emailed (no recipients)';
      return {
        status: 'ok',
        summary: `${record.title} ${record.id} (${record.status}) stored as ${record.storageKey}, ${record.bytes} bytes${mailed}`,
        findings: [
          {
            severity: 'info',
            check: 'report.stored',
            resource: `report/${record.id}`,
            message: record.summary.headline,
            evidence: { status: record.status, figures: Object.fromEntries(record.summary.figures) },
          },
        ],
        metrics: {
          bytes: record.bytes,
          queryMs: Math.round(timings.queryMs),
          modelMs: Math.round(timings.modelMs),
          renderMs: Math.round(timings.renderMs),
        },
        artifacts: [{ kind: 'report', key: record.storageKey, bytes: record.bytes, sha256: record.sha256 }],
      };
    },
  });
}

export const healthReport = reportJob(
  'health',
  'Service health report PDF: availability, latency, error rate, incidents, job runs',
  {},
);
export const performanceReport = reportJob(
  'performance',
  'Performance report PDF: latency and error-rate trends, resources, slow queries, cache',
  {},
);
export const complianceReport = reportJob(
  'compliance',
  'Compliance report PDF: audit controls, backup freshness, destructive actions',
  {
    /** A backup older than this fails its freshness control. */
    backupTarget: duration.default(26 * 3_600_000),
  },
  ['backupTarget'],
);
export const incidentReport = reportJob(
  'incident',
  'Incident report PDF: timeline, actions, time to detect and recover (runs when an incident resolves)',
  {
    incident: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/, { error: 'must be an incident id' }),
  },
  ['incident'],
);
