/**
 * The backups an operator can restore, each with the last verification the run history
 * holds of it: the same for `opscron backups` and GET /api/backups.
 */
import { storedBackups, type StoredBackup } from './backup/catalogue.js';
import type { OpscronConfig } from './config/schema.js';
import type { Feeds } from './feeds.js';
import { openStorage } from './integrations/storage-open.js';
import type { RunRow, RunStatus } from './model.js';
import type { Store } from './store/index.js';

/** A run that verified a backup: how it ended, and when. */
export interface Verification {
  runId: string;
  jobId: string;
  status: RunStatus;
  at: Date;
  summary: string | null;
}

export interface BackupListing extends StoredBackup {
  /** The newest verification of this backup in the run history; null if none (config backups are not verified). */
  verification: Verification | null;
}

export interface CatalogueDeps {
  config: OpscronConfig;
  store: Pick<Store, 'runs'>;
  feeds: Feeds;
}

/** How far back each verifying job's runs are read: a verify a day reaches back well over a year. */
const RUNS_READ = 500;

/** Which backup a verifying run verified: the key its `backup.*` finding names (model.ts JobFeeds). */
function verifiedKey(run: RunRow): string | null {
  for (const f of run.findings) {
    const key = (f.evidence as { key?: unknown } | null | undefined)?.key;
    if (f.check.startsWith('backup.') && typeof key === 'string') return key;
  }
  return null;
}

/** The newest finished verification of each backup key, from the runs of the configured verifying jobs. */
async function lastVerifications({ config, store, feeds }: CatalogueDeps): Promise<Map<string, Verification>> {
  const types = new Set(feeds.typesWith('backupVerification'));
  const latest = new Map<string, Verification>();
  for (const job of config.jobs.filter((j) => types.has(j.type))) {
    for (const run of await store.runs.list({ job: job.id, limit: RUNS_READ })) {
      const key = run.status === 'running' ? null : verifiedKey(run);
      if (!key) continue;
      const at = run.finishedAt ?? run.createdAt;
      const seen = latest.get(key);
      if (!seen || seen.at < at)
        latest.set(key, { runId: run.id, jobId: run.jobId, status: run.status, at, summary: run.summary });
    }
  }
  return latest;
}

/** Every backup in the backups' storage (or `source`'s only), newest first, with its last verification. */
export async function backupCatalogue(deps: CatalogueDeps, source?: string): Promise<BackupListing[]> {
  const backups = await storedBackups(openStorage(deps.config, 'backups'), source);
  const verified = backups.some((b) => b.kind === 'database')
    ? await lastVerifications(deps)
    : new Map<string, Verification>();
  return backups.map((b) => ({ ...b, verification: verified.get(b.key) ?? null }));
}
