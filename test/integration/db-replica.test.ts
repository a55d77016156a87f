/**
 * db-health on a real streaming standby (pg_basebackup of this file's own primary): a
 * standby that has replayed everything its idle primary sent is not lagging, however long
 * ago the last write was; one that received WAL it has not replayed is; one cut off from
 * its primary (which has replayed all it received, so shows no lag) is critical. A database
 * entry moved from the primary to the standby (as a failover would) is not judged as the
 * change from the primary's counters.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseConfig } from '../../src/configure.js';
import { dbHealth, dbHealthParams } from '../../src/jobs/db-health.js';
import { openStore, type Store } from '../../src/store/index.js';
import { jobContext } from '../support/job-context.js';
import { freePort, startPostgres, type PostgresCluster } from '../support/services.mjs';
import { eventually } from '../support/target.js';

const BASE = '/usr/lib/postgresql';
const pgBin = (name: string) => {
  const versions = existsSync(BASE) ? readdirSync(BASE).sort((a, b) => Number(b) - Number(a)) : [];
  return versions.map((v) => join(BASE, v, 'bin', name)).find((p) => existsSync(p)) ?? name;
};
/** PostgreSQL's tools refuse to run as root: as root they run as `postgres`, as services.mjs does. */
const asPostgres = (bin: string, args: string[]) =>
  process.getuid?.() === 0
    ? execFileSync('runuser', ['-u', 'postgres', '--', pgBin(bin), ...args], { stdio: 'pipe' })
    : execFileSync(pgBin(bin), args, { stdio: 'pipe' });

describe('db-health on a streaming standby', () => {
  let primary: PostgresCluster;
  let dir: string;
  let standbyUrl: string;
  let store: Store;
  let onPrimary: pg.Client;
  let onStandby: pg.Client;

  const health = () =>
    dbHealth.run(
      jobContext(parseConfig({ databases: [{ name: 'replica', url: standbyUrl }] }), undefined, { store, jobId: 'db' }),
      // Any lag at all is over this threshold: what is judged is whether there is lag.
      dbHealthParams.parse({ database: 'replica', replicationLag: '1ms' }),
    );
  const caughtUp = async () =>
    (
      await onStandby.query(
        'select pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() and pg_last_xact_replay_timestamp() is not null as ok',
      )
    ).rows[0]!.ok === true;

  beforeAll(async () => {
    primary = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'opscron-standby-'));
    if (process.getuid?.() === 0) {
      chownSync(dir, Number(execFileSync('id', ['-u', 'postgres'])), Number(execFileSync('id', ['-g', 'postgres'])));
      chmodSync(dir, 0o700);
    }
    asPostgres('pg_basebackup', [
      '-D',
      dir,
      '-R',
      '-X',
      'stream',
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
    ]);
    const port = await freePort();
    // The primary runs with max_connections 200 (services.mjs): a hot standby needs at least as many.
    asPostgres('pg_ctl', [
      '-D',
      dir,
      '-l',
      join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`,
      'start',
    ]);
    standbyUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    store = await openStore({ path: 'memory://' });
    onPrimary = new pg.Client({ connectionString: primary.url('postgres') });
    onStandby = new pg.Client({ connectionString: standbyUrl });
    await onPrimary.connect();
    await onStandby.connect();
  }, 60_000);

  afterAll(async () => {
    await onPrimary?.end();
    await onStandby?.end();
    await store?.close();
    try {
      asPostgres('pg_ctl', ['-D', dir, '-m', 'immediate', 'stop']);
    } catch {
      /* not started */
    }
    rmSync(dir, { recursive: true, force: true });
    primary?.stop();
  });

  it('a standby that replayed all its idle primary sent is not lagging; one with WAL received but not replayed is', async () => {
    await onPrimary.query('create table written (id int); insert into written values (1)');
    await eventually(caughtUp, 'the standby to replay the write');
    // The primary is idle now: the last replayed transaction only gets older.
    const idle = await health();
    expect(idle.findings.filter((f) => f.check === 'pg.replication-lag')).toEqual([]);

    await onStandby.query('select pg_wal_replay_pause()');
    await onPrimary.query('insert into written values (2)');
    await eventually(
      async () =>
        (await onStandby.query('select pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn() as behind')).rows[0]!
          .behind === true,
      'the standby to receive what it does not replay',
    );
    const behind = await health();
    expect(behind.findings.filter((f) => f.check === 'pg.replication-lag').map((f) => f.message)).toEqual([
      expect.stringMatching(/^this replica is \d+ s behind its primary$/),
    ]);
    await onStandby.query('select pg_wal_replay_resume()');
  });

  it('a database entry moved from the primary to its standby (same system_identifier) is judged over the standby’s own counters', async () => {
    const at = Date.now();
    const on = (url: string, hours: number) =>
      dbHealth.run(
        jobContext(parseConfig({ databases: [{ name: 'replica', url }] }), undefined, {
          store,
          jobId: 'moved',
          now: () => new Date(at + hours * 3_600_000),
        }),
        // The interval is what is judged here, not a small database's cold cache.
        dbHealthParams.parse({ database: 'replica', cacheHitRate: 0 }),
      );
    expect((await on(primary.url('postgres'), 0)).summary).toMatch(/since the statistics were last reset$/);
    expect((await on(standbyUrl, 1)).summary).toMatch(/since the statistics were last reset$/);
    expect((await on(standbyUrl, 2)).summary).toMatch(/since the previous run 60 min ago$/);
  });

  it('a standby whose primary is gone is critical: not receiving WAL, though it has replayed all it received', async () => {
    await eventually(caughtUp, 'the standby to catch up');
    const streaming = await health();
    expect(streaming.findings.filter((f) => f.check === 'pg.wal-receiver')).toEqual([]);
    onPrimary.on('error', () => {}); // its connection goes with the primary
    primary.crash();
    await eventually(
      async () =>
        (await onStandby.query(`select 1 from pg_stat_wal_receiver where status = 'streaming'`)).rowCount === 0,
      'the standby to lose its WAL receiver',
    );
    const cutOff = await health();
    expect(cutOff.findings.filter((f) => f.check === 'pg.replication-lag')).toEqual([]);
    expect(cutOff.findings.filter((f) => f.check === 'pg.wal-receiver').map((f) => [f.severity, f.message])).toEqual([
      ['critical', expect.stringMatching(/^this replica is not receiving WAL from the primary: /)],
    ]);
    expect(cutOff.status).toBe('critical');
  });
});
