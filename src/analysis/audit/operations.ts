/**
 * Operations: what opscron itself recorded over the period — backups, failing jobs,
 * destructive actions, error-log volume. The last two are for the reviewer to read, not
 * pass or fail: they are always info.
 */
import type { Finding } from '../../model.js';
import { control } from './control.js';

export interface OperationsInput {
  backups: Array<{ job: string; lastSuccess: Date | null; targetMs: number }>;
  failingJobs: Array<{ job: string; failed: number; missed: number }>;
  destructive: Array<{ at: Date; actor: string; action: string; job: string | null }>;
  errorLogs: Array<{ service: string; errors: number }>;
  now: Date;
}

const backupFreshness = ({ backups, now }: OperationsInput): Finding =>
  control(
    {
      id: 'ops-backup-freshness',
      title: 'last successful backup within its target age',
      severity: 'critical',
      remedy: 'Run the backup now and find out why the schedule did not (opscron history <job>).',
    },
    backups
      .filter((b) => !b.lastSuccess || now.getTime() - b.lastSuccess.getTime() > b.targetMs)
      .map((b) => ({
        resource: `job/${b.job}`,
        detail: b.lastSuccess ? `last success ${b.lastSuccess.toISOString()}` : 'never succeeded',
      })),
    'opscron',
  );

const failingJobs = ({ failingJobs }: OperationsInput): Finding =>
  control(
    {
      id: 'ops-failing-jobs',
      title: 'no job failing or missing its schedule',
      severity: 'warning',
      remedy: 'opscron history <job> shows the errors; missed runs mean opscron was down or the queue was unreachable.',
    },
    failingJobs
      .filter((j) => j.failed + j.missed > 0)
      .map((j) => ({ resource: `job/${j.job}`, detail: `${j.failed} failed, ${j.missed} missed` })),
    'opscron',
  );

const destructiveActions = ({ destructive }: OperationsInput): Finding => ({
  severity: 'info',
  check: 'ops-destructive-actions',
  resource: 'opscron/audit-log',
  message: destructive.length
    ? `destructive actions reviewed: ${destructive.length} (${[...new Set(destructive.map((d) => d.actor))].join(', ')})`
    : 'destructive actions reviewed: none in the period',
  evidence: destructive,
});

const errorLogVolume = ({ errorLogs }: OperationsInput): Finding => ({
  severity: 'info',
  check: 'ops-error-log-volume',
  resource: 'logs',
  message: errorLogs.length
    ? `error-log volume: ${errorLogs.map((e) => `${e.service} ${e.errors}`).join(', ')}`
    : 'error-log volume: no log-analysis run recorded in the period',
  evidence: errorLogs,
});

/** Backups within their target age, no failing or missed jobs; destructive actions and error logs for review. */
export function operationsControls(input: OperationsInput): Finding[] {
  return [backupFreshness(input), failingJobs(input), destructiveActions(input), errorLogVolume(input)];
}
