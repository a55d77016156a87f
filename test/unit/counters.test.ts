import fc from 'fast-check';
import { asReading, counterChange, describeInterval, type CounterReading } from '../../src/analysis/counters.js';

const reading = (
  at: string,
  values: Record<string, number>,
  epoch = 'a',
  since: string | null = null,
): CounterReading => ({
  at,
  epoch,
  since,
  values,
});

describe('counterChange', () => {
  it('judges the first reading since counting started, over the uptime', () => {
    const c = counterChange(null, reading('2026-12-01T10:00:00Z', { evicted: 40 }, 'a', '2026-11-30T10:00:00Z'));
    expect(c).toEqual({
      deltas: { evicted: 40 },
      from: '2026-11-30T10:00:00Z',
      to: '2026-12-01T10:00:00Z',
      seconds: 86_400,
      basis: 'start',
    });
    expect(describeInterval(c, 'Redis started')).toBe('since Redis started 24 h ago');
  });

  it('takes the change since the previous reading: an eviction yesterday is 0 today', () => {
    const c = counterChange(
      reading('2026-12-01T09:00:00Z', { evicted: 40, rejected: 2 }),
      reading('2026-12-01T10:00:00Z', { evicted: 40, rejected: 5 }),
    );
    expect(c.deltas).toEqual({ evicted: 0, rejected: 3 });
    expect(c.basis).toBe('previous');
    expect(describeInterval(c)).toBe('since the previous run 60 min ago');
  });

  it('a new epoch (restart) counts everything since the restart', () => {
    const c = counterChange(
      reading('2026-12-01T09:00:00Z', { evicted: 40 }, 'a'),
      reading('2026-12-01T10:00:00Z', { evicted: 50 }, 'b', '2026-12-01T09:30:00Z'),
    );
    expect(c).toMatchObject({ deltas: { evicted: 50 }, from: '2026-12-01T09:30:00Z', seconds: 1800, basis: 'reset' });
  });

  it('a new epoch that started before the previous reading is another server (failover): judged since it started', () => {
    const c = counterChange(
      reading('2026-12-01T09:00:00Z', { evicted: 40 }, 'old-primary'),
      reading('2026-12-01T10:00:00Z', { evicted: 5_000_000 }, 'new-primary', '2026-11-26T10:00:00Z'),
    );
    expect(c).toMatchObject({ deltas: { evicted: 5_000_000 }, from: '2026-11-26T10:00:00Z', basis: 'start' });
    expect(describeInterval(c, 'Redis started')).toBe('since Redis started 5 d ago');
  });

  it('a span never reads as negative when the clock went back', () => {
    const c = counterChange(reading('2026-12-01T10:00:00Z', { x: 1 }), reading('2026-12-01T09:59:00Z', { x: 2 }));
    expect(describeInterval(c)).toBe('since the previous run 0 s ago');
  });

  it('a counter that went down means they were all reset (CONFIG RESETSTAT, pg_stat_reset), at most one interval ago', () => {
    const c = counterChange(
      reading('2026-12-01T09:00:00Z', { evicted: 40, hits: 100 }),
      reading('2026-12-01T10:00:00Z', { evicted: 3, hits: 150 }),
    );
    // hits restarted from zero with the rest: all 150 are since the reset, not 50.
    expect(c.deltas).toEqual({ evicted: 3, hits: 150 });
    expect(c.basis).toBe('reset-within');
    expect(c.from).toBe('2026-12-01T09:00:00Z');
    expect(describeInterval(c)).toBe('since the counters were reset, at most 60 min ago');
  });

  it('never gives a negative change, for any two readings', () => {
    const values = fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.nat());
    fc.assert(
      fc.property(values, values, fc.boolean(), (before, after, sameEpoch) => {
        const c = counterChange(
          reading('2026-12-01T09:00:00Z', before, 'x'),
          reading('2026-12-01T10:00:00Z', after, sameEpoch ? 'x' : 'y'),
        );
        for (const [k, v] of Object.entries(c.deltas)) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(after[k]!);
        }
      }),
    );
  });

  it('reads back only what has the shape of a reading', () => {
    expect(asReading(null)).toBeNull();
    expect(asReading({ at: 'yesterday', epoch: null, since: null, values: {} })).toBeNull();
    expect(
      asReading({ at: '2026-12-01T09:00:00Z', epoch: 'a', since: null, values: { x: 1, y: 'no', z: null } }),
    ).toEqual({ at: '2026-12-01T09:00:00Z', epoch: 'a', since: null, values: { x: 1 } });
  });
});
