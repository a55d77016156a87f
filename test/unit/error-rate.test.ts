import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  budgetRemaining,
  burnRate,
  burnWindows,
  DEFAULT_BURN_TIERS,
  errorRate,
  judgeBurnTiers,
  type WindowCount,
} from '../../src/analysis/error-rate.js';
import { parseExposition } from '../../src/analysis/prometheus-text.js';
import { errorRateParams } from '../../src/jobs/error-rate.js';

const scrape = (name: string) => parseExposition(readFileSync(`test/fixtures/metrics/${name}`, 'utf8'));
const spec = { metric: 'http_requests_total', statusLabels: ['status', 'code'] };

describe('parseExposition', () => {
  it('reads samples, labels with escapes, timestamps and TYPE lines', () => {
    const { samples, types, errors } = scrape('checkout-1.prom');
    expect(errors).toEqual([]);
    expect(samples).toHaveLength(11);
    expect(types.get('http_request_duration_seconds')).toBe('histogram');
    expect(samples.find((s) => s.name === 'build_info')!.labels).toEqual({ version: '2.4.1', commit: 'a1b"c\\d' });
    expect(samples.find((s) => s.labels.le === '+Inf')!.value).toBe(23391);
    expect(samples.find((s) => s.name === 'process_start_time_seconds')!.value).toBe(1795708800);
  });

  it('names each line it cannot read', () => {
    const { samples, errors } = parseExposition(
      'ok_metric 1\n{bad} 2\nno_value{a="b"}\nx{a=b} 3\ny 1 2 3\n# TYPE z flavour\n',
    );
    expect(samples.map((s) => s.name)).toEqual(['ok_metric']);
    expect(errors).toEqual([
      'line 2: expected a metric name',
      'line 3: no_value has no numeric value',
      'line 4: expected ="..." after label a',
      'line 5: unexpected text after the value of y',
      'line 6: malformed TYPE line',
    ]);
  });
});

describe('errorRate from two scrapes', () => {
  it('sums increases, counts 5xx, and treats a counter that went down as reset', () => {
    const rate = errorRate(scrape('checkout-1.prom').samples, scrape('checkout-2.prom').samples, spec, 100);
    // 900 + 180 + 60 (503) + 3 (400) + 3 (health reset: 991 → 3) + 5 (new 502 series)
    expect(rate).toEqual({ requests: 1151, errors: 65, ratio: 65 / 1151 });
  });

  it('gives no verdict below the minimum traffic', () => {
    const before = parseExposition('http_requests_total{code="200"} 10\n').samples;
    const after = parseExposition('http_requests_total{code="200"} 11\nhttp_requests_total{code="500"} 2\n').samples;
    expect(errorRate(before, after, spec, 10)).toEqual({ requests: 3, errors: 2, ratio: null });
  });
});

describe('burn rates (SRE workbook, SLO 99.9 %)', () => {
  it('computes burn and the budget left', () => {
    expect(burnRate(0.0144, 0.999)).toBeCloseTo(14.4);
    expect(budgetRemaining(0.0005, 0.999)).toBeCloseTo(0.5);
  });

  /** Counts per window from an error ratio per window, at `requests` requests each. */
  const counts = (ratios: Record<string, number>, requests = 10_000): Record<string, WindowCount> =>
    Object.fromEntries(Object.entries(ratios).map(([w, r]) => [w, { requests, errors: r * requests }]));
  const fired = (c: Record<string, WindowCount>, min = 100) =>
    judgeBurnTiers(c, 0.999, min)
      .filter((t) => t.fired)
      .map((t) => `${t.severity} ${t.factor}x ${t.long.name}/${t.short.name}`);
  const quiet = { '5m': 0, '30m': 0, '1h': 0, '2h': 0, '6h': 0, '1d': 0, '3d': 0 };

  it('has the workbook tiers: two pages (critical), two tickets (warning), short windows 1/12 of the long', () => {
    expect(DEFAULT_BURN_TIERS.map((t) => [t.kind, t.severity, t.long.name, t.short.name, t.factor])).toEqual([
      ['page', 'critical', '1h', '5m', 14.4],
      ['page', 'critical', '6h', '30m', 6],
      ['ticket', 'warning', '1d', '2h', 3],
      ['ticket', 'warning', '3d', '6h', 1],
    ]);
    for (const t of DEFAULT_BURN_TIERS) expect(t.long.ms / t.short.ms).toBe(12);
    expect(burnWindows().map((w) => w.name)).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d']);
  });

  it('decides each tier on both of its windows (the decision table)', () => {
    expect(fired(counts(quiet))).toEqual([]);
    // A fast burn: 2 % errors for the last 2 hours burns 20x over 1h and 5m, 6.7x over 6h.
    expect(fired(counts({ ...quiet, '5m': 0.02, '30m': 0.02, '1h': 0.02, '2h': 0.02, '6h': 0.0067 }))).toEqual([
      'critical 14.4x 1h/5m',
      'critical 6x 6h/30m',
    ]);
    // 6x over 6h and 30m is a page (critical), not a warning.
    expect(fired(counts({ ...quiet, '30m': 0.007, '6h': 0.007, '1h': 0.007, '5m': 0.007 }))).toEqual([
      'critical 6x 6h/30m',
    ]);
    // The 5 m window has recovered: the 1 h page is quiet.
    expect(fired(counts({ ...quiet, '1h': 0.02, '5m': 0.001 }))).toEqual([]);
    // A steady 0.4 % for three days: both tickets, no page.
    const steady = Object.fromEntries(Object.keys(quiet).map((w) => [w, 0.004]));
    expect(fired(counts(steady))).toEqual(['warning 3x 1d/2h', 'warning 1x 3d/6h']);
    // 0.15 % for three days: only the slowest ticket.
    expect(fired(counts({ ...quiet, '3d': 0.0015, '6h': 0.0015 }))).toEqual(['warning 1x 3d/6h']);
    // Exactly at the factor fires (the workbook's >=).
    expect(fired(counts({ ...quiet, '3d': 0.001, '6h': 0.001 }))).toEqual(['warning 1x 3d/6h']);
  });

  it('applies the minimum of traffic to each window of a tier, not to the base window, and reports every tier', () => {
    // 60 requests a minute: under 100 in a 1-minute base window, thousands over 1 h.
    const perMinute = 60;
    const traffic: Record<string, WindowCount> = {};
    for (const w of burnWindows()) {
      const requests = (w.ms / 60_000) * perMinute;
      // 2 % of requests failed over the last 2 hours, none before.
      traffic[w.name] = { requests, errors: requests * 0.02 * (Math.min(w.ms, 7_200_000) / w.ms) };
    }
    const tiers = judgeBurnTiers(traffic, 0.999, 100);
    expect(tiers.map((t) => t.fired)).toEqual([true, true, false, false]);
    expect(tiers[0]).toMatchObject({
      longBurn: expect.closeTo(20, 5),
      shortBurn: expect.closeTo(20, 5),
      shortRequests: 300,
    });
    // A quiet night: 10 requests in the last 5 minutes is too few to judge the first page, which says so.
    const night = { ...traffic, '5m': { requests: 10, errors: 10 } };
    const [first, ...rest] = judgeBurnTiers(night, 0.999, 100);
    expect(first).toMatchObject({
      fired: false,
      longBurn: expect.closeTo(20, 5),
      shortBurn: expect.closeTo(1000, 5),
      shortRequests: 10,
    });
    expect(first!.skipped).toBe('too little traffic: 10 requests over 5m (under 100)');
    expect(rest.map((t) => [t.fired, t.skipped])).toEqual([
      [true, undefined],
      [false, undefined],
      [false, undefined],
    ]);
    // A window without data is not judged either.
    expect(judgeBurnTiers({}, 0.999, 1)[3]!.skipped).toBe(
      'too little traffic: 0 requests over 3d, 0 requests over 6h (under 1)',
    );
  });

  it('never fires a tier with a window under the minimum, and more errors never quiet a tier (any counts)', () => {
    const count = fc.record({ requests: fc.nat(1_000_000), errorShare: fc.double({ min: 0, max: 1, noNaN: true }) });
    const windows = fc.record(Object.fromEntries(burnWindows().map((w) => [w.name, count])));
    fc.assert(
      fc.property(
        windows,
        fc.integer({ min: 1, max: 1000 }),
        fc.double({ min: 0.5, max: 0.9999, noNaN: true }),
        (ws, min, slo) => {
          const c = Object.fromEntries(
            Object.entries(ws).map(([w, x]) => [w, { requests: x.requests, errors: x.requests * x.errorShare }]),
          );
          const worse = Object.fromEntries(
            Object.entries(ws).map(([w, x]) => [
              w,
              { requests: x.requests, errors: x.requests * Math.min(1, x.errorShare * 2) },
            ]),
          );
          const now = judgeBurnTiers(c, slo, min);
          const after = judgeBurnTiers(worse, slo, min);
          now.forEach((t, i) => {
            const thin = c[t.long.name]!.requests < min || c[t.short.name]!.requests < min;
            expect(t.fired && thin).toBe(false);
            expect(Boolean(t.skipped)).toBe(thin);
            if (t.fired) expect(after[i]!.fired).toBe(true);
          });
        },
      ),
    );
  });
});

describe('error-rate params', () => {
  it('bounds the SLO period a trigger may set, naming the field and what is allowed', () => {
    expect(errorRateParams.parse({ service: 's', slo: { target: 0.999 } }).slo!.period).toBe(30 * 86_400_000);
    const refused = errorRateParams.safeParse({ service: 's', slo: { target: 0.999, period: '3650d' } });
    expect(refused.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'slo.period: must be from 1h to 366d',
    ]);
  });
});
