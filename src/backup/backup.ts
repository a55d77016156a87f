/**
 * A database backup: pg_dump (custom format, uncompressed) inside one exported snapshot,
 * streamed through gzip (on another core: zlib runs in libuv's pool), SHA-256 and — with
 * OPSCRON_ENCRYPTION_KEY — AES-256-GCM, straight to storage; never whole in memory. Beside
 * it a manifest: database, server version, size, checksum, duration, encryption, and each
 * table's row count and a checksum of a sample of rows, read in the same snapshot as the
 * dump, so a restore can be proven equal.
 */
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import pg from 'pg';
import type { Storage, Stored } from '../integrations/storage.js';
import { pgConnection, runTool } from '../integrations/pg-tools.js';
import { encryptor } from './crypto.js';
import { byteMeter } from './meter.js';
import { compactUtc, utcDatePath } from '../clock.js';
import { pgClientConfig } from '../config/pg-ssl.js';

/** One table as the manifest records it, and as a verification reads it back. */
export interface TableSnapshot {
  table: string;
  rows: number;
  /** md5 of the first rows by primary key (null: no primary key). */
  sample: string | null;
}

/** What a database backup holds, stored beside it as `<key>.json`. */
export interface Manifest {
  version: 1;
  database: string;
  key: string;
  createdAt: string;
  durationMs: number;
  serverVersion: string;
  databaseBytes: number;
  dumpBytes: number;
  bytes: number;
  sha256: string;
  compression: { kind: 'gzip'; level: number };
  encrypted: boolean;
  format: 'pg_dump custom';
  tables: TableSnapshot[];
}

/** What to back up, where to, and how (compression, encryption, progress). */
export interface BackupOptions {
  database: { name: string; url: string };
  storage: Storage;
  passphrase?: string;
  compressionLevel: number;
  signal?: AbortSignal;
  progress?: (fraction: number, note: string) => void;
  now?: () => Date;
  /** Rows per table hashed for the sample checksum. */
  sampleRows?: number;
}

/** A PostgreSQL identifier, quoted (embedded quotes doubled). */
export const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Row counts and sample checksums of every user table, in the client's current snapshot. */
export async function snapshotTables(client: pg.ClientBase, sampleRows = 100): Promise<TableSnapshot[]> {
  const { rows } = await client.query<{ schema: string; name: string; pk: string[] | null }>(`
    select n.nspname as schema, c.relname as name,
           (select array_agg(a.attname::text order by k.ord) from pg_index i
              cross join lateral unnest(i.indkey) with ordinality k(attnum, ord)
              join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
             where i.indrelid = c.oid and i.indisprimary) as pk
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and not c.relispartition
       and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' and n.nspname not like 'pg_temp%'
     order by 1, 2`);
  const out: TableSnapshot[] = [];
  for (const t of rows) {
    const table = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
    const count = await client.query<{ n: string }>(`select count(*)::text as n from ${table}`);
    let sample: string | null = null;
    if (t.pk?.length) {
      const order = t.pk.map(quoteIdent).join(', ');
      const r = await client.query<{ md5: string | null }>(
        `select md5(string_agg(s::text, '|' order by ${t.pk.map((c) => `s.${quoteIdent(c)}`).join(', ')})) as md5 from (select * from ${table} order by ${order} limit ${sampleRows}) s`,
      );
      sample = r.rows[0]?.md5 ?? null;
    }
    out.push({ table: `${t.schema}.${t.name}`, rows: Number(count.rows[0]!.n), sample });
  }
  return out;
}

/**
 * One backup of `o.database`: row counts, sample checksums and the dump from one snapshot,
 * the dump streamed to storage, then its manifest beside it. Returns the manifest.
 */
export async function backupDatabase(o: BackupOptions): Promise<Manifest> {
  const started = Date.now();
  const at = o.now?.() ?? new Date();
  const progress = o.progress ?? (() => {});
  const client = new pg.Client(pgClientConfig(o.database.url));
  await client.connect();
  try {
    const info = await client.query<{ version: string; bytes: string }>(
      `select current_setting('server_version') as version, pg_database_size(current_database())::text as bytes`,
    );
    const databaseBytes = Number(info.rows[0]!.bytes);
    // One snapshot for the row counts and the dump: what the manifest says is what the dump holds.
    await client.query('begin transaction isolation level repeatable read read only');
    const snapshot = (await client.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0]!.id;
    progress(0.01, 'counting rows');
    const tables = await snapshotTables(client, o.sampleRows);
    const key = `${o.database.name}/${utcDatePath(at)}/${o.database.name}-${compactUtc(at)}.${o.passphrase ? 'dump.gz.enc' : 'dump.gz'}`;
    const { stored, dumpBytes } = await dumpToStorage(o, snapshot, key, databaseBytes, progress);
    await client.query('commit');
    const manifest: Manifest = {
      version: 1,
      database: o.database.name,
      key,
      createdAt: at.toISOString(),
      durationMs: Date.now() - started,
      serverVersion: info.rows[0]!.version,
      databaseBytes,
      dumpBytes,
      bytes: stored.bytes,
      sha256: stored.sha256,
      compression: { kind: 'gzip', level: o.compressionLevel },
      encrypted: Boolean(o.passphrase),
      format: 'pg_dump custom',
      tables,
    };
    await o.storage.put(`${key}.json`, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    progress(1, `stored ${key}`);
    return manifest;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * pg_dump of the exported `snapshot`, metered, gzipped and (with a passphrase) encrypted on
 * its way to storage at `key`; never whole in memory. `dumpBytes` is pg_dump's own output.
 */
async function dumpToStorage(
  o: BackupOptions,
  snapshot: string,
  key: string,
  databaseBytes: number,
  progress: (fraction: number, note: string) => void,
): Promise<{ stored: Stored; dumpBytes: number }> {
  const conn = pgConnection(o.database.url);
  const dump = runTool(
    'pg_dump',
    ['--format=custom', '--compress=0', `--snapshot=${snapshot}`, '--no-password', ...conn.args],
    conn.env,
    o.signal,
  );
  // The dump is only good if pg_dump says so: its failure fails the write, and storage drops the partial file.
  const meter = byteMeter((bytes) => {
    progress(
      Math.min(0.95, 0.02 + (bytes / Math.max(1, databaseBytes)) * 0.93),
      `${(bytes / 2 ** 20).toFixed(0)} MiB dumped of about ${(databaseBytes / 2 ** 20).toFixed(0)} MiB`,
    );
  }, dump.done);
  dump.child.stdin.end();
  const out = new PassThrough();
  const stages: Transform[] = [meter, createGzip({ level: o.compressionLevel, chunkSize: 256 * 1024 })];
  if (o.passphrase) stages.push(encryptor(o.passphrase));
  pipeline([dump.child.stdout, ...stages, out]).catch((error: Error) => out.destroy(error));
  const stored = await o.storage.put(key, out, o.signal);
  return { stored, dumpBytes: meter.bytes };
}

/** Every manifest of a database's backups, newest first. */
export async function listBackups(storage: Storage, database: string): Promise<Manifest[]> {
  const keys = (await storage.list(database)).filter((k) => k.endsWith('.json'));
  // An unreadable manifest is not a backup we can trust: it is left out (verify then reports none).
  const manifests = (await Promise.all(keys.map((key) => storage.readJson<Manifest>(key)))).filter(
    (m): m is Manifest => m !== null,
  );
  return manifests.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
}
