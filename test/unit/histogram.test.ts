import fc from 'fast-check';
import {
  bucketOf,
  bucketOfMetric,
  bucketValue,
  fromPrometheusBuckets,
  histogramMetrics,
  histogramOf,
  MAX_MS,
  mergeHistograms,
  MIN_MS,
  quantileOf,
  RELATIVE_ERROR,
} from '../../src/analysis/histogram.js';
import { percentile } from '../../src/analysis/percentiles.js';

const ms = fc.double({ min: MIN_MS * 1.0001, max: MAX_MS * 0.9999, noNaN: true });
const Q = [0.5, 0.95, 0.99];

describe('log-scale histograms of response times', () => {
  it('every value is within the relative error of its bucket', () => {
    fc.assert(
      fc.property(ms, (v) => {
        expect(Math.abs(bucketValue(bucketOf(v)) - v) / v).toBeLessThanOrEqual(RELATIVE_ERROR + 1e-12);
      }),
    );
    expect(RELATIVE_ERROR).toBeCloseTo(0.0476, 4);
  });

  it('a percentile from the histogram is within the relative error of the exact nearest-rank one', () => {
    fc.assert(
      fc.property(fc.array(ms, { minLength: 1, maxLength: 300 }), (samples) => {
        const h = histogramOf(samples);
        for (const q of Q) {
          const exact = percentile(samples, q * 100);
          expect(Math.abs(quantileOf(h, q)! - exact) / exact).toBeLessThanOrEqual(RELATIVE_ERROR + 1e-9);
        }
      }),
    );
  });

  it('merging histograms is the histogram of all the samples: runs add up exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.array(ms, { maxLength: 50 }), { minLength: 1, maxLength: 10 }), (runs) => {
        const merged = mergeHistograms(runs.map((r) => histogramOf(r)));
        const all = histogramOf(runs.flat());
        expect([...merged].sort(([a], [b]) => a - b)).toEqual([...all].sort(([a], [b]) => a - b));
        for (const q of Q) expect(quantileOf(merged, q)).toBe(quantileOf(all, q));
      }),
    );
  });

  it('recorded runs: the mean of per-run p95s is not the p95, the merged histogram is', () => {
    // Nine quiet runs (100 probes at 20 ms each) and one bad one (100 probes at 900 ms).
    const runs = [...Array.from({ length: 9 }, () => Array(100).fill(20)), Array(100).fill(900)];
    const meanOfP95s = runs.reduce((s, r) => s + percentile(r, 95), 0) / runs.length;
    expect(meanOfP95s).toBe(108); // what averaging said
    const p95 = quantileOf(mergeHistograms(runs.map((r) => histogramOf(r))), 0.95)!;
    expect(percentile(runs.flat(), 95)).toBe(900); // the truth: 10 % of all probes took 900 ms
    expect(Math.abs(p95 - 900) / 900).toBeLessThanOrEqual(RELATIVE_ERROR);
  });

  it("reads a Prometheus histogram's buckets as histogram_quantile does (linear within a bucket)", () => {
    // 100 requests: 50 up to 100 ms, 40 in (100, 200] ms, 10 in (200, 400] ms, none above.
    const h = fromPrometheusBuckets([
      { le: 0.1, count: 50 },
      { le: 0.2, count: 90 },
      { le: 0.4, count: 100 },
      { le: Infinity, count: 100 },
    ]);
    const total = [...h.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeCloseTo(100, 9);
    // histogram_quantile: p50 = 100 ms, p95 = 200 + (95 − 90)/10 × 200 = 300 ms, p99 = 380 ms.
    for (const [q, expected] of [
      [0.5, 100],
      [0.95, 300],
      [0.99, 380],
    ] as const)
      expect(Math.abs(quantileOf(h, q)! - expected) / expected).toBeLessThanOrEqual(RELATIVE_ERROR + 0.01);
    // What is above the highest finite bound counts at that bound.
    expect(
      quantileOf(
        fromPrometheusBuckets([
          { le: 0.5, count: 0 },
          { le: Infinity, count: 7 },
        ]),
        0.5,
      ),
    ).toBeCloseTo(bucketValue(bucketOf(500)));
  });

  it('keeps a histogram as run metrics and reads it back, ignoring any other metric name', () => {
    const h = histogramOf([1, 1, 50, 50, 50, 2000]);
    const metrics = histogramMetrics(h, 'latencyBucket');
    expect(Object.keys(metrics)).toEqual([
      `latencyBucket${bucketOf(1)}`,
      `latencyBucket${bucketOf(50)}`,
      `latencyBucket${bucketOf(2000)}`,
    ]);
    expect(Object.values(metrics)).toEqual([2, 3, 1]);
    const back = new Map(Object.entries(metrics).map(([k, v]) => [bucketOfMetric(k, 'latencyBucket')!, v]));
    expect(back).toEqual(h);
    for (const junk of ['latencyBucket', 'latencyBucketx', 'latencyBucket99999', 'latencyBucket1.5', 'p95Ms'])
      expect(bucketOfMetric(junk, 'latencyBucket')).toBeNull();
  });

  it('clamps what is out of range, and an empty histogram has no percentile', () => {
    expect(bucketOf(0)).toBe(bucketOf(MIN_MS));
    expect(bucketOf(-5)).toBe(bucketOf(MIN_MS));
    expect(bucketOf(Number.NaN)).toBe(bucketOf(MIN_MS));
    expect(bucketOf(1e12)).toBe(bucketOf(MAX_MS));
    expect(quantileOf(new Map(), 0.5)).toBeNull();
    expect(
      new Set(Array.from({ length: 10_000 }, (_, i) => bucketOf(MIN_MS * 1.0001 ** (i * 20)))).size,
    ).toBeLessThanOrEqual(184);
  });
});
