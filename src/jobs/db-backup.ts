/**
 * db-backup: the runbook's "backup database", streamed, checksummed and — with
 * OPSCRON_ENCRYPTION_KEY — encrypted, with a manifest beside each dump and
 * grandfather-father-son retention (backups.keep). Progress while it runs.
 */
import { z } from 'zod';
import { retain } from '../analysis/retention.js';
import { backupDatabase, listBackups } from '../backup/backup.js';
import { encryptionKey } from '../backup/crypto.js';
import { InvalidRunError } from '../errors.js';
import { openStorage } from '../integrations/storage-open.js';
import { defineJob, type Finding, type JobContext } from './types.js';

export function databaseOf(ctx: JobContext, name: string): { name: string; url: string } {
  const db = ctx.config.databases.find((d) => d.name === name);
  if (!db)
    throw new InvalidRunError(
      `database "${name}" is not in config.databases (have: ${ctx.config.databases.map((d) => d.name).join(', ') || 'none'})`,
    );
  return db;
}

export const dbBackupParams = z.strictObject({
  database: z.string(),
  /** gzip level: 1 is fastest, 9 smallest. */
  compressionLevel: z.number().int().min(1).max(9).default(3),
});

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

export const dbBackup = defineJob({
  type: 'db-backup',
  summary: 'pg_dump streamed through gzip, SHA-256 and AES-256-GCM to storage, with a manifest and retention',
  params: dbBackupParams,
  feeds: { backup: 'database' },
  overridable: ['compressionLevel'],
  async run(ctx, params) {
    const database = databaseOf(ctx, params.database);
    const storage = openStorage(ctx.config, 'backups');
    const passphrase = encryptionKey();
    const manifest = await backupDatabase({
      database,
      storage,
      passphrase,
      compressionLevel: params.compressionLevel,
      signal: ctx.signal,
      progress: (f, note) => ctx.progress(f, note),
      now: () => ctx.now(),
    });
    const findings: Finding[] = [
      {
        severity: 'info',
        check: 'backup.created',
        resource: `db/${database.name}`,
        message: `${manifest.key}: ${manifest.tables.length} tables, ${manifest.tables.reduce((n, t) => n + t.rows, 0)} rows, ${mib(manifest.dumpBytes)} dumped to ${mib(manifest.bytes)}`,
        evidence: { key: manifest.key, sha256: manifest.sha256, bytes: manifest.bytes },
      },
    ];
    if (!manifest.encrypted)
      findings.push({
        severity: 'info',
        check: 'backup.unencrypted',
        resource: `db/${database.name}`,
        message: 'stored without encryption',
        remedy: 'Set OPSCRON_ENCRYPTION_KEY (kept apart from the backups) to encrypt them with AES-256-GCM.',
      });

    const { remove } = retain(
      (await listBackups(storage, database.name)).map((m) => ({ key: m.key, at: new Date(m.createdAt) })),
      ctx.config.backups.keep,
    );
    for (const old of remove) {
      await storage.remove(old.key);
      await storage.remove(`${old.key}.json`);
    }
    return {
      status: 'ok',
      summary: `${database.name} backed up in ${(manifest.durationMs / 1000).toFixed(1)} s: ${mib(manifest.dumpBytes)} → ${mib(manifest.bytes)}${manifest.encrypted ? ', encrypted' : ''}; ${remove.length} old backup${remove.length === 1 ? '' : 's'} removed`,
      findings,
      metrics: {
        bytes: manifest.bytes,
        dumpBytes: manifest.dumpBytes,
        durationMs: manifest.durationMs,
        tables: manifest.tables.length,
        removed: remove.length,
      },
      artifacts: [{ kind: 'backup', key: manifest.key, bytes: manifest.bytes, sha256: manifest.sha256 }],
    };
  },
});
