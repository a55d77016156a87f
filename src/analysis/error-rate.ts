/**
 * Error rates from request counters, and SLO burn rates. Pure functions over plain data.
 *
 * From two scrapes of a counter like `http_requests_total{code="503"}`: the increase of
 * each series between them (a counter that went down was reset: its new value is the
 * increase), summed into total and 5xx requests. No verdict below a minimum of traffic.
 */
import type { Sample } from './prometheus-text.js';

export interface ErrorRate {
  requests: number;
  errors: number;
  /** errors / requests, or null when there were fewer requests than the minimum. */
  ratio: number | null;
}

export interface CounterSpec {
  /** Counter name, e.g. http_requests_total. */
  metric: string;
  /** Labels that may carry the status code, first found wins: status, code. */
  statusLabels: readonly string[];
}

const key = (s: Sample) => JSON.stringify(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : 1)));

/** Increase of each series of `spec.metric` between two scrapes, with counter resets handled. */
export function increases(
  before: readonly Sample[],
  after: readonly Sample[],
  metric: string,
): { sample: Sample; increase: number }[] {
  const previous = new Map(before.filter((s) => s.name === metric).map((s) => [key(s), s.value]));
  return after
    .filter((s) => s.name === metric)
    .map((sample) => {
      const was = previous.get(key(sample)) ?? 0;
      return { sample, increase: sample.value >= was ? sample.value - was : sample.value };
    });
}

export function errorRate(
  before: readonly Sample[],
  after: readonly Sample[],
  spec: CounterSpec,
  minRequests: number,
): ErrorRate {
  let requests = 0;
  let errors = 0;
  for (const { sample, increase } of increases(before, after, spec.metric)) {
    requests += increase;
    const status = spec.statusLabels.map((l) => sample.labels[l]).find((v) => v !== undefined);
    if (status !== undefined && /^5\d\d$/.test(status)) errors += increase;
  }
  return { requests, errors, ratio: requests >= minRequests && requests > 0 ? errors / requests : null };
}

/** How fast the error budget burns: the error ratio over the budget (1 − SLO target). */
export function burnRate(errorRatio: number, sloTarget: number): number {
  return errorRatio / (1 - sloTarget);
}

/** A window of the burn-rate alerts: its name (`1h`) and length. */
export interface BurnWindow {
  name: string;
  ms: number;
}

/** One tier of the multi-window alerts: fires when its long and its short window both burn at `factor` or faster. */
export interface BurnTier {
  /** page: someone acts now (critical); ticket: someone looks during working hours (warning). */
  kind: 'page' | 'ticket';
  severity: 'critical' | 'warning';
  long: BurnWindow;
  short: BurnWindow;
  factor: number;
}

const w = (name: string, minutes: number): BurnWindow => ({ name, ms: minutes * 60_000 });

/**
 * The SRE workbook's multi-window, multi-burn-rate alerts (chapter 5, table 5-8), as sloth
 * generates them by default: two pages (2 % of a 30-day budget in 1 h, 5 % in 6 h) and two
 * tickets (10 % in 1 d, 10 % in 3 d), each with a short window 1/12 of the long one.
 */
export const DEFAULT_BURN_TIERS: readonly BurnTier[] = [
  { kind: 'page', severity: 'critical', long: w('1h', 60), short: w('5m', 5), factor: 14.4 },
  { kind: 'page', severity: 'critical', long: w('6h', 360), short: w('30m', 30), factor: 6 },
  { kind: 'ticket', severity: 'warning', long: w('1d', 1440), short: w('2h', 120), factor: 3 },
  { kind: 'ticket', severity: 'warning', long: w('3d', 4320), short: w('6h', 360), factor: 1 },
];

/** Every window the tiers read, once each, shortest first. */
export function burnWindows(tiers: readonly BurnTier[] = DEFAULT_BURN_TIERS): BurnWindow[] {
  const byName = new Map<string, BurnWindow>();
  for (const t of tiers) for (const win of [t.long, t.short]) byName.set(win.name, win);
  return [...byName.values()].sort((a, b) => a.ms - b.ms);
}

/** Requests and 5xx counted over one window. */
export interface WindowCount {
  requests: number;
  errors: number;
}

/** A tier as judged: its burn rates when both windows had enough traffic, else why it was not judged. */
export interface TierVerdict extends BurnTier {
  longBurn: number | null;
  shortBurn: number | null;
  longRequests: number;
  shortRequests: number;
  fired: boolean;
  /** Why the tier was not judged (too little traffic in a window, or no data). */
  skipped?: string;
}

const burnOf = (count: WindowCount | undefined, sloTarget: number): number | null =>
  count && count.requests > 0 ? burnRate(count.errors / count.requests, sloTarget) : null;

/**
 * Each tier's verdict from the requests and errors counted over each window. The minimum
 * of traffic applies to each of a tier's two windows (a 5-minute window with 3 requests
 * proves nothing; a 6-hour one with thousands does, whatever the last minute saw): a tier
 * with a window under `minRequests` is not judged and says so. A tier fires when both of
 * its windows burn at its factor or faster (the short one says it is still happening).
 */
export function judgeBurnTiers(
  counts: Readonly<Record<string, WindowCount>>,
  sloTarget: number,
  minRequests: number,
  tiers: readonly BurnTier[] = DEFAULT_BURN_TIERS,
): TierVerdict[] {
  return tiers.map((tier) => {
    const long = counts[tier.long.name];
    const short = counts[tier.short.name];
    const verdict: TierVerdict = {
      ...tier,
      longBurn: burnOf(long, sloTarget),
      shortBurn: burnOf(short, sloTarget),
      longRequests: long?.requests ?? 0,
      shortRequests: short?.requests ?? 0,
      fired: false,
    };
    const thin = [tier.long, tier.short].filter((win) => (counts[win.name]?.requests ?? 0) < minRequests);
    if (thin.length) {
      verdict.skipped = `too little traffic: ${thin.map((win) => `${Math.round(counts[win.name]?.requests ?? 0)} requests over ${win.name}`).join(', ')} (under ${minRequests})`;
      return verdict;
    }
    // 1 − 0.999 is 0.0010000000000000009 in floating point: a ratio exactly at the factor
    // must not miss it by a rounding error.
    const reaches = (burn: number) => burn >= tier.factor * (1 - 1e-9);
    verdict.fired = reaches(verdict.longBurn!) && reaches(verdict.shortBurn!);
    return verdict;
  });
}

/** Share of the error budget left over the SLO period, from the error ratio over that period (0..1, may go below 0). */
export function budgetRemaining(periodErrorRatio: number, sloTarget: number): number {
  return 1 - burnRate(periodErrorRatio, sloTarget);
}
