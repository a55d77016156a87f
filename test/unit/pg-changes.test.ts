/**
 * query-analysis and db-health judge PostgreSQL's lifetime counters by what changed since
 * their previous run: pg_stat_statements per statement, pg_stat_user_tables per table and
 * pg_stat_database's block counters. Recorded readings an hour apart.
 */
import fc from 'fast-check';
import {
  asQuerySnapshot,
  cacheHitSince,
  queryChanges,
  type PgReading,
  type QueryStats,
  type StatementRow,
} from '../../src/analysis/pg-health.js';

const RESET = '2026-11-20T08:00:00.000Z';
const stats = (statements: StatementRow[] | null, over: Partial<QueryStats> = {}): QueryStats => ({
  statements,
  statementsReset: RESET,
  statementsTruncated: false,
  tables: [{ table: 'public.orders', seqScans: 500, indexScans: 90_000, liveRows: 2_000_000, seqTupRead: 9e8 }],
  tablesReset: null,
  tablesTruncated: false,
  server: '7714329898513827578:1@10.0.0.5:5432',
  unusedIndexes: [],
  ...over,
});
const slowFixed: StatementRow = {
  id: '-7019:10:16384',
  query: 'SELECT * FROM orders WHERE note = $1',
  calls: 400,
  totalMs: 120_000,
  rows: 400,
};
const fast: StatementRow = {
  id: '311:10:16384',
  query: 'SELECT * FROM orders WHERE id = $1',
  calls: 90_000,
  totalMs: 45_000,
  rows: 90_000,
};

describe('queryChanges', () => {
  it('the first run judges everything since pg_stat_statements was last reset', () => {
    const c = queryChanges(null, stats([slowFixed, fast]), '2026-12-01T09:00:00.000Z');
    expect(c.statementsInterval).toBe('since pg_stat_statements was last reset 11 d ago');
    expect(c.statements!.map((s) => [s.calls, s.meanMs])).toEqual([
      [400, 300],
      [90_000, 0.5],
    ]);
    expect(c.tablesInterval).toBe('since the table statistics were last reset');
  });

  it('a slow query not run since the previous run is not judged again; one still run is judged on its new calls only', () => {
    const first = queryChanges(null, stats([slowFixed, fast]), '2026-12-01T09:00:00.000Z');
    const again = { ...fast, calls: 90_100, totalMs: 45_000 + 100 * 40, rows: 90_100 };
    const c = queryChanges(first.snapshot, stats([slowFixed, again]), '2026-12-01T10:00:00.000Z');
    expect(c.statementsInterval).toBe('since the previous run 60 min ago');
    expect(c.statements).toEqual([{ query: fast.query, calls: 100, totalMs: 4000, meanMs: 40, rows: 100 }]);
  });

  it('a statement new since the previous run, or counted again after eviction, counts whole', () => {
    const first = queryChanges(null, stats([slowFixed, fast]), '2026-12-01T09:00:00.000Z');
    const evicted = { ...slowFixed, calls: 3, totalMs: 900, rows: 3 };
    const added: StatementRow = { id: '99:10:16384', query: 'SELECT 1', calls: 7, totalMs: 7, rows: 7 };
    const c = queryChanges(first.snapshot, stats([evicted, fast, added]), '2026-12-01T10:00:00.000Z');
    expect(c.statements!.map((s) => [s.query, s.calls, s.totalMs])).toEqual([
      [slowFixed.query, 3, 900],
      ['SELECT 1', 7, 7],
    ]);
  });

  it('after pg_stat_statements_reset() everything counts since the reset, and the finding says so', () => {
    const first = queryChanges(null, stats([slowFixed, fast]), '2026-12-01T09:00:00.000Z');
    const c = queryChanges(
      first.snapshot,
      stats([{ ...fast, calls: 90_500 }], { statementsReset: '2026-12-01T09:30:00.000Z' }),
      '2026-12-01T10:00:00.000Z',
    );
    expect(c.statementsInterval).toBe('since the counters were reset 30 min ago');
    expect(c.statements!.map((s) => s.calls)).toEqual([90_500]);
  });

  it('counters another server counted are no baseline, even with the same stats_reset (never reset on both)', () => {
    const first = queryChanges(null, stats([slowFixed, fast]), '2026-12-01T09:00:00.000Z');
    // A failover: the standby shares the primary's system_identifier, not its address or timeline.
    const standby = '7714329898513827578:2@10.0.0.6:5432';
    const more = { ...fast, calls: 95_000, totalMs: 50_000, rows: 95_000 };
    const c = queryChanges(first.snapshot, stats([more], { server: standby }), '2026-12-01T10:00:00.000Z');
    expect(c.statements!.map((s) => s.calls)).toEqual([95_000]);
    expect(c.statementsInterval).toBe('since pg_stat_statements was last reset 11.1 d ago');
    expect(c.tables[0]!.seqScans).toBe(500);
    expect(c.tablesInterval).toBe('since the table statistics were last reset');
    // Back on the same server, the next run judges the change again.
    const next = queryChanges(
      c.snapshot,
      stats([{ ...more, calls: 95_010 }], { server: standby }),
      '2026-12-01T11:00:00.000Z',
    );
    expect(next.statements!.map((s) => s.calls)).toEqual([10]);
  });

  it('a run that cannot read pg_stat_statements keeps the previous statements as the baseline of the next', () => {
    const first = queryChanges(null, stats([slowFixed, fast]), '2026-12-01T09:00:00.000Z');
    const failed = queryChanges(
      asQuerySnapshot(JSON.parse(JSON.stringify(first.snapshot))),
      stats(null, { missingReason: 'canceling statement due to statement timeout' }),
      '2026-12-01T10:00:00.000Z',
    );
    expect(failed.statements).toBeNull();
    const again = { ...fast, calls: 90_200, totalMs: 45_200, rows: 90_200 };
    const c = queryChanges(
      asQuerySnapshot(JSON.parse(JSON.stringify(failed.snapshot))),
      stats([slowFixed, again]),
      '2026-12-01T11:00:00.000Z',
    );
    expect(c.statements).toEqual([{ query: fast.query, calls: 200, totalMs: 200, meanMs: 1, rows: 200 }]);
    expect(c.statementsInterval).toBe('since the previous run 2 h ago');
  });

  it('when the previous read stopped at its limit, an item it did not see is kept for the next run, not judged whole', () => {
    const edge: StatementRow = {
      id: '42:10:16384',
      query: 'SELECT * FROM edge',
      calls: 5_000,
      totalMs: 500_000,
      rows: 5,
    };
    const edgeTable = { table: 'public.edge', seqScans: 9_000, indexScans: 0, liveRows: 50_000, seqTupRead: 4.5e8 };
    const full = { statementsTruncated: true, tablesTruncated: true };
    const first = queryChanges(null, stats([fast], full), '2026-12-01T09:00:00.000Z');
    const withEdge = stats([fast, edge], { ...full, tables: [...stats(null).tables, edgeTable] });
    const c = queryChanges(first.snapshot, withEdge, '2026-12-01T10:00:00.000Z');
    expect(c.statements!.map((s) => s.query)).not.toContain(edge.query);
    expect(c.tables.map((t) => t.table)).toEqual(['public.orders']);
    const later = stats([fast, { ...edge, calls: 5_010, totalMs: 501_000 }], {
      ...full,
      tables: [...stats(null).tables, { ...edgeTable, seqScans: 9_004 }],
    });
    const next = queryChanges(c.snapshot, later, '2026-12-01T11:00:00.000Z');
    expect(next.statements!.map((s) => [s.query, s.calls])).toEqual([[edge.query, 10]]);
    expect(next.tables.find((t) => t.table === 'public.edge')!.seqScans).toBe(4);
    // A complete previous read: an item it did not see is new since, and counts whole.
    const complete = queryChanges(null, stats([fast]), '2026-12-01T09:00:00.000Z');
    expect(queryChanges(complete.snapshot, stats([fast, edge]), '2026-12-01T10:00:00.000Z').statements).toEqual([
      expect.objectContaining({ query: edge.query, calls: 5_000 }),
    ]);
  });

  it('tables are judged on the scans since the previous run', () => {
    const first = queryChanges(null, stats(null), '2026-12-01T09:00:00.000Z');
    const later = stats(null, {
      tables: [{ table: 'public.orders', seqScans: 540, indexScans: 90_010, liveRows: 2_000_000, seqTupRead: 9.8e8 }],
    });
    const c = queryChanges(first.snapshot, later, '2026-12-01T10:00:00.000Z');
    expect(c.statements).toBeNull();
    expect(c.tables).toEqual([
      { table: 'public.orders', seqScans: 40, indexScans: 10, liveRows: 2_000_000, seqTupRead: 8e7 },
    ]);
    expect(c.tablesInterval).toBe('since the previous run 60 min ago');
  });

  it('reads a kept snapshot back untrusted: anything malformed is dropped, never trusted', () => {
    expect(asQuerySnapshot(null)).toBeNull();
    expect(asQuerySnapshot({ tables: { at: 'soon', epoch: null, counts: {} } })).toBeNull();
    expect(
      asQuerySnapshot({
        statements: { at: '2026-12-01T09:00:00Z', epoch: 7, counts: {} },
        tables: { at: '2026-12-01T09:00:00Z', epoch: null, counts: { a: [1, 2, 3], b: [1, -2, 3], c: 'x', d: [1, 2] } },
      }),
    ).toEqual({
      statements: null,
      tables: { at: '2026-12-01T09:00:00Z', epoch: null, counts: { a: [1, 2, 3] }, truncated: false },
    });
  });

  it('never judges a negative change, whatever two readings come in', () => {
    const row = fc.record({
      id: fc.constantFrom('1:1:1', '2:1:1', '3:1:1'),
      query: fc.constant('q'),
      calls: fc.nat(),
      totalMs: fc.double({ min: 0, max: 1e9, noNaN: true }),
      rows: fc.nat(),
    });
    const rows = fc.uniqueArray(row, { selector: (r) => r.id, maxLength: 3 });
    fc.assert(
      fc.property(rows, rows, fc.boolean(), (a, b, sameReset) => {
        const first = queryChanges(null, stats(a), '2026-12-01T09:00:00.000Z');
        const c = queryChanges(
          asQuerySnapshot(JSON.parse(JSON.stringify(first.snapshot))),
          stats(b, sameReset ? {} : { statementsReset: '2026-12-01T09:10:00.000Z' }),
          '2026-12-01T10:00:00.000Z',
        );
        return c.statements!.every((s) => s.calls > 0 && s.totalMs >= 0 && s.rows >= 0);
      }),
    );
  });

  it('keeps the snapshot under the 1 MiB the store allows, for the most pg-stats.ts reads', () => {
    const big = 2 ** 63;
    const rows = Array.from({ length: 5500 }, (_, i) => ({
      id: `-922337203685477${String(i).padStart(4, '0')}:4294967295:4294967295`,
      query: 'q',
      calls: big,
      totalMs: 123_456_789_012.123,
      rows: big,
    }));
    const tables = Array.from({ length: 1000 }, (_, i) => ({
      table: `${'s'.repeat(63)}.${'t'.repeat(58)}${String(i).padStart(5, '0')}`,
      seqScans: big,
      indexScans: big,
      liveRows: big,
      seqTupRead: big,
    }));
    const c = queryChanges(null, stats(rows, { tables }), '2026-12-01T09:00:00.000Z');
    expect(Buffer.byteLength(JSON.stringify(c.snapshot))).toBeLessThan(2 ** 20);
  });
});

describe('cacheHitSince', () => {
  const reading = (hit: number, read: number, statsReset: string | null = null, server = 'A:1@10.0.0.5:5432') =>
    ({ cacheCounters: { hit, read, statsReset, server } }) as unknown as PgReading;

  it('a cold start a month ago no longer weighs on the hit rate: only the blocks read since the previous run count', () => {
    const first = cacheHitSince(null, reading(9_000_000, 1_000_000), '2026-12-01T09:00:00.000Z');
    expect(first.stats.cacheHit).toMatchObject({ rate: 0.9, reads: 10_000_000 });
    expect(first.stats.cacheHit.interval).toBe('since the statistics were last reset');
    const second = cacheHitSince(
      JSON.parse(JSON.stringify(first.keep)),
      reading(9_999_000, 1_000_010),
      '2026-12-01T10:00:00.000Z',
    );
    expect(second.stats.cacheHit.reads).toBe(999_010);
    expect(second.stats.cacheHit.rate).toBeCloseTo(999_000 / 999_010, 10);
    expect(second.stats.cacheHit.interval).toBe('since the previous run 60 min ago');
  });

  it('another server behind the same database entry is judged over its own lifetime, not as a change from the first', () => {
    const first = cacheHitSince(null, reading(9_000_000, 1_000_000), '2026-12-01T09:00:00.000Z');
    const other = cacheHitSince(
      JSON.parse(JSON.stringify(first.keep)),
      reading(9_500_000, 1_200_000, null, 'A:2@10.0.0.6:5432'),
      '2026-12-01T10:00:00.000Z',
    );
    expect(other.stats.cacheHit).toMatchObject({
      reads: 10_700_000,
      interval: 'since the statistics were last reset',
    });
  });
});
