/**
 * What backups.path holds, read from the manifests written beside every backup: database
 * dumps (`<db>/<yyyy>/<mm>/<dd>/<db>-<time>.dump.gz[.enc]` and its `.json`) and config
 * backups (`config/<ns>/<yyyy>/<mm>/<dd>/<time>/manifest.json`). A file without a readable
 * manifest is not a backup opscron can restore, so it is not listed.
 */
import { OpscronError } from '../errors.js';
import type { Storage } from '../integrations/storage.js';
import type { Manifest } from './backup.js';
import type { ConfigManifest } from './config-backup.js';

export interface StoredBackup {
  /** What `opscron restore` takes: the dump's key, or the config backup's directory. */
  key: string;
  kind: 'database' | 'config';
  /** The database it is of, or `config/<namespace>`. */
  source: string;
  createdAt: Date;
  /** Bytes in storage (all the files of a config backup). */
  bytes: number;
  /** Which files are encrypted: all, none, or (config backups) the Secrets only — ConfigMaps are kept as they are. */
  encryption: 'all' | 'none' | 'secrets';
}

/** A database name, `config`, or `config/<namespace>`: what a listing may be narrowed to. */
export const BACKUP_SOURCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\/[A-Za-z0-9][A-Za-z0-9._-]{0,252})?$/;
export const BACKUP_SOURCE_RULE = 'a database name, config, or config/<namespace>';

const DUMP_MANIFEST = /\.dump\.gz(\.enc)?\.json$/;
const CONFIG_MANIFEST = /^config\/.+\/manifest\.json$/;

function fromDump(m: Manifest | null): StoredBackup | null {
  if (!m || typeof m.key !== 'string' || typeof m.database !== 'string' || typeof m.createdAt !== 'string') return null;
  return {
    key: m.key,
    kind: 'database',
    source: m.database,
    createdAt: new Date(m.createdAt),
    bytes: Number(m.bytes) || 0,
    encryption: m.encrypted ? 'all' : 'none',
  };
}

function fromConfig(m: ConfigManifest | null): StoredBackup | null {
  if (!m || typeof m.prefix !== 'string' || typeof m.createdAt !== 'string' || !Array.isArray(m.files)) return null;
  const encrypted = m.files.filter((f) => f.encrypted).length;
  return {
    key: m.prefix,
    kind: 'config',
    source: `config/${m.namespace}`,
    createdAt: new Date(m.createdAt),
    bytes: m.files.reduce((n, f) => n + (Number(f.bytes) || 0), 0),
    encryption: encrypted === 0 ? 'none' : encrypted === m.files.length ? 'all' : 'secrets',
  };
}

/** Every backup in storage, newest first; with `source`, only that database's (or the config backups'). */
export async function storedBackups(storage: Storage, source?: string): Promise<StoredBackup[]> {
  if (source !== undefined && !BACKUP_SOURCE.test(source))
    throw new OpscronError('OPSCRON_BAD_ARGUMENT', `database "${source}" — must be ${BACKUP_SOURCE_RULE}`);
  const keys = await storage.list(source ?? '');
  const found = await Promise.all(
    keys.map(async (key) => {
      if (CONFIG_MANIFEST.test(key)) return fromConfig(await storage.readJson<ConfigManifest>(key));
      if (DUMP_MANIFEST.test(key) && !key.startsWith('config/')) return fromDump(await storage.readJson<Manifest>(key));
      return null;
    }),
  );
  return found
    .filter((b): b is StoredBackup => b !== null && !Number.isNaN(b.createdAt.getTime()))
    .filter((b) => source === undefined || b.source === source || (source === 'config' && b.kind === 'config'))
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.key.localeCompare(a.key));
}
