/**
 * backup-verify: the runbook's verification steps, proven — restore the latest backup (or
 * the one named) into a scratch database, compare each table's row count and sample
 * checksum with what the manifest recorded at backup time, drop the scratch database.
 */
import { z } from 'zod';
import { duration } from '../config/schema.js';
import { listBackups, type Manifest, type TableSnapshot } from '../backup/backup.js';
import { tablesAt, withScratchDatabase } from '../backup/scratch.js';
import { encryptionKey } from '../backup/crypto.js';
import { BackupCheckError, checkBackup, readManifest, restoreBackup } from '../backup/restore.js';
import { openStorage } from '../integrations/storage-open.js';
import type { Storage } from '../integrations/storage.js';
import { OpscronError } from '../errors.js';
import { databaseOf } from './db-backup.js';
import { defineJob, statusOf, type Finding, type JobContext, type JobOutcome } from './types.js';

/** Which database's backup to verify, where to restore it, and how old it may be. */
export const backupVerifyParams = z.strictObject({
  database: z.string(),
  /** A backup's storage key; default the newest. */
  backup: z.string().optional(),
  /** A server to restore on (a postgres:// URL, any database: a scratch one is created beside it); default the database's own server. */
  scratchUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, { error: 'must be a postgres:// URL' })
    .optional(),
  /** A backup older than this is a warning. */
  maxAge: duration.optional(),
});

/** Proves the latest (or a named) backup of a database restores to what its manifest recorded. */
export const backupVerify = defineJob({
  type: 'backup-verify',
  summary: 'Restore the latest backup into a scratch database and prove its row counts and sample checksums',
  params: backupVerifyParams,
  feeds: { backupVerification: true },
  overridable: ['maxAge'],
  async run(ctx, params) {
    const database = databaseOf(ctx, params.database);
    const resource = `db/${database.name}`;
    const storage = openStorage(ctx.config, 'backups');
    const manifest = params.backup
      ? await readManifest(storage, params.backup)
      : (await listBackups(storage, database.name))[0];
    if (!manifest) return missingOutcome(database.name, storage.location, resource);
    try {
      await checkBackup(storage, manifest, encryptionKey(), (note) => ctx.progress(0.05, note));
    } catch (error) {
      if (!(error instanceof OpscronError)) throw error;
      return unusableOutcome(manifest.key, error, resource);
    }
    return restoreAndCompare(ctx, params, database, storage, manifest);
  },
});

type BackupVerifyParams = z.output<typeof backupVerifyParams>;

function missingOutcome(database: string, root: string, resource: string): JobOutcome {
  return {
    status: 'critical',
    summary: `no backup of ${database} in ${root} to verify`,
    findings: [
      {
        severity: 'critical',
        check: 'backup.missing',
        resource,
        message: `no backup of ${database} found`,
        remedy: `Run db-backup for ${database} (and schedule it).`,
      },
    ],
  };
}

/** The stored file fails its checksum, or cannot be decrypted: no point restoring it. */
function unusableOutcome(key: string, error: OpscronError, resource: string): JobOutcome {
  return {
    status: 'critical',
    summary: `${key} cannot be restored: ${error.message}`,
    findings: [
      {
        severity: 'critical',
        check: error instanceof BackupCheckError ? 'backup.checksum' : 'backup.decrypt',
        resource,
        message: error.message,
        evidence: { key },
        remedy:
          'This backup is not usable: take a new one now (db-backup) and find out what changed the stored file or the key.',
      },
    ],
  };
}

/** Restores into a scratch database beside the target (or on scratchUrl), compares, and always drops it. */
async function restoreAndCompare(
  ctx: JobContext,
  params: BackupVerifyParams,
  database: { name: string; url: string },
  storage: Storage,
  manifest: Manifest,
): Promise<JobOutcome> {
  const started = performance.now();
  const tables = await withScratchDatabase(params.scratchUrl ?? database.url, async (url) => {
    await restoreBackup({
      storage,
      manifest,
      passphrase: encryptionKey(),
      url,
      clean: false,
      signal: ctx.signal,
      progress: (f, note) => ctx.progress(0.1 + f * 0.8, note),
    });
    ctx.progress(0.92, 'comparing row counts and samples');
    return tablesAt(url);
  });
  const restoreMs = Math.round(performance.now() - started);
  const resource = `db/${database.name}`;
  const findings = tableFindings(manifest.tables, tables, resource);
  const ageHours = (ctx.now().getTime() - Date.parse(manifest.createdAt)) / 3_600_000;
  if (params.maxAge && ageHours * 3_600_000 > params.maxAge)
    findings.push({
      severity: 'warning',
      check: 'backup.age',
      resource,
      message: `the newest backup is ${ageHours.toFixed(1)} hours old`,
      remedy: `Check that db-backup for ${database.name} runs on schedule.`,
    });
  return verifiedOutcome(manifest, findings, resource, restoreMs, ageHours);
}

/** Each table the manifest recorded, against the restored one: missing, a different row count, different first rows. */
function tableFindings(
  recorded: readonly TableSnapshot[],
  restored: readonly TableSnapshot[],
  resource: string,
): Finding[] {
  const got = new Map(restored.map((t) => [t.table, t]));
  const findings: Finding[] = [];
  for (const want of recorded) {
    const have = got.get(want.table);
    if (!have)
      findings.push({
        severity: 'critical',
        check: 'backup.table-missing',
        resource,
        message: `table ${want.table} is not in the restored database`,
        remedy: 'The dump is incomplete: check pg_dump permissions on that table and take a new backup.',
      });
    else if (have.rows !== want.rows)
      findings.push({
        severity: 'critical',
        check: 'backup.row-count',
        resource,
        message: `${want.table}: ${have.rows} rows restored, ${want.rows} at backup time`,
        evidence: { table: want.table, restored: have.rows, recorded: want.rows },
        remedy: 'The backup does not hold what was recorded: take a new one and keep this one for investigation.',
      });
    else if (have.sample !== want.sample)
      findings.push({
        severity: 'critical',
        check: 'backup.sample',
        resource,
        message: `${want.table}: the first rows differ from the ones recorded at backup time`,
        remedy: 'The backup does not hold what was recorded: take a new one and keep this one for investigation.',
      });
  }
  return findings;
}

/** The verdict, led by an info finding that says what was compared. */
function verifiedOutcome(
  manifest: Manifest,
  findings: Finding[],
  resource: string,
  restoreMs: number,
  ageHours: number,
): JobOutcome {
  const rows = manifest.tables.reduce((n, t) => n + t.rows, 0);
  findings.unshift({
    severity: 'info',
    check: 'backup.verified',
    resource,
    message: `${manifest.key} restored into a scratch database: ${manifest.tables.length} tables, ${rows} rows compared`,
    evidence: { key: manifest.key, tables: manifest.tables.length, rows },
  });
  const status = statusOf(findings);
  return {
    status,
    summary:
      status === 'ok'
        ? `${manifest.key} restores: ${manifest.tables.length} tables and ${rows} rows as recorded (restore ${(restoreMs / 1000).toFixed(1)} s)`
        : `${manifest.key}: ${findings
            .filter((f) => f.severity !== 'info')
            .map((f) => f.message)
            .slice(0, 3)
            .join('; ')}`,
    findings,
    metrics: {
      tables: manifest.tables.length,
      rows,
      restoreMs,
      ageHours: Math.round(ageHours * 10) / 10,
    },
  };
}
