/**
 * The store through a real PgBouncer (Debian's) in transaction pooling mode, where each
 * transaction may get another server connection: migrations (transaction-level advisory
 * locks, two replicas at once), the session time zone (PgBouncer carries it over), and the
 * named prepared statements that do not survive it — off with store.poolMode: transaction,
 * and a clear error naming that setting without it.
 */
import pg from 'pg';
import { parseConfig } from '../../src/configure.js';
import { dbHealth, dbHealthParams } from '../../src/jobs/db-health.js';
import { openStore } from '../../src/store/index.js';
import { migrations } from '../../src/store/migrations.js';
import { tempDir } from '../support/cli.js';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { createDatabase } from '../support/services.mjs';
import { jobContext } from '../support/job-context.js';

async function direct<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

describe('the store through PgBouncer, pool_mode=transaction', () => {
  let database: string;
  let bouncer: PgBouncer;

  beforeAll(async () => {
    database = await createDatabase('bouncer');
    // Not UTC by default here: the store's own time zone has to reach every server connection.
    const name = new URL(database).pathname.slice(1);
    await direct(database, `alter database ${name} set timezone = 'Pacific/Chatham'`);
    bouncer = await startPgBouncer(database, 2);
  });
  afterAll(async () => {
    await bouncer?.stop();
  });

  it('two replicas migrate at once, nothing applied twice, no advisory lock left behind; sessions in UTC', async () => {
    const [a, b] = await Promise.all(
      [0, 1].map(() => openStore({ databaseUrl: bouncer.url, path: tempDir('unused-'), poolMode: 'transaction' })),
    );
    try {
      expect(await direct(database, 'select count(*)::int as n from schema_migrations')).toEqual([
        { n: migrations.length },
      ]);
      expect(await direct(database, `select * from pg_locks where locktype = 'advisory'`)).toEqual([]);
      const zones = await Promise.all(
        Array.from({ length: 20 }, () => a!.sql.query<{ TimeZone: string }>('show timezone')),
      );
      expect(new Set(zones.map((z) => z.rows[0]!.TimeZone))).toEqual(new Set(['UTC']));
      // The statements the store names in session mode, run unnamed here, many times over both server connections.
      await Promise.all(Array.from({ length: 20 }, () => b!.sql.query('select 1 as one', [], 'probe')));
      await b!.ping();
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });

  it('without store.poolMode: transaction, a named statement fails with an error that says what to set', async () => {
    const store = await openStore({ databaseUrl: bouncer.url, path: tempDir('unused-') });
    try {
      let failure: unknown;
      for (let i = 0; i < 6 && !failure; i++)
        await store.sql.query('select 1 as one', [], 'probe').catch((error: unknown) => (failure = error));
      expect((failure as Error).message).toMatch(
        /the store's prepared statements do not survive its connection \(prepared statement "probe" (does not exist|already exists)\): DATABASE_URL looks like PgBouncer in transaction pooling mode — set store\.poolMode: transaction/,
      );
    } finally {
      await store.close();
    }
  });

  it('db-health pointed at PgBouncer fails as a configuration error that says why and what to do, not a retry', async () => {
    const store = await openStore({ path: 'memory://' });
    try {
      const ctx = jobContext(parseConfig({ databases: [{ name: 'shop', url: bouncer.url }] }), undefined, {
        store,
        jobId: 'db',
      });
      const failure = await dbHealth.run(ctx, dbHealthParams.parse({ database: 'shop' })).catch((e: unknown) => e);
      expect(failure).toMatchObject({ code: 'OPSCRON_CONFIG_INVALID', retryable: false });
      expect((failure as Error).message).toMatch(
        /127\.0\.0\.1:\d+ refused the startup parameter statement_timeout \(unsupported startup parameter: statement_timeout\) — it looks like PgBouncer\. .*point databases\[\]\.url at PostgreSQL itself/,
      );
    } finally {
      await store.close();
    }
  });
});
