/** Keys opscron keeps in its own store, made once by whichever process comes first. */
import { randomBytes } from 'node:crypto';
import type { Sql } from './sql.js';

/** The key that signs checked run requests (src/run-request.ts); the same for every process on this store. */
export async function grantKey(sql: Sql): Promise<Buffer> {
  await sql.query('insert into opscron_keys (name, value) values ($1, $2) on conflict (name) do nothing', [
    'run-grant',
    randomBytes(32).toString('base64'),
  ]);
  const { rows } = await sql.query<{ value: string }>('select value from opscron_keys where name = $1', ['run-grant']);
  return Buffer.from(rows[0]!.value, 'base64');
}
