/** Percentiles of a sample, nearest-rank (the value below which p % of observations fall). Pure. */
export function percentile(values: readonly number[], p: number): number {
  return ofSorted(Float64Array.from(values).sort(), p);
}

function ofSorted(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
}

/** One sort for all three (a typed array sorts numerically); no spread, so any sample size fits the stack. */
export function summarize(values: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  return {
    p50: ofSorted(sorted, 50),
    p95: ofSorted(sorted, 95),
    p99: ofSorted(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
    count: sorted.length,
  };
}
