/** opscron restore: a database backup into a database, or a config backup into the cluster — destructive, audited. */
import type { Command } from 'commander';
import { readConfigManifest, restoreConfig } from '../../backup/config-restore.js';
import { encryptionKey } from '../../backup/crypto.js';
import { readManifest, restoreBackup } from '../../backup/restore.js';
import type { OpscronConfig } from '../../config/schema.js';
import { OpscronError } from '../../errors.js';
import { kubeFor } from '../../integrations/kube.js';
import { openStorage } from '../../integrations/storage-open.js';
import { redact } from '../../observability/redact.js';
import { withStoreAlone, type CliContext } from '../context.js';
import { drawProgress } from '../format.js';

/** Why a restore is refused while the opscron running here holds the embedded store (no API restores). */
const NEEDS_STORE = "refused: a restore is written to opscron's audit log, which needs opscron's store to itself";

interface RestoreOptions {
  to?: string;
  clean?: boolean;
  object?: string;
  confirm?: boolean;
  reason?: string;
}

export function restoreCommand(program: Command, cli: CliContext): void {
  program
    .command('restore <backup>')
    .description(
      'restore a backup (its key; or its file path under backups.path, or its s3:// URL): a database dump into --to, or a config backup (config/...) into the cluster — destructive: needs --confirm, and is audited',
    )
    .option(
      '--to <url>',
      'database backups: the target database, postgres://user@host:5432/name (password from the URL or PGPASSWORD)',
    )
    .option(
      '--clean',
      'database backups: drop the objects the backup recreates first (restore over an existing database)',
    )
    .option(
      '--object <kind/name>',
      'config backups: only this one, e.g. configmap/checkout-config or secret/checkout-db',
    )
    .option('--confirm', 'yes, overwrite (without it a config restore shows what would change)')
    .option('--reason <text>', 'why (recorded in the audit log)')
    .action(async (backup: string, opts: RestoreOptions) => {
      const cfg = await cli.config();
      // The key `run` and `history` print, or the file's path as found on disk.
      const key = openStorage(cfg, 'backups').keyOf(backup);
      if (key.startsWith('config/')) return restoreConfigBackup(cfg, cli, key, opts);
      return restoreDatabaseBackup(cfg, cli, key, opts);
    });
}

async function restoreConfigBackup(
  cfg: OpscronConfig,
  cli: CliContext,
  key: string,
  opts: RestoreOptions,
): Promise<void> {
  const storage = openStorage(cfg, 'backups');
  const manifest = await readConfigManifest(storage, key);
  const restore = async () =>
    restoreConfig({
      storage,
      manifest,
      kube: await kubeFor(cfg),
      passphrase: encryptionKey(),
      object: opts.object,
      apply: opts.confirm === true,
    });
  // A dry run changes nothing and records nothing. Applied, it is audited: the store is
  // opened first, so one this command cannot write to stops it before anything is applied.
  const result = !opts.confirm
    ? await restore()
    : await withStoreAlone(cfg, NEEDS_STORE, async (store) => {
        const done = await restore();
        await store.audit.write({
          actor: cli.actor(),
          source: 'cli',
          action: 'restore',
          jobId: null,
          params: {
            backup: manifest.prefix,
            namespace: manifest.namespace,
            object: opts.object ?? 'all',
            applied: done.applied,
          },
          reason: opts.reason,
        });
        return done;
      });
  for (const line of result.changes) console.log(line);
  if (!result.changes.length) console.log(`nothing to change: the cluster matches ${manifest.prefix}`);
  else if (opts.confirm)
    console.log(
      `restored ${result.applied.length} object${result.applied.length === 1 ? '' : 's'} into namespace ${manifest.namespace}: ${result.applied.join(', ')}`,
    );
  else console.log('dry run: add --confirm to apply these changes');
}

async function restoreDatabaseBackup(
  cfg: OpscronConfig,
  cli: CliContext,
  key: string,
  opts: RestoreOptions,
): Promise<void> {
  if (!opts.to || !/^postgres(ql)?:\/\/\S+$/.test(opts.to))
    throw new OpscronError(
      'OPSCRON_BAD_ARGUMENT',
      `--to "${redact(opts.to ?? '')}" — a database backup needs --to with a postgres:// URL`,
    );
  const storage = openStorage(cfg, 'backups');
  const manifest = await readManifest(storage, key.replace(/\.json$/, ''));
  const target = new URL(opts.to);
  if (!opts.confirm)
    throw new OpscronError(
      'OPSCRON_CONFIRM',
      `restore is destructive: it writes ${manifest.database} of ${manifest.createdAt} into ${target.host}${target.pathname}${opts.clean ? ', dropping what it recreates' : ''}. Add --confirm to do it.`,
    );
  // On the record before a byte is restored.
  await withStoreAlone(cfg, NEEDS_STORE, (store) =>
    store.audit.write({
      actor: cli.actor(),
      source: 'cli',
      action: 'restore',
      jobId: null,
      params: { backup: manifest.key, to: redact(opts.to!), clean: Boolean(opts.clean) },
      reason: opts.reason,
    }),
  );
  await restoreBackup({
    storage,
    manifest,
    passphrase: encryptionKey(),
    url: opts.to,
    clean: Boolean(opts.clean),
    progress: drawProgress,
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  console.log(
    `restored ${manifest.key} (${manifest.tables.length} tables, ${manifest.tables.reduce((n, t) => n + t.rows, 0)} rows at backup time) into ${target.host}${target.pathname}`,
  );
}
