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

export interface BurnWindowRule {
  severity: 'critical' | 'warning';
  long: string;
  short: string;
  factor: number;
}

/** The multi-window, multi-burn-rate alerts of the Google SRE workbook. */
export const DEFAULT_BURN_RULES: readonly BurnWindowRule[] = [
  { severity: 'critical', long: '1h', short: '5m', factor: 14.4 },
  { severity: 'warning', long: '6h', short: '30m', factor: 6 },
];

/**
 * Which rules fire, given the error ratio over each window: a rule fires only when both its
 * long and its short window burn faster than its factor (the short one says it is still
 * happening). A window without data never fires.
 */
export function burnAlerts(
  ratios: Readonly<Record<string, number | null>>,
  sloTarget: number,
  rules: readonly BurnWindowRule[] = DEFAULT_BURN_RULES,
): (BurnWindowRule & { longBurn: number; shortBurn: number })[] {
  const fired = [];
  for (const rule of rules) {
    const long = ratios[rule.long];
    const short = ratios[rule.short];
    if (long == null || short == null) continue;
    const longBurn = burnRate(long, sloTarget);
    const shortBurn = burnRate(short, sloTarget);
    if (longBurn >= rule.factor && shortBurn >= rule.factor) fired.push({ ...rule, longBurn, shortBurn });
  }
  return fired;
}

/** Share of the error budget left over the SLO period, from the error ratio over that period (0..1, may go below 0). */
export function budgetRemaining(periodErrorRatio: number, sloTarget: number): number {
  return 1 - burnRate(periodErrorRatio, sloTarget);
}
