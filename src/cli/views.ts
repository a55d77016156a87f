/**
 * What list, history, audit and backups print, from plain rows: the same whether the rows
 * came from the store or from a running opscron's API.
 */
import { relative, resolve, sep } from 'node:path';
import type { BackupListing } from '../backups.js';
import type { RunRow, RunStatus } from '../model.js';
import type { AuditRow } from '../store/audit.js';
import { duration, table, time } from './format.js';

/** A configured job as `opscron list` shows it (from jobsOverview, or GET /api/jobs). */
export interface JobLine {
  id: string;
  type: string;
  schedule: string | null;
  timezone: string;
  enabled: boolean;
  paused: boolean;
  nextRun: Date | null;
  lastRun: { status: RunStatus; at: Date } | null;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

export function jobsView(jobs: readonly JobLine[]): string {
  const rows = jobs.map((j) => [
    j.id,
    j.type,
    j.schedule ?? '(manual)',
    j.timezone,
    time(j.nextRun),
    j.lastRun ? `${j.lastRun.status} ${time(j.lastRun.at)}` : '-',
    !j.enabled ? 'disabled' : j.paused ? 'paused' : '',
  ]);
  return table(rows, ['JOB', 'TYPE', 'SCHEDULE', 'TIMEZONE', 'NEXT RUN', 'LAST RUN', '']);
}

export function historyView(runs: readonly RunRow[], asJson: boolean): string {
  if (asJson) return json(runs);
  return table(
    runs.map((r) => [
      time(r.createdAt),
      r.jobId,
      r.trigger,
      String(r.attempt),
      r.status,
      duration(r),
      (r.summary ?? '').slice(0, 100),
    ]),
    ['WHEN', 'JOB', 'TRIGGER', 'TRY', 'STATUS', 'TOOK', 'SUMMARY'],
  );
}

export function auditView(entries: readonly AuditRow[], asJson: boolean): string {
  if (asJson) return json(entries);
  return table(
    entries.map((e) => [
      time(e.at),
      e.actor,
      e.source,
      e.action,
      e.jobId ?? '-',
      e.reason ?? '',
      e.params ? JSON.stringify(e.params).slice(0, 60) : '',
    ]),
    ['WHEN', 'WHO', 'FROM', 'ACTION', 'JOB', 'REASON', 'PARAMS'],
  );
}

/** 512 B, 1.5 KiB, 12.0 MiB, 3.2 GiB. */
export function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** How long ago, in the largest whole unit: 40s, 12m, 5h, 3d. */
export function ageText(at: Date, now: number): string {
  const s = Math.max(0, Math.floor((now - at.getTime()) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** The file (or, for a config backup, the directory) as `opscron restore` takes it: relative to here when under it. */
function pathText(root: string, key: string): string {
  if (root.startsWith('s3://')) return `${root}${key}`;
  const path = resolve(root, ...key.split('/'));
  const here = relative(process.cwd(), path);
  return here && !here.startsWith(`..${sep}`) && here !== '..' ? here : path;
}

const ENCRYPTION = { all: 'yes', none: 'no', secrets: 'secrets' } as const;

/** `opscron backups`: newest first, each with its last verification. `root` is backups.path, or the bucket's s3:// URL. */
export function backupsView(backups: readonly BackupListing[], root: string, asJson: boolean, now: number): string {
  if (asJson) return json(backups.map((b) => ({ ...b, path: pathText(root, b.key) })));
  return table(
    backups.map((b) => [
      time(b.createdAt),
      ageText(b.createdAt, now),
      b.source,
      bytesText(b.bytes),
      ENCRYPTION[b.encryption],
      b.kind === 'config' ? '-' : b.verification ? `${b.verification.status} ${time(b.verification.at)}` : 'never',
      pathText(root, b.key),
    ]),
    ['CREATED', 'AGE', 'OF', 'SIZE', 'ENCRYPTED', 'VERIFIED', 'PATH'],
  );
}
