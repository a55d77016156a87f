/**
 * PgHero's checks on statistics shaped as src/integrations/pg-stats.ts reads them from an
 * `orders` database: a healthy database gives nothing, and each trouble gives its finding,
 * with the severity, the numbers and the command an operator would run.
 */
import {
  judgePgHealth,
  judgeQueries,
  pgHealthDefaults,
  replicaLagSeconds,
  type PgStats,
  type QueryInput,
  type TableScanRow,
} from '../../src/analysis/pg-health.js';
import { dbHealthParams } from '../../src/jobs/db-health.js';

/** A replica's WAL receiver streaming from its primary, heard from 3 s ago. */
const streaming = { status: 'streaming', secondsSinceMessage: 3, timeoutSeconds: 60 };

/** A healthy primary: 12 of 100 connections, a warm cache, far from wraparound, no standbys. */
const healthy = (): PgStats => ({
  database: 'orders',
  serverVersion: '16.4',
  connections: { total: 12, max: 100 },
  idleInTransaction: [],
  longRunning: [],
  blocked: [],
  cacheHit: {
    rate: 0.9987,
    reads: 13_932_776,
    interval: 'since the previous run 60 min ago',
  },
  replication: { isReplica: false, replay: null, receiver: null, standbys: [] },
  inactiveSlots: [],
  wraparound: {
    databases: [
      { database: 'orders', xidAge: 200_000_000, multixactAge: 3_000_000 },
      { database: 'template0', xidAge: 150_000_000, multixactAge: 0 },
    ],
    tables: [
      {
        table: 'orders',
        xidAge: 199_000_000,
        multixactAge: 3_000_000,
        freezeMaxAge: 200_000_000,
        multixactFreezeMaxAge: 400_000_000,
      },
    ],
  },
  maintenance: {
    tables: [
      {
        table: 'public.orders',
        liveRows: 48_000_000,
        deadRows: 900_000,
        modsSinceAnalyze: 1_200_000,
        lastVacuumSeconds: 7200,
        lastAnalyzeSeconds: 3 * 86_400,
        vacuumTrigger: 9_600_050,
        analyzeTrigger: 4_800_050,
        autovacuumEnabled: true,
      },
    ],
    bloat: [
      { kind: 'table', name: 'public.orders', table: 'public.orders', bytes: 20 * 2 ** 30, wastedBytes: 2 ** 30 },
    ],
    preparedTransactions: [],
    activeSlots: [{ name: 'replica_b', retainedBytes: 16 * 2 ** 20 }],
    maxSlotWalKeepBytes: null,
    longTransactions: [],
  },
  sequences: [
    {
      sequence: 'public.orders_id_seq',
      column: 'orders.id',
      lastValue: 48_210_332,
      maxValue: 2_147_483_647,
      ratio: 48_210_332 / 2_147_483_647,
    },
  ],
  invalidIndexes: [],
  duplicateIndexes: [],
});

const judge = (change: (s: PgStats) => void, t = pgHealthDefaults) => {
  const s = healthy();
  change(s);
  return judgePgHealth(s, t);
};
const brief = (findings: ReturnType<typeof judgePgHealth>) =>
  findings.map((f) => [f.severity, f.check, f.resource, f.message]);

describe('judgePgHealth', () => {
  it('has nothing to say about a healthy database', () => {
    expect(judgePgHealth(healthy())).toEqual([]);
  });

  it('warns at 80 % of max_connections and is critical at 95 %', () => {
    const at = (total: number) => brief(judge((s) => (s.connections.total = total)));
    expect(at(79)).toEqual([]);
    expect(at(80)).toEqual([['warning', 'pg.connections', 'db/orders', '80 of 100 connections in use (80.0 %)']]);
    expect(at(94)[0]![0]).toBe('warning');
    expect(at(95)).toEqual([['critical', 'pg.connections', 'db/orders', '95 of 100 connections in use (95.0 %)']]);
    expect(judge((s) => (s.connections.total = 60), { ...pgHealthDefaults, connectionsWarn: 0.5 })).toHaveLength(1);
  });

  it('names each session idle in a transaction or running long, with the pid to end', () => {
    const findings = judge((s) => {
      s.idleInTransaction = [
        { pid: 4242, user: 'orders_app', seconds: 754.6, query: 'UPDATE orders\n   SET status = $1\n WHERE id = $2' },
      ];
      s.longRunning = [
        { pid: 5150, user: null, seconds: 1800.2, query: `SELECT * FROM order_lines WHERE ${'x'.repeat(300)}` },
      ];
    });
    expect(brief(findings)).toEqual([
      [
        'warning',
        'pg.idle-in-transaction',
        'db/orders',
        'pid 4242 (orders_app) idle in transaction for 755 s: UPDATE orders SET status = $1 WHERE id = $2',
      ],
      [
        'warning',
        'pg.long-running-query',
        'db/orders',
        expect.stringMatching(/^pid 5150 \(\?\) running for 1800 s: SELECT \* FROM order_lines/),
      ],
    ]);
    expect(findings[0]!.remedy).toMatch(/^select pg_terminate_backend\(4242\);/);
    expect(findings[1]!.remedy).toMatch(/^select pg_cancel_backend\(5150\);/);
    expect(findings[1]!.message.length).toBeLessThanOrEqual('pid 5150 (?) running for 1800 s: '.length + 160);
  });

  it('says who blocks whom, and which blocker to end', () => {
    const [blocked] = judge((s) => {
      s.blocked = [
        {
          pid: 5001,
          blockedBy: [4242, 4243],
          seconds: 31.4,
          query: 'UPDATE orders SET paid = true WHERE id = 7',
          blockerQuery: null,
        },
      ];
    });
    expect(blocked).toMatchObject({
      severity: 'warning',
      check: 'pg.blocked-query',
      message: 'pid 5001 waits 31 s on pid 4242, 4243 (?): UPDATE orders SET paid = true WHERE id = 7',
      remedy: expect.stringContaining('select pg_terminate_backend(4242);'),
    });
  });

  it('judges the cache hit rate below 99 %, once enough blocks were read to mean something', () => {
    const interval = 'since the previous run 60 min ago';
    const findings = judge((s) => (s.cacheHit = { rate: 0.942, reads: 120_000, interval }));
    expect(brief(findings)).toEqual([
      [
        'warning',
        'pg.cache-hit-rate',
        'db/orders',
        'cache hit rate 94.2 % over 120000 blocks read since the previous run 60 min ago, below 99.0 %',
      ],
    ]);
    expect(findings[0]!.evidence).toEqual({ rate: 0.942, reads: 120_000, interval });
    expect(judge((s) => (s.cacheHit = { rate: 0.5, reads: 999, interval }))).toEqual([]);
    expect(judge((s) => (s.cacheHit = { rate: null, reads: 0, interval }))).toEqual([]);
  });

  it('reports a lagging replica, lagging standbys and inactive slots with the WAL they hold', () => {
    const findings = judge((s) => {
      s.replication = {
        isReplica: true,
        replay: { receiveLsn: '3/1A000000', replayLsn: '3/19FF0000', secondsSinceLastReplay: 125.4 },
        receiver: streaming,
        standbys: [
          { name: 'replica-b', lagSeconds: 90, state: 'streaming' },
          { name: 'replica-c', lagSeconds: 59.9, state: 'streaming' },
          { name: 'replica-d', lagSeconds: null, state: 'startup' },
        ],
      };
      s.inactiveSlots = [
        { name: 'debezium', retainedBytes: 3 * 2 ** 30 },
        { name: 'old_standby', retainedBytes: null },
      ];
    });
    expect(brief(findings)).toEqual([
      ['warning', 'pg.replication-lag', 'db/orders', 'this replica is 125 s behind its primary'],
      [
        'warning',
        'pg.replication-lag',
        'db/orders/standby/replica-b',
        'standby replica-b replays 90 s behind (streaming)',
      ],
      [
        'warning',
        'pg.inactive-replication-slot',
        'db/orders/slot/debezium',
        'replication slot debezium is inactive and holds 3072 MiB of WAL',
      ],
      [
        'warning',
        'pg.inactive-replication-slot',
        'db/orders/slot/old_standby',
        'replication slot old_standby is inactive',
      ],
    ]);
    expect(findings[2]!.remedy).toContain("select pg_drop_replication_slot('debezium');");
  });

  it('ignores replay lag on a server that is not a replica', () => {
    const replay = { receiveLsn: null, replayLsn: null, secondsSinceLastReplay: 500 };
    expect(judge((s) => (s.replication.replay = replay))).toEqual([]);
  });

  it('a replica of an idle primary is not lagging: it has replayed all it received, however long ago the last write was', () => {
    // Recorded on a streaming standby of a primary nobody wrote to for an hour.
    const idle = { receiveLsn: '0/3000148', replayLsn: '0/3000148', secondsSinceLastReplay: 3612.7 };
    expect(replicaLagSeconds(idle)).toBe(0);
    expect(
      judge((s) => (s.replication = { isReplica: true, replay: idle, receiver: streaming, standbys: [] })),
    ).toEqual([]);
    // Received more than it replayed: the time since the last replayed transaction is the lag.
    expect(replicaLagSeconds({ ...idle, replayLsn: '0/2FFF000' })).toBe(3612.7);
    // Not streaming (restoring from the archive): nothing received, so the timestamp is all there is.
    expect(replicaLagSeconds({ receiveLsn: null, replayLsn: '0/2FFF000', secondsSinceLastReplay: 80 })).toBe(80);
    expect(replicaLagSeconds({ receiveLsn: null, replayLsn: null, secondsSinceLastReplay: null })).toBeNull();
  });

  it('a replica cut off from its primary is critical, though it has replayed all it received (lag 0)', () => {
    const idle = { receiveLsn: '0/3000148', replayLsn: '0/3000148', secondsSinceLastReplay: 7200 };
    const on = (receiver: PgStats['replication']['receiver'], replicationLagSeconds = 60) =>
      brief(
        judgePgHealth(
          { ...healthy(), replication: { isReplica: true, replay: idle, receiver, standbys: [] } },
          { ...pgHealthDefaults, replicationLagSeconds },
        ),
      );
    expect(on(null)).toEqual([
      [
        'critical',
        'pg.wal-receiver',
        'db/orders',
        'this replica is not receiving WAL from the primary: no WAL receiver is running; last transaction replayed 2 h ago',
      ],
    ]);
    expect(on({ ...streaming, secondsSinceMessage: 1500 })).toEqual([
      [
        'critical',
        'pg.wal-receiver',
        'db/orders',
        'this replica is not receiving WAL from the primary for 25 min; last transaction replayed 2 h ago',
      ],
    ]);
    expect(on({ ...streaming, status: 'starting', secondsSinceMessage: null })[0]![3]).toMatch(
      /its WAL receiver is starting/,
    );
    // An idle primary is heard from every half wal_receiver_timeout: silence within it is no outage, whatever the lag allowed.
    expect(on({ ...streaming, secondsSinceMessage: 45 }, 1)).toEqual([]);
    expect(on({ ...streaming, secondsSinceMessage: 90 }, 1)).toHaveLength(1);
    // Without pg_read_all_stats the receiver shows only that it runs: nothing to judge.
    expect(on({ status: null, secondsSinceMessage: null, timeoutSeconds: 60 })).toEqual([]);
  });

  it('warns when a database has used half of its 2^31 transaction or multixact IDs, critical at three quarters', () => {
    const at = (xidAge: number, multixactAge = 0) =>
      brief(judge((s) => (s.wraparound.databases = [{ database: 'orders', xidAge, multixactAge }])));
    expect(at(1_073_741_823)).toEqual([]);
    expect(at(1_073_741_824)).toEqual([
      [
        'warning',
        'pg.transaction-id-wraparound',
        'db/orders',
        'database orders has used 50.0 % of its transaction IDs before wraparound (age 1,073,741,824, 1,073,741,824 left)',
      ],
    ]);
    expect(at(1_610_612_736)[0]![0]).toBe('critical');
    expect(at(1000, 1_300_000_000)).toEqual([
      [
        'warning',
        'pg.multixact-wraparound',
        'db/orders',
        'database orders has used 60.5 % of its multixact IDs before wraparound (age 1,300,000,000, 847,483,648 left)',
      ],
    ]);
    const other = judge((s) => s.wraparound.databases.push({ database: 'legacy', xidAge: 1.7e9, multixactAge: 0 }));
    expect(brief(other)[0]!.slice(0, 3)).toEqual([
      'critical',
      'pg.transaction-id-wraparound',
      'db/orders/database/legacy',
    ]);
    const early = judge((s) => (s.wraparound.databases[0]!.xidAge = 300_000_000), {
      ...pgHealthDefaults,
      wraparoundWarn: 0.1,
    });
    expect(brief(early)[0]![0]).toBe('warning');
  });

  it('names each table by its own age: past the horizon share, or far past the autovacuum_freeze_max_age that should have frozen it', () => {
    const table = (over: Partial<PgStats['wraparound']['tables'][number]>) =>
      brief(judge((s) => Object.assign(s.wraparound.tables[0]!, over)));
    expect(table({ xidAge: 299_999_999 })).toEqual([]);
    expect(table({ xidAge: 300_000_000 })).toEqual([
      [
        'warning',
        'pg.table-wraparound',
        'db/orders/table/orders',
        'table orders has used 14.0 % of the IDs before wraparound (transaction ID age 300,000,000 against autovacuum_freeze_max_age 200,000,000, multixact age 3,000,000 against 400,000,000)',
      ],
    ]);
    expect(table({ multixactAge: 600_000_000 })[0]![1]).toBe('pg.table-wraparound');
    expect(table({ xidAge: 1_700_000_000 })[0]![0]).toBe('critical');
  });

  it('warns when a sequence has used 90 % of its range, critical at 98 %, with the ALTER to run', () => {
    const findings = judge((s) => {
      s.sequences = [
        {
          sequence: 'public.orders_id_seq',
          column: 'orders.id',
          lastValue: 1_997_159_791,
          maxValue: 2_147_483_647,
          ratio: 0.93,
        },
        { sequence: 'public.ticket_no', column: null, lastValue: 32_200, maxValue: 32_767, ratio: 0.9827 },
      ];
    });
    expect(brief(findings)).toEqual([
      [
        'warning',
        'pg.sequence-exhaustion',
        'db/orders/sequence/public.orders_id_seq',
        'sequence public.orders_id_seq (orders.id) has used 93.0 % of its range (1997159791 of 2147483647)',
      ],
      [
        'critical',
        'pg.sequence-exhaustion',
        'db/orders/sequence/public.ticket_no',
        'sequence public.ticket_no has used 98.3 % of its range (32200 of 32767)',
      ],
    ]);
    expect(findings[0]!.remedy).toMatch(
      /ALTER COLUMN id TYPE bigint \(and the sequence: ALTER SEQUENCE public.orders_id_seq AS bigint\)/,
    );
    expect(findings[1]!.remedy).toBe('ALTER SEQUENCE public.ticket_no AS bigint MAXVALUE …');
  });

  it('a remedy names a table and column as PostgreSQL quoted them, dots inside quotes and all', () => {
    const [finding] = judge((s) => {
      s.sequences = [
        {
          sequence: '"Sales"."line.no_seq"',
          column: '"Sales"."Order Lines"."line.no"',
          lastValue: 2_000_000_000,
          maxValue: 2_147_483_647,
          ratio: 0.93,
        },
      ];
    });
    expect(finding!.remedy).toMatch(
      /^ALTER TABLE "Sales"\."Order Lines" ALTER COLUMN "line\.no" TYPE bigint \(and the sequence: ALTER SEQUENCE "Sales"\."line\.no_seq" AS bigint\)/,
    );
  });

  it('names invalid and duplicate indexes with their size', () => {
    const findings = judge((s) => {
      s.invalidIndexes = [{ index: 'public.orders_status_idx', table: 'public.orders' }];
      s.duplicateIndexes = [
        {
          index: 'public.orders_customer_idx',
          coveredBy: 'public.orders_customer_created_idx',
          table: 'public.orders',
          bytes: 52_428_800,
        },
      ];
    });
    expect(brief(findings)).toEqual([
      [
        'warning',
        'pg.invalid-index',
        'db/orders/index/public.orders_status_idx',
        'index public.orders_status_idx on public.orders is invalid (a failed CREATE INDEX CONCURRENTLY)',
      ],
      [
        'warning',
        'pg.duplicate-index',
        'db/orders/index/public.orders_customer_idx',
        'index public.orders_customer_idx on public.orders is covered by public.orders_customer_created_idx (50.0 MiB)',
      ],
    ]);
    expect(findings[1]!.remedy).toBe(
      'DROP INDEX CONCURRENTLY public.orders_customer_idx; — public.orders_customer_created_idx serves the same lookups.',
    );
  });

  it('reports the families in a fixed order: connections, sessions, locks, cache, replication, wraparound, sequences, indexes', () => {
    const findings = judge((s) => {
      s.invalidIndexes = [{ index: 'i', table: 't' }];
      s.sequences[0]!.ratio = 0.95;
      s.wraparound.databases[0]!.xidAge = 2_100_000_000;
      s.inactiveSlots = [{ name: 'slot', retainedBytes: 0 }];
      s.cacheHit.rate = 0.5;
      s.blocked = [{ pid: 2, blockedBy: [1], seconds: 5, query: 'q', blockerQuery: 'b' }];
      s.longRunning = [{ pid: 3, user: 'u', seconds: 600, query: 'q' }];
      s.idleInTransaction = [{ pid: 1, user: 'u', seconds: 600, query: 'q' }];
      s.connections.total = 90;
    });
    expect(findings.map((f) => f.check)).toEqual([
      'pg.connections',
      'pg.idle-in-transaction',
      'pg.long-running-query',
      'pg.blocked-query',
      'pg.cache-hit-rate',
      'pg.inactive-replication-slot',
      'pg.transaction-id-wraparound',
      'pg.sequence-exhaustion',
      'pg.invalid-index',
    ]);
  });
});

describe('judgePgHealth: upkeep and what holds vacuum back', () => {
  const table = (over: Partial<PgStats['maintenance']['tables'][number]>) =>
    judge((s) => Object.assign(s.maintenance.tables[0]!, over));

  it("a table with a fifth of its rows dead, and one past autovacuum's trigger unvacuumed for a day, are named with the VACUUM to run", () => {
    const dead = table({
      liveRows: 40_000,
      deadRows: 10_000,
      vacuumTrigger: 8050,
      lastVacuumSeconds: null,
      autovacuumEnabled: false,
    });
    expect(brief(dead)).toEqual([
      [
        'warning',
        'pg.dead-tuples',
        'db/orders/table/public.orders',
        'public.orders has 10000 dead rows (20.0 % of its rows; autovacuum steps in at 8050), never vacuumed (autovacuum is off for it)',
      ],
    ]);
    expect(dead[0]!.remedy).toMatch(/^VACUUM \(VERBOSE\) public\.orders;/);
    expect(table({ liveRows: 40_001, deadRows: 9_999 })).toEqual([]);
    const overdue = table({ deadRows: 9_700_000, lastVacuumSeconds: 90_000 });
    expect(brief(overdue)).toEqual([
      [
        'warning',
        'pg.vacuum-overdue',
        'db/orders/table/public.orders',
        'public.orders has 9700000 dead rows (16.8 % of its rows; autovacuum steps in at 9600050), last vacuumed 25 h ago',
      ],
    ]);
    expect(table({ deadRows: 9_700_000, lastVacuumSeconds: 3600 })).toEqual([]);
  });

  it("a table changed past autovacuum's analyze trigger and not analyzed for a day", () => {
    expect(brief(table({ modsSinceAnalyze: 4_900_000 }))).toEqual([
      [
        'warning',
        'pg.analyze-overdue',
        'db/orders/table/public.orders',
        'public.orders has 4900000 rows changed (autovacuum analyzes at 4800050), last analyzed 3 d ago',
      ],
    ]);
    expect(table({ modsSinceAnalyze: 4_900_000, lastAnalyzeSeconds: 600 })).toEqual([]);
  });

  it('estimated bloat of half a relation and 100 MiB is named as an estimate', () => {
    const findings = judge((s) =>
      s.maintenance.bloat.push(
        {
          kind: 'index',
          name: 'public.orders_pkey',
          table: 'public.orders',
          bytes: 300 * 2 ** 20,
          wastedBytes: 150 * 2 ** 20,
        },
        {
          kind: 'index',
          name: 'public.small_idx',
          table: 'public.orders',
          bytes: 100 * 2 ** 20,
          wastedBytes: 90 * 2 ** 20,
        },
      ),
    );
    expect(brief(findings)).toEqual([
      [
        'warning',
        'pg.index-bloat',
        'db/orders/index/public.orders_pkey',
        'index public.orders_pkey is an estimated 50.0 % bloat (150.0 MiB of 300.0 MiB; an estimate from pg_stats, as check_postgres and PgHero make it)',
      ],
    ]);
    expect(findings[0]!.remedy).toBe('REINDEX INDEX CONCURRENTLY public.orders_pkey;');
  });

  it('a prepared transaction left open five minutes is critical: it holds back vacuum in every database', () => {
    const findings = judge((s) => {
      s.maintenance.preparedTransactions = [
        { gid: 'tx-42', owner: 'billing', database: 'orders', seconds: 300 },
        { gid: 'tx-43', owner: 'billing', database: 'orders', seconds: 2 },
      ];
    });
    expect(brief(findings)).toEqual([
      [
        'critical',
        'pg.prepared-transaction',
        'db/orders/prepared/tx-42',
        'prepared transaction tx-42 (billing, database orders) has been left open for 5 min: it holds its locks and keeps vacuum from cleaning anywhere',
      ],
    ]);
    expect(findings[0]!.remedy).toContain("ROLLBACK PREPARED 'tx-42';");
  });

  it('remedies quote what they name: a quote in a gid, a capital or a quote in a table name, a keyword', () => {
    const findings = judge((s) => {
      s.maintenance.preparedTransactions = [{ gid: "it's-42", owner: 'billing', database: 'Orders', seconds: 600 }];
      s.maintenance.tables[0] = { ...s.maintenance.tables[0]!, table: 'Sales.order "items"', deadRows: 40_000_000 };
      s.maintenance.tables.push({ ...s.maintenance.tables[0]!, table: 'public.user' });
    });
    const remedy = (check: string) => findings.filter((f) => f.check === check).map((f) => f.remedy);
    expect(remedy('pg.prepared-transaction')).toEqual([
      expect.stringContaining(`database "Orders": COMMIT PREPARED 'it''s-42'; or ROLLBACK PREPARED 'it''s-42';`),
    ]);
    expect(remedy('pg.dead-tuples')).toEqual([
      expect.stringMatching(/^VACUUM \(VERBOSE\) "Sales"\."order ""items"""; /),
      expect.stringMatching(/^VACUUM \(VERBOSE\) public\."user"; /),
    ]);
  });

  it('an active slot keeping 1 GiB of WAL, or 80 % of max_slot_wal_keep_size when that is lower', () => {
    const slot = (retainedBytes: number, max: number | null = null) =>
      brief(
        judge((s) => {
          s.maintenance.activeSlots = [{ name: 'cdc', retainedBytes }];
          s.maintenance.maxSlotWalKeepBytes = max;
        }),
      );
    expect(slot(2 ** 30 - 1)).toEqual([]);
    expect(slot(2 ** 30)).toEqual([
      [
        'warning',
        'pg.slot-retained-wal',
        'db/orders/slot/cdc',
        'active replication slot cdc keeps 1024 MiB of WAL (limit 1024 MiB)',
      ],
    ]);
    expect(slot(420 * 2 ** 20, 512 * 2 ** 20)).toEqual([
      [
        'warning',
        'pg.slot-retained-wal',
        'db/orders/slot/cdc',
        'active replication slot cdc keeps 420 MiB of WAL (limit 410 MiB; max_slot_wal_keep_size 512 MiB)',
      ],
    ]);
  });

  it('a transaction open for long is named once, by xact_start, whether idle or active', () => {
    const findings = judge((s) => {
      s.idleInTransaction = [{ pid: 7, user: 'app', seconds: 900, query: 'select 1' }];
      s.maintenance.longTransactions = [
        { pid: 7, user: 'app', seconds: 1000, state: 'idle in transaction', query: 'select 1' },
        { pid: 8, user: 'etl', seconds: 5400, state: 'active', query: 'insert into facts select …' },
      ];
    });
    expect(brief(findings)).toEqual([
      ['warning', 'pg.idle-in-transaction', 'db/orders', 'pid 7 (app) idle in transaction for 900 s: select 1'],
      [
        'warning',
        'pg.long-transaction',
        'db/orders',
        'pid 8 (etl) has had a transaction open for 1.5 h (active): insert into facts select …',
      ],
    ]);
  });
});

describe('judgeQueries', () => {
  const thresholds = { top: 2, slowMeanMs: 100, slowCalls: 100, rowsPerCall: 1000 };
  /** pg_stat_statements rows as pg-stats.ts returns them: ordered by total time. */
  const statements = [
    { query: 'SELECT * FROM orders WHERE id = $1', calls: 40_000, totalMs: 120_000, meanMs: 3, rows: 40_000 },
    {
      query: 'SELECT o.*\n  FROM orders o\n  JOIN order_lines l ON l.order_id = o.id\n WHERE o.customer_id = $1',
      calls: 300,
      totalMs: 90_000,
      meanMs: 300,
      rows: 300,
    },
    { query: 'SELECT * FROM audit_events', calls: 2, totalMs: 5_000, meanMs: 2_500, rows: 2_000_000 },
  ];
  const tables: TableScanRow[] = [
    { table: 'public.order_lines', seqScans: 8_123, indexScans: 12, liveRows: 1_250_000, seqTupRead: 9_000_000_000 },
    { table: 'public.small', seqScans: 8_123, indexScans: 12, liveRows: 9_999, seqTupRead: 9_000_000 },
    { table: 'public.orders', seqScans: 10, indexScans: 12, liveRows: 1_250_000, seqTupRead: 12_500_000 },
  ];
  const since = 'since the previous run 60 min ago';
  const input = (over: Partial<QueryInput>): QueryInput => ({
    statements,
    statementsInterval: since,
    tables: [],
    tablesInterval: since,
    unusedIndexes: [],
    ...over,
  });
  const unused: QueryInput['unusedIndexes'] = [
    { index: 'public.orders_note_idx', table: 'public.orders', scans: 0, bytes: 157_286_400 },
  ];

  it('lists the top statements by total and by mean time, then the slow and the row-heavy ones', () => {
    const findings = judgeQueries('orders', input({}), thresholds);
    expect(findings.map((f) => [f.severity, f.check, f.message])).toEqual([
      ['info', 'pg.top-total-time', 'top 2 queries by total time since the previous run 60 min ago'],
      ['info', 'pg.top-mean-time', 'top 2 queries by mean time since the previous run 60 min ago'],
      [
        'warning',
        'pg.slow-query',
        '300.0 ms mean over 300 calls since the previous run 60 min ago (90.0 s total): SELECT o.* FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.customer_id = $1',
      ],
      [
        'info',
        'pg.rows-per-call',
        '1000000 rows per call since the previous run 60 min ago: SELECT * FROM audit_events',
      ],
    ]);
    const queries = (i: number) => (findings[i]!.evidence as Array<{ query: string }>).map((q) => q.query);
    expect(queries(0)).toEqual([
      statements[0]!.query,
      'SELECT o.* FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE o.customer_id = $1',
    ]);
    expect(queries(1)).toEqual([
      'SELECT * FROM audit_events',
      expect.stringMatching(/^SELECT o\.\* FROM orders o JOIN/),
    ]);
  });

  it('a statement is slow only when it is also run often enough to matter', () => {
    const findings = judgeQueries('orders', input({}), { ...thresholds, slowCalls: 1 });
    expect(findings.filter((f) => f.check === 'pg.slow-query').map((f) => f.message.split(':')[0])).toEqual([
      '300.0 ms mean over 300 calls since the previous run 60 min ago (90.0 s total)',
      '2500.0 ms mean over 2 calls since the previous run 60 min ago (5.0 s total)',
    ]);
  });

  it('without pg_stat_statements says why and how to install it, and still judges tables and indexes', () => {
    const findings = judgeQueries(
      'orders',
      input({
        statements: null,
        missingReason: 'the pg_stat_statements extension is not installed in this database',
        tables,
        unusedIndexes: unused,
      }),
      thresholds,
    );
    expect(findings.map((f) => [f.severity, f.check, f.resource, f.message])).toEqual([
      [
        'warning',
        'pg.stat-statements',
        'db/orders',
        'no query statistics: the pg_stat_statements extension is not installed in this database',
      ],
      [
        'warning',
        'pg.seq-scans',
        'db/orders/table/public.order_lines',
        'public.order_lines (1250000 rows) was read by sequential scans 8123 times against 12 index scans since the previous run 60 min ago',
      ],
      [
        'info',
        'pg.unused-index',
        'db/orders/index/public.orders_note_idx',
        'index public.orders_note_idx on public.orders was used 0 times since statistics were reset (150.0 MiB)',
      ],
    ]);
    expect(findings[0]!.remedy).toContain('shared_preload_libraries');
    expect(findings[2]!.remedy).toBe(
      'If replicas do not use it either: DROP INDEX CONCURRENTLY public.orders_note_idx; it costs every write.',
    );
  });
});

describe('db-health params', () => {
  it('rejects a critical wraparound share below the warning one, naming both values', () => {
    const parsed = dbHealthParams.safeParse({ database: 'orders', wraparoundWarn: 0.8, wraparoundCritical: 0.6 });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['wraparoundCritical', 'must be at least wraparoundWarn (0.8); got 0.6'],
    ]);
    expect(dbHealthParams.parse({ database: 'orders' })).toMatchObject({
      wraparoundWarn: 0.5,
      wraparoundCritical: 0.75,
      preparedTransaction: 300_000,
      longTransaction: 300_000,
      maintenanceAge: 86_400_000,
      slotWalBytes: 2 ** 30,
      bloatBytes: 100 * 2 ** 20,
    });
  });
});
