/**
 * The compliance report: the audit controls of the latest audit-review run (each finding
 * is a control: severity info = passed), compared with the previous compliance report;
 * backup freshness against its target; destructive actions from opscron's audit log.
 */
import type { Finding } from '../../model.js';
import type { BackupFreshness, ComplianceReport, Control, Health, JobRunSummary, Period } from '../types.js';
import { jobsHealth, worst } from './common.js';

/** What the store recorded for the period, as the compliance report reads it. */
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

/** The compliance report for a period: controls compared with the previous report, backups, destructive actions, jobs. */
export function composeComplianceReport(input: ComplianceInputs): ComplianceReport {
  const controls = controlsOf(input.audit?.findings ?? [], input.previous?.summary.controls ?? {});
  const backups = backupFreshness(input);
  return {
    kind: 'compliance',
    title: 'Compliance report',
    period: input.period,
    generatedAt: input.generatedAt,
    status: worst([
      controlsHealth(controls),
      backups.some((b) => !b.fresh) ? 'critical' : 'ok',
      jobsHealth(input.jobs),
    ]),
    controls: controls.length ? { data: controls } : { empty: noControls(input.sources.controls) },
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

/** Each finding of the audit run is a control, passed when its severity is info; `before` is the previous report's results. */
function controlsOf(findings: Finding[], before: Record<string, boolean>): Control[] {
  return findings.map((f) => {
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
}

/** A failing critical control makes the report critical; any other failing control, a warning. */
function controlsHealth(controls: Control[]): Exclude<Health, 'nodata'> {
  if (controls.some((c) => !c.passed && c.severity === 'critical')) return 'critical';
  return controls.some((c) => !c.passed) ? 'warning' : 'ok';
}

/** Every configured backup job and every job that backed up, by name; fresh when its last success is within the target. */
function backupFreshness(input: ComplianceInputs): BackupFreshness[] {
  const last = new Map(input.backupSuccess.map((b) => [b.job, b.at]));
  return [...new Set([...input.backupJobs, ...last.keys()])].sort().map((job) => {
    const at = last.get(job) ?? null;
    // Age at the end of the period, not now: a report of a past period judges it as it stood then.
    const ageMs = at ? input.period.to.getTime() - at.getTime() : null;
    return {
      job,
      lastSuccessAt: at,
      ageMs,
      targetMs: input.backupTargetMs,
      fresh: ageMs !== null && ageMs <= input.backupTargetMs,
    };
  });
}

/** Why there are no controls, naming the job types that would have evaluated them. */
function noControls(sources: string[]): string {
  return `No ${sources.join(' or ') || 'audit'} run ended in this period, so no control was evaluated. Schedule ${sources.length ? `the ${sources.join(' or ')} job` : 'an audit job'}.`;
}
