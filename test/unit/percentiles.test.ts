/** Nearest-rank percentiles, as latency-check summarizes its probes. */
import { percentile, summarize } from '../../src/analysis/percentiles.js';

describe('percentile (nearest rank)', () => {
  // The textbook example: the pth percentile is the value at rank ceil(p/100 × n).
  const sample = [15, 20, 35, 40, 50];

  it.each([
    [5, 15],
    [25, 20],
    [30, 20],
    [40, 20],
    [50, 35],
    [100, 50],
  ])('p%d of 15, 20, 35, 40, 50 is %d', (p, value) => expect(percentile(sample, p)).toBe(value));

  it('clamps p0 to the smallest value and anything over p100 to the largest', () => {
    expect([percentile(sample, 0), percentile(sample, 150)]).toEqual([15, 50]);
  });

  it("sorts numerically and leaves the caller's array as it was", () => {
    const latencies = [1000, 9, 100, 10];
    expect(percentile(latencies, 25)).toBe(9); // a string sort would put 10 first
    expect(latencies).toEqual([1000, 9, 100, 10]);
  });

  it('is NaN for no values: there is no latency to report', () => {
    expect(percentile([], 95)).toBeNaN();
  });
});

describe('summarize', () => {
  it('gives p50, p95, p99 and max over 20 probe durations (ms), with one slow outlier', () => {
    const probes = [41, 38, 44, 40, 39, 43, 42, 37, 45, 40, 41, 39, 38, 44, 46, 40, 42, 43, 47, 1250];
    // Sorted, rank 10 is 41; rank ceil(19) = 19 is 47; rank ceil(19.8) = 20 is the outlier.
    expect(summarize(probes)).toEqual({ p50: 41, p95: 47, p99: 1250, max: 1250, count: 20 });
  });

  it('of one probe, every figure is that probe', () => {
    expect(summarize([212])).toEqual({ p50: 212, p95: 212, p99: 212, max: 212, count: 1 });
  });

  it('of no probes, counts zero and gives NaN rather than a made-up 0', () => {
    const none = summarize([]);
    expect(none.count).toBe(0);
    expect([none.p50, none.p95, none.p99, none.max].every(Number.isNaN)).toBe(true);
  });

  it('summarizes a million samples (a spread of that many arguments overflowed the stack)', () => {
    const samples = Array.from({ length: 1_000_000 }, (_, i) => (i * 7919) % 1_000_000);
    expect(summarize(samples)).toEqual({ p50: 499_999, p95: 949_999, p99: 989_999, max: 999_999, count: 1_000_000 });
  });
});
