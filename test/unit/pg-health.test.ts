/**
 * PgHero's checks on statistics shaped as src/integrations/pg-stats.ts reads them from an
 * `orders` database: a healthy database gives nothing, and each trouble gives its finding,
 * with the severity, the numbers and the command an operator would run.
 */
import {
  judgePgHealth,
  judgeQueries,
  pgHealthDefaults,
  type PgStats,
  type QueryInput,
  type TableScanRow,
} from '../../src/analysis/pg-health.js';

/** A healthy primary: 12 of 100 connections, a warm cache, far from wraparound, no standbys. */
const healthy = (): PgStats => ({
  database: 'orders',
  serverVersion: '16.4',
  connections: { total: 12, max: 100 },
  idleInTransaction: [],
  longRunning: [],
  blocked: [],
  cacheHit: {
    table: 0.9993,
    index: 0.9981,
    tableReads: 4_812_334,
    indexReads: 9_120_442,
    interval: 'since the previous run 60 min ago',
  },
  replication: { isReplica: false, replicaLagSeconds: null, standbys: [] },
  inactiveSlots: [],
  wraparound: { age: 200_000_000, remaining: 1_947_483_647 },
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

  it('judges cache hit rates below 99 %, once enough blocks were read to mean something', () => {
    const interval = 'since the previous run 60 min ago';
    const findings = judge(
      (s) => (s.cacheHit = { table: 0.942, index: 0.5, tableReads: 120_000, indexReads: 999, interval }),
    );
    expect(brief(findings)).toEqual([
      [
        'warning',
        'pg.table-cache-hit-rate',
        'db/orders',
        'table cache hit rate 94.2 % over 120000 blocks read since the previous run 60 min ago, below 99.0 %',
      ],
    ]);
    expect(findings[0]!.evidence).toEqual({ rate: 0.942, reads: 120_000, interval });
    expect(judge((s) => (s.cacheHit = { table: null, index: null, tableReads: 0, indexReads: 0, interval }))).toEqual(
      [],
    );
  });

  it('reports a lagging replica, lagging standbys and inactive slots with the WAL they hold', () => {
    const findings = judge((s) => {
      s.replication = {
        isReplica: true,
        replicaLagSeconds: 125.4,
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
    expect(judge((s) => (s.replication.replicaLagSeconds = 500))).toEqual([]);
  });

  it('warns about wraparound under 100 million transaction IDs left, critical under 10 million', () => {
    const left = (remaining: number) =>
      brief(judge((s) => (s.wraparound = { age: 2_147_483_647 - remaining, remaining })));
    expect(left(100_000_000)).toEqual([]);
    expect(left(95_000_000)).toEqual([
      ['warning', 'pg.transaction-id-wraparound', 'db/orders', '95,000,000 transaction IDs left before wraparound'],
    ]);
    expect(left(9_000_000)[0]![0]).toBe('critical');
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
      s.wraparound = { age: 2_100_000_000, remaining: 47_483_647 };
      s.inactiveSlots = [{ name: 'slot', retainedBytes: 0 }];
      s.cacheHit.table = 0.5;
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
      'pg.table-cache-hit-rate',
      'pg.inactive-replication-slot',
      'pg.transaction-id-wraparound',
      'pg.sequence-exhaustion',
      'pg.invalid-index',
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
