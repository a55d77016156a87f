/**
 * A scratch database beside a server's others, for proving a backup restores: made with a
 * random name, handed to the caller as a URL, dropped (with force) whatever happens.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { withDatabase } from '../integrations/pg-tools.js';
import { quoteIdent, snapshotTables, type TableSnapshot } from './backup.js';
import { pgClientConfig } from '../config/pg-ssl.js';

/** Runs `fn` with the URL of a new, empty database on `serverUrl`'s server; drops it after. */
export async function withScratchDatabase<T>(serverUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const scratch = `opscron_verify_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client(pgClientConfig(withDatabase(serverUrl, 'postgres')));
  await admin.connect();
  try {
    await admin.query(`create database ${quoteIdent(scratch)}`);
    return await fn(withDatabase(serverUrl, scratch));
  } finally {
    await admin.query(`drop database if exists ${quoteIdent(scratch)} with (force)`).catch(() => {});
    await admin.end().catch(() => {});
  }
}

/** Row counts and sample checksums of every user table of the database at `url`. */
export async function tablesAt(url: string): Promise<TableSnapshot[]> {
  const client = new pg.Client(pgClientConfig(url));
  await client.connect();
  try {
    return await snapshotTables(client);
  } finally {
    await client.end().catch(() => {});
  }
}
