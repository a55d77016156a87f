/**
 * opscron backups [database]: what backups.path holds — database and config backups, newest
 * first — with age, size, encryption and the last verification in the run history (asked of
 * the running opscron while it holds the embedded store). Each path printed is what
 * `opscron restore` takes.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openStorage } from '../../integrations/storage-open.js';
import { BACKUP_SOURCE, BACKUP_SOURCE_RULE } from '../../backup/catalogue.js';
import { backupCatalogue, type BackupListing } from '../../backups.js';
import type { OpscronConfig } from '../../config/schema.js';
import { OpscronError } from '../../errors.js';
import { jobFeeds } from '../../jobs/index.js';
import { withStoreOrApi, type CliContext } from '../context.js';
import { backupsThroughApi } from '../remote-records.js';
import { backupsView } from '../views.js';

export function backupsCommand(program: Command, cli: CliContext): void {
  program
    .command('backups [database]')
    .description(
      'backups in backups.path, newest first (only those of a database, or of config), with age, size, encryption and last verification',
    )
    .option('--json', 'print as JSON')
    .action(async (database: string | undefined, opts: { json?: boolean }) => {
      if (database !== undefined && !BACKUP_SOURCE.test(database))
        throw new OpscronError('OPSCRON_BAD_ARGUMENT', `database "${database}" — must be ${BACKUP_SOURCE_RULE}`);
      const cfg = await cli.config();
      const backups = await withStoreOrApi(
        cfg,
        'reading backup verifications',
        (store) => backupCatalogue({ config: cfg, store, feeds: jobFeeds }, database),
        (server) => backupsThroughApi(server, database),
      );
      console.log(describe(cfg, backups, database, opts.json === true));
    });
}

/** The listing; or, when there is none, why — an unknown database is an error that names it. */
function describe(cfg: OpscronConfig, backups: BackupListing[], database: string | undefined, json: boolean): string {
  const root = cfg.storage.kind === 's3' ? openStorage(cfg, 'backups').location : resolve(cfg.backups.path);
  if (backups.length || json) return backupsView(backups, root, json, Date.now());
  const known = cfg.databases.map((d) => d.name);
  if (database !== undefined && !database.startsWith('config') && !known.includes(database))
    throw new OpscronError(
      'OPSCRON_BAD_ARGUMENT',
      `database "${database}" — no backups of it in ${root}, and it is not in config.databases (configured: ${known.join(', ') || 'none'})`,
    );
  return `no backups${database ? ` of ${database}` : ''} in ${root} yet`;
}
