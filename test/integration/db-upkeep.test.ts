/**
 * db-health's upkeep checks on a cluster of this file's own (startPostgres), because two of
 * them need settings that only a restart applies — max_prepared_transactions (a prepared
 * transaction left open) and wal_level = logical (a logical slot kept active by
 * pg_recvlogical). Seeded with what they must find: a table with most of its rows dead
 * and autovacuum off (dead rows, estimated bloat), one never analyzed, an open prepared
 * transaction, an old open transaction, and an active slot holding WAL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import pg from 'pg';
import { parseConfig } from '../../src/configure.js';
import { dbHealth, dbHealthParams } from '../../src/jobs/db-health.js';
import { openStore, type Store } from '../../src/store/index.js';
import { jobContext } from '../support/job-context.js';
import { startPostgres, type PostgresCluster } from '../support/services.mjs';
import { eventually } from '../support/target.js';

const pgBin = (name: string) =>
  ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin']
    .map((dir) => `${dir}/${name}`)
    .find((path) => existsSync(path)) ?? name;

describe('db-health: upkeep and what holds vacuum back, on a real server', () => {
  let cluster: PostgresCluster;
  let store: Store;
  let admin: pg.Client;
  let url: string;
  const open: pg.Client[] = [];
  let receiver: ChildProcess | undefined;

  const connect = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    open.push(client);
    return client;
  };
  const health = (params: Record<string, unknown>) =>
    dbHealth.run(
      jobContext(parseConfig({ databases: [{ name: 'shop', url }] }), undefined, { store, jobId: 'db' }),
      dbHealthParams.parse({ database: 'shop', ...params }),
    );

  beforeAll(async () => {
    cluster = await startPostgres();
    const root = new pg.Client({ connectionString: cluster.url('postgres') });
    await root.connect();
    await root.query('alter system set max_prepared_transactions = 5');
    await root.query(`alter system set wal_level = 'logical'`);
    await root.query('create database shop');
    await root.end();
    cluster.crash();
    cluster.start();
    url = cluster.url('shop');
    store = await openStore({ path: 'memory://' });
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`
      create table churn (id int primary key, note text) with (autovacuum_enabled = false);
      insert into churn select i, md5(i::text) || md5((i * 7)::text) from generate_series(1, 100000) i;
      delete from churn where id % 5 <> 0;
      analyze churn;
      create table stale (id int, note text) with (autovacuum_enabled = false);
      insert into stale select i, 'x' from generate_series(1, 5000) i;
      create table frozen (id int) with (autovacuum_freeze_max_age = 100000);`);
    await eventually(
      async () =>
        (await admin.query(`select 1 from pg_stat_user_tables where relname = 'churn' and n_dead_tup >= 10000`))
          .rowCount === 1,
      'the dead rows to show in pg_stat_user_tables',
    );
  }, 60_000);

  afterAll(async () => {
    receiver?.kill('SIGTERM');
    for (const client of open) await client.end().catch(() => {});
    await admin?.end();
    await store?.close();
    cluster?.stop();
  });

  it('names the table full of dead rows, its estimated bloat, and the table never analyzed', async () => {
    const outcome = await health({ bloatBytes: 2 ** 20 });
    const by = (check: string) => outcome.findings.filter((f) => f.check === check);
    expect(by('pg.dead-tuples').map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^public\.churn has 8\d{4} dead rows \(8\d\.\d % of its rows; autovacuum steps in at 4050\), never vacuumed \(autovacuum is off for it\)$/,
      ),
    ]);
    expect(by('pg.table-bloat').map((f) => f.resource)).toEqual(['db/shop/table/public.churn']);
    expect(by('pg.index-bloat').map((f) => f.resource)).toEqual(['db/shop/index/public.churn_pkey']);
    expect(by('pg.table-bloat')[0]!.message).toMatch(
      /^table public\.churn is an estimated [6-9]\d\.\d % bloat .*an estimate/,
    );
    expect(by('pg.analyze-overdue').map((f) => f.message)).toEqual([
      'public.stale has 5000 rows changed (autovacuum analyzes at 50), never analyzed (autovacuum is off for it)',
    ]);
    // With PgHero's 100 MiB floor the same few MiB of bloat is not worth a finding.
    expect((await health({})).findings.filter((f) => f.check === 'pg.table-bloat')).toEqual([]);
  });

  it('reads each table against the autovacuum_freeze_max_age that applies to it', async () => {
    const outcome = await health({ wraparoundWarn: 0, wraparoundCritical: 1 });
    const frozen = outcome.findings.find((f) => f.resource === 'db/shop/table/public.frozen');
    expect(frozen).toMatchObject({ severity: 'warning', check: 'pg.table-wraparound' });
    expect(frozen!.message).toMatch(/against autovacuum_freeze_max_age 100,000,/);
    expect(outcome.findings.filter((f) => f.check === 'pg.transaction-id-wraparound').map((f) => f.resource)).toEqual(
      expect.arrayContaining(['db/shop', 'db/shop/database/postgres']),
    );
    expect((await health({})).findings.filter((f) => f.check.endsWith('wraparound'))).toEqual([]);
  });

  it('a prepared transaction left open is critical, an old open transaction and a slot holding WAL warn', async () => {
    // A logical slot is created only once no transaction with an ID is open: first the slot, then what holds it.
    await admin.query(`select pg_create_logical_replication_slot('cdc', 'test_decoding')`);
    receiver = spawn(
      pgBin('pg_recvlogical'),
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(cluster.port),
        '-U',
        'postgres',
        '-d',
        'shop',
        '-S',
        'cdc',
        '--start',
        '-f',
        '/dev/null',
      ],
      { stdio: 'ignore' },
    );
    await eventually(
      async () =>
        (await admin.query(`select 1 from pg_replication_slots where slot_name = 'cdc' and active`)).rowCount === 1,
      'pg_recvlogical to hold the slot',
    );
    const preparer = await connect();
    await preparer.query(`begin; insert into stale values (0, 'prepared'); prepare transaction 'opscron''s-left-open'`);
    // What the remedy says to run is what cleans up: a quote in the gid must not break it.
    let rollback = `rollback prepared 'opscron''s-left-open'`;
    const idler = await connect();
    await idler.query('begin; select txid_current()');
    // The prepared transaction keeps the slot's restart_lsn where it was; three WAL segments pass it.
    for (let i = 0; i < 3; i++) await admin.query(`create table wal_${i} (); select pg_switch_wal()`);
    try {
      const outcome = await health({ preparedTransaction: '1ms', longTransaction: '1ms', slotWalBytes: 32 * 2 ** 20 });
      const by = (check: string) => outcome.findings.filter((f) => f.check === check);
      expect(by('pg.prepared-transaction').map((f) => [f.severity, f.resource, f.remedy])).toEqual([
        [
          'critical',
          "db/shop/prepared/opscron's-left-open",
          expect.stringContaining("ROLLBACK PREPARED 'opscron''s-left-open';"),
        ],
      ]);
      rollback = /ROLLBACK PREPARED '(?:[^']|'')*'/.exec(by('pg.prepared-transaction')[0]!.remedy!)![0];
      expect(by('pg.long-transaction').map((f) => f.message)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            new RegExp(
              `^pid ${(idler as unknown as { processID: number }).processID} \\(postgres\\) has had a transaction open for \\d+ s \\(idle in transaction\\): begin; select txid_current\\(\\)$`,
            ),
          ),
        ]),
      );
      const slots = by('pg.slot-retained-wal').map((f) => f.message);
      expect(slots).toEqual([
        expect.stringMatching(/^active replication slot cdc keeps \d+ MiB of WAL \(limit 32 MiB\)$/),
      ]);
      expect(Number(/keeps (\d+) MiB/.exec(slots[0]!)![1])).toBeGreaterThanOrEqual(32);
      expect(outcome.status).toBe('critical');
      const calm = await health({});
      expect(
        calm.findings.filter((f) =>
          ['pg.prepared-transaction', 'pg.long-transaction', 'pg.slot-retained-wal'].includes(f.check),
        ),
      ).toEqual([]);
    } finally {
      await admin.query(rollback);
    }
  });
});
