/**
 * Response times as a mergeable histogram. Percentiles do not average: the mean of hourly
 * p95s is not the p95 of the day. So a run keeps how many of its samples fell in each of a
 * fixed set of log-scale buckets, reports add the counts of many runs, and read the
 * percentiles from the sum (the scheme of DDSketch, with a fixed range instead of a
 * collapsing one).
 *
 * Bucket i holds the values in (γ^(i−1), γ^i] ms, γ = 1.1, and stands for 2γ^i/(γ+1): every
 * value in it is within RELATIVE_ERROR (4.76 %) of that. A percentile read from a merged
 * histogram is the stand-in of the bucket that holds the nearest-rank sample of all the
 * runs' samples together, so it is within 4.76 % of the exact value — for values between
 * MIN_MS and MAX_MS; outside that range values are clamped to its ends. Between them there
 * are 184 buckets, and a run keeps only those it used.
 */

const GAMMA = 1.1;
const LOG_GAMMA = Math.log(GAMMA);
/** The relative error of a percentile read from these histograms, inside [MIN_MS, MAX_MS]. */
export const RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1);
export const MIN_MS = 0.1;
export const MAX_MS = 3_600_000;
const MIN_BUCKET = Math.ceil(Math.log(MIN_MS) / LOG_GAMMA);
const MAX_BUCKET = Math.ceil(Math.log(MAX_MS) / LOG_GAMMA);

/** Bucket index → count (a count may be fractional: Prometheus' increase() extrapolates). */
export type Histogram = Map<number, number>;

/** The bucket a value (ms) falls in. */
export function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return MIN_BUCKET; // also NaN and negatives: the lowest bucket
  if (ms >= MAX_MS) return MAX_BUCKET;
  return Math.min(MAX_BUCKET, Math.max(MIN_BUCKET, Math.ceil(Math.log(ms) / LOG_GAMMA - 1e-12)));
}

/** The value (ms) a bucket stands for: within RELATIVE_ERROR of anything in it. */
export const bucketValue = (bucket: number): number => (2 * GAMMA ** bucket) / (GAMMA + 1);

const upper = (bucket: number) => GAMMA ** bucket;

function add(h: Histogram, bucket: number, count: number): void {
  if (count > 0) h.set(bucket, (h.get(bucket) ?? 0) + count);
}

/** The histogram of samples (ms). */
export function histogramOf(samples: Iterable<number>): Histogram {
  const h: Histogram = new Map();
  for (const ms of samples) add(h, bucketOf(ms), 1);
  return h;
}

/**
 * A Prometheus histogram's buckets (cumulative counts by upper bound `le`, in seconds) as a
 * histogram of these buckets, spreading each Prometheus bucket's count evenly over its
 * range, as histogram_quantile() assumes; the first bucket starts at 0, and what is above
 * the highest finite bound counts at that bound (histogram_quantile's answer there too).
 */
export function fromPrometheusBuckets(buckets: ReadonlyArray<{ le: number; count: number }>): Histogram {
  const h: Histogram = new Map();
  const sorted = buckets.filter((b) => !Number.isNaN(b.le) && Number.isFinite(b.count)).sort((a, b) => a.le - b.le);
  let lowMs = 0;
  let below = 0;
  for (const { le, count } of sorted) {
    const n = Math.max(0, count - below);
    below = Math.max(below, count);
    if (!Number.isFinite(le)) {
      add(h, bucketOf(lowMs), n);
      continue;
    }
    const highMs = le * 1000;
    spread(h, lowMs, highMs, n);
    lowMs = highMs;
  }
  return h;
}

/** Adds `n` spread evenly over (lowMs, highMs] to the buckets that range overlaps. */
function spread(h: Histogram, lowMs: number, highMs: number, n: number): void {
  if (n <= 0) return;
  if (!(highMs > lowMs)) return add(h, bucketOf(highMs), n);
  const last = bucketOf(highMs);
  for (let b = bucketOf(lowMs); b <= last; b++) {
    const from = Math.max(lowMs, b === MIN_BUCKET ? 0 : upper(b - 1));
    const to = b === MAX_BUCKET ? highMs : Math.min(highMs, upper(b));
    if (to > from) add(h, b, (n * (to - from)) / (highMs - lowMs));
  }
}

/** The sum of histograms. */
export function mergeHistograms(histograms: Iterable<Iterable<[number, number]>>): Histogram {
  const h: Histogram = new Map();
  for (const one of histograms) for (const [bucket, count] of one) add(h, bucket, count);
  return h;
}

/**
 * The q-quantile (0..1) of a histogram, nearest rank: the stand-in of the first bucket
 * whose cumulative count reaches q × total. Null when it is empty.
 */
export function quantileOf(h: Iterable<[number, number]>, q: number): number | null {
  const entries = [...h].filter(([, c]) => c > 0).sort(([a], [b]) => a - b);
  const total = entries.reduce((sum, [, c]) => sum + c, 0);
  if (!(total > 0)) return null;
  const rank = q * total;
  let seen = 0;
  for (const [bucket, count] of entries) {
    seen += count;
    // A hair of tolerance: fractional counts added in another order may miss the rank by a rounding error.
    if (seen >= rank * (1 - 1e-12)) return bucketValue(bucket);
  }
  return bucketValue(entries[entries.length - 1]![0]);
}

/** How a run keeps its histogram among its metrics: one metric per bucket used, `<prefix><bucket>`. */
export function histogramMetrics(h: Histogram, prefix: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [bucket, count] of [...h].sort(([a], [b]) => a - b)) {
    const kept = Math.round(count * 1000) / 1000;
    if (kept > 0) out[`${prefix}${bucket}`] = kept;
  }
  return out;
}

/** The bucket a metric named `<prefix><bucket>` counts, or null for any other name (or a bucket out of range). */
export function bucketOfMetric(name: string, prefix: string): number | null {
  if (!name.startsWith(prefix)) return null;
  const rest = name.slice(prefix.length);
  if (!/^-?\d{1,4}$/.test(rest)) return null;
  const bucket = Number(rest);
  return bucket >= MIN_BUCKET && bucket <= MAX_BUCKET ? bucket : null;
}
