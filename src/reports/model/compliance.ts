/**
 * The compliance report: the audit controls of the latest audit-review run (each finding
 * is a control: severity info = passed), compared with the previous compliance report;
 * backup freshness against its target; destructive actions from opscron's audit log.
 */
import type { Finding } from '../../model.js';
import type { BackupFreshness, ComplianceReport, Control, JobRunSummary, Period } from '../types.js';
import { jobsHealth, worst } from './common.js';

export interface ComplianceInputs {
  period: Period;
  generatedAt: Date;
  audit: { id: string; createdAt: Date; findings: Finding[] } | null;
  previous: { id: string; createdAt: Date; summary: { controls?: Record<string, boolean> } } | null;
  /** Configured backup jobs and their last success. */
  backupJobs: string[];
  backupSuccess: Array<{ job: string; at: Date }>;
  backupTargetMs: number;
  destructive: ComplianceReport['destructiveActions'] extends { data?: infer D } ? NonNullable<D> : never;
  jobs: JobRunSummary[];
  /** The job types the controls and backups are read from (their feeds), named when a section is empty. */
  sources: { controls: string[]; backups: string[] };
}

export function composeComplianceReport(input: ComplianceInputs): ComplianceReport {
  const before = input.previous?.summary.controls ?? {};
  const controls: Control[] = (input.audit?.findings ?? []).map((f) => {
    const passed = f.severity === 'info';
    const was = before[f.check];
    return {
      id: f.check,
      title: f.message,
      passed,
      severity: f.severity,
      resource: f.resource,
      evidence:
        typeof f.evidence === 'string' ? f.evidence : f.evidence === undefined ? '' : JSON.stringify(f.evidence),
      remedy: f.remedy,
      change: was === undefined ? 'new' : was === passed ? 'unchanged' : passed ? 'fixed' : 'regressed',
    };
  });
  const last = new Map(input.backupSuccess.map((b) => [b.job, b.at]));
  const backups: BackupFreshness[] = [...new Set([...input.backupJobs, ...last.keys()])].sort().map((job) => {
    const at = last.get(job) ?? null;
    const ageMs = at ? input.period.to.getTime() - at.getTime() : null;
    return {
      job,
      lastSuccessAt: at,
      ageMs,
      targetMs: input.backupTargetMs,
      fresh: ageMs !== null && ageMs <= input.backupTargetMs,
    };
  });
  const status = worst([
    controls.some((c) => !c.passed && c.severity === 'critical')
      ? 'critical'
      : controls.some((c) => !c.passed)
        ? 'warning'
        : 'ok',
    backups.some((b) => !b.fresh) ? 'critical' : 'ok',
    jobsHealth(input.jobs),
  ]);
  return {
    kind: 'compliance',
    title: 'Compliance report',
    period: input.period,
    generatedAt: input.generatedAt,
    status,
    controls: controls.length
      ? { data: controls }
      : {
          empty: `No ${input.sources.controls.join(' or ') || 'audit'} run ended in this period, so no control was evaluated. Schedule ${input.sources.controls.length ? `the ${input.sources.controls.join(' or ')} job` : 'an audit job'}.`,
        },
    previousReport: input.previous ? { id: input.previous.id, createdAt: input.previous.createdAt } : null,
    backups: backups.length
      ? { data: backups }
      : {
          empty: `No backup job (${input.sources.backups.join(', ') || 'none known'}) is configured or has run: there is no backup to be fresh.`,
        },
    destructiveActions: input.destructive.length
      ? { data: input.destructive }
      : { empty: 'Nobody ran a destructive action, paused or resumed a job in this period.' },
    jobs: input.jobs.length ? { data: input.jobs } : { empty: 'No job ran in this period.' },
  };
}
