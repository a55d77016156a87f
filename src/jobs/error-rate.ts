/**
 * error-rate: the runbook's "check error rates --threshold=1%". The 5xx share of a
 * service's requests over a window: from PromQL (`increase()` over the window) when
 * Prometheus is configured, otherwise from two scrapes of the service's /metrics counter.
 * Below the minimum traffic there is no verdict: three requests prove nothing.
 */
import { z } from 'zod';
import {
  budgetRemaining,
  burnRate,
  burnWindows,
  errorRate,
  judgeBurnTiers,
  type ErrorRate,
  type TierVerdict,
  type WindowCount,
} from '../analysis/error-rate.js';
import { span } from '../analysis/format.js';
import { parseExposition } from '../analysis/prometheus-text.js';
import { duration } from '../config/schema.js';
import { MAX_REPORT_PERIOD_MS } from '../limits.js';
import { InvalidRunError } from '../errors.js';
import { probe } from '../integrations/http.js';
import { instantQuery } from '../integrations/prometheus.js';
import { promRange, serviceOf, usesPrometheus } from './service.js';
import { defineJob, statusOf, type Finding, type JobContext } from './types.js';

export const errorRateParams = z.strictObject({
  service: z.string(),
  /** Error share that is critical, as a fraction (0.01 = 1 %). */
  threshold: z.number().gt(0).lt(1).default(0.01),
  /** Share that is a warning (default: half the threshold). */
  warnThreshold: z.number().gt(0).lt(1).optional(),
  /** Time between the two scrapes. */
  window: duration
    .refine((ms) => ms <= MAX_REPORT_PERIOD_MS, { error: 'must be at most 366d (like a report period)' })
    .default(60_000),
  /** Fewer requests than this in the window (and, in SLO mode, in either window of a burn-rate tier): no verdict on it. */
  minRequests: z.number().int().min(1).default(100),
  metric: z
    .string()
    .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/)
    .default('http_requests_total'),
  statusLabels: z.array(z.string()).min(1).default(['status', 'code']),
  requestTimeout: duration.default(10_000),
  /** Where the numbers come from: Prometheus when configured (auto), or always the service's /metrics. */
  source: z.enum(['auto', 'prometheus', 'scrape']).default('auto'),
  /** PromQL label matchers that pick the service's series (default: job="<service name>"). */
  selector: z.string().optional(),
  /**
   * SLO mode (Prometheus only): the SRE workbook's multi-window burn-rate alerts — pages
   * (critical) at 14.4x over 1h and 5m and 6x over 6h and 30m, tickets (warning) at 3x over
   * 1d and 2h and 1x over 3d and 6h — and the error budget left over `period`.
   */
  slo: z
    .strictObject({
      target: z.number().gt(0).lt(1),
      // A trigger may set it: bounded, like a report period, so no query spans years.
      period: duration
        .refine((ms) => ms >= 3_600_000 && ms <= 366 * 86_400_000, { error: 'must be from 1h to 366d' })
        .default(30 * 86_400_000),
    })
    .optional(),
});

const percent = (x: number) => `${(x * 100).toFixed(2)} %`;

type Params = z.output<typeof errorRateParams>;

async function fromPrometheus(
  ctx: JobContext,
  params: Params,
  serviceName: string,
  windowMs = params.window,
): Promise<ErrorRate> {
  const { url, timeout } = ctx.config.prometheus!;
  const selector = params.selector ?? `job="${serviceName}"`;
  const range = promRange(windowMs);
  const sum = async (extra: string) => {
    const result = await instantQuery(
      url,
      `sum(increase(${params.metric}{${[selector, extra].filter(Boolean).join(',')}}[${range}]))`,
      { timeoutMs: timeout, signal: ctx.signal },
    );
    return result[0]?.value ?? 0;
  };
  const requests = await sum('');
  // The status may be in any of the labels; the first one that has 5xx series counts.
  let errors = 0;
  for (const label of params.statusLabels) {
    errors = await sum(`${label}=~"5.."`);
    if (errors > 0) break;
  }
  return { requests, errors, ratio: requests >= params.minRequests && requests > 0 ? errors / requests : null };
}

async function fromScrapes(ctx: JobContext, params: Params, url: string): Promise<ErrorRate> {
  const scrape = async () => {
    const answer = await probe(url, { timeoutMs: params.requestTimeout, signal: ctx.signal });
    if (answer.error !== undefined || answer.status !== 200)
      throw new Error(`GET ${url}: ${answer.error ?? `status ${answer.status}`}`);
    const exposition = parseExposition(answer.body);
    if (!exposition.samples.some((s) => s.name === params.metric))
      throw new Error(`${url} has no ${params.metric} (set params.metric to the service's request counter)`);
    return exposition.samples;
  };
  const before = await scrape();
  ctx.progress(0, `waiting ${params.window} ms for the second scrape`);
  await ctx.sleep(params.window);
  return errorRate(
    before,
    await scrape(),
    { metric: params.metric, statusLabels: params.statusLabels },
    params.minRequests,
  );
}

/** Requests and 5xx over each burn-rate window: the minimum of traffic is judged per window, not here. */
async function windowCounts(
  ctx: JobContext,
  params: Params,
  serviceName: string,
): Promise<Record<string, WindowCount>> {
  const counts: Record<string, WindowCount> = {};
  for (const win of burnWindows()) {
    const { requests, errors } = await fromPrometheus(ctx, params, serviceName, win.ms);
    counts[win.name] = { requests, errors };
  }
  return counts;
}

/** 0.9995 → "99.95 %" (not 99.95000000000002). */
const percentOf = (x: number) => `${Number((x * 100).toPrecision(12))} %`;

const times = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(1)}x`);

/** One line per tier: its burn over each window, and whether it fired or why it was not judged. */
const tierLine = (t: TierVerdict) =>
  `${t.kind} at ${t.factor}x over ${t.long.name} and ${t.short.name}: ${times(t.longBurn)} over ${t.long.name} (${Math.round(t.longRequests)} requests), ${times(t.shortBurn)} over ${t.short.name} (${Math.round(t.shortRequests)} requests)${t.skipped ? ` — not judged, ${t.skipped}` : t.fired ? ' — fires' : ''}`;

function tierFinding(t: TierVerdict, resource: string, slo: { target: number; period: number }): Finding {
  return {
    severity: t.severity,
    check: 'slo.burn-rate',
    resource,
    message: `error budget burning ${times(t.longBurn)} over the last ${t.long.name} and ${times(t.shortBurn)} over the last ${t.short.name} (${t.kind} at ${t.factor}x, SLO ${percentOf(slo.target)})`,
    evidence: { ...t, target: slo.target },
    remedy:
      t.kind === 'page'
        ? `At this rate the whole budget is gone within ${Math.round(slo.period / 3_600_000 / t.longBurn!)} h: act now — rollout undo if a deploy caused it, reset-breakers if a dependency recovered.`
        : `Slow burn: find the cause during working hours (recent deploys, a degraded dependency).`,
  };
}

/**
 * The SRE workbook's burn-rate tiers (two pages, two tickets), each judged over its own
 * pair of windows with the minimum of traffic applied to each; every tier's burn rates in
 * an info finding and the run metrics (burnRate1h, ...); the budget left over the SLO period.
 */
async function sloFindings(
  ctx: JobContext,
  params: Params,
  serviceName: string,
  resource: string,
  metrics: Record<string, number>,
): Promise<Finding[]> {
  const slo = params.slo!;
  const counts = await windowCounts(ctx, params, serviceName);
  const period = await fromPrometheus(ctx, { ...params, minRequests: 1 }, serviceName, slo.period);
  const findings: Finding[] = [];
  if (period.ratio !== null) {
    metrics.errorBudgetRemaining = budgetRemaining(period.ratio, slo.target);
    findings.push({
      severity: 'info',
      check: 'slo.budget',
      resource,
      message: `${(metrics.errorBudgetRemaining * 100).toFixed(1)} % of the error budget left (SLO ${percentOf(slo.target)} over the last ${span(slo.period / 1000)})`,
      evidence: { ratio: period.ratio, target: slo.target, periodMs: slo.period },
    });
  }
  const tiers = judgeBurnTiers(counts, slo.target, params.minRequests);
  for (const [name, count] of Object.entries(counts))
    if (count.requests >= params.minRequests)
      metrics[`burnRate${name}`] = burnRate(count.errors / count.requests, slo.target);
  findings.push({
    severity: 'info',
    check: 'slo.burn-rates',
    resource,
    message: tiers.map(tierLine).join('; '),
    evidence: { tiers, target: slo.target, minRequests: params.minRequests },
  });
  findings.push(...tiers.filter((t) => t.fired).map((t) => tierFinding(t, resource, slo)));
  return findings;
}

export const errorRateJob = defineJob({
  type: 'error-rate',
  summary: "5xx share of a service's requests over a window against a threshold (two /metrics scrapes)",
  params: errorRateParams,
  feeds: {
    signal: 'error-rate',
    errorRate: { requests: 'requests', errors: 'errors', ratio: 'errorRatio', budget: 'errorBudgetRemaining' },
    incidentEvidence: true,
  },
  overridable: ['threshold', 'warnThreshold', 'window', 'minRequests', 'requestTimeout', 'source', 'slo'],
  async run(ctx, params) {
    const service = serviceOf(ctx, params.service);
    const url = new URL(service.metricsPath, service.url).toString();
    const resource = `service/${service.name}`;
    const usePrometheus = usesPrometheus(ctx, params.source);
    if (params.slo && !usePrometheus)
      throw new InvalidRunError('slo mode needs Prometheus (prometheus.url): burn rates span hours');
    const rate = usePrometheus ? await fromPrometheus(ctx, params, service.name) : await fromScrapes(ctx, params, url);
    const metrics: Record<string, number> = { requests: rate.requests, errors: rate.errors, windowMs: params.window };
    // The burn-rate tiers are judged over their own windows, whatever traffic the base window saw.
    const findings = params.slo ? await sloFindings(ctx, params, service.name, resource, metrics) : [];
    const burning = findings.filter((f) => f.check === 'slo.burn-rate');
    const slo = burning.length ? `; ${burning.map((f) => f.message).join('; ')}` : '';
    if (rate.ratio === null) {
      findings.push({
        severity: 'info',
        check: 'error-rate.traffic',
        resource,
        message: `too little traffic for a verdict on the last ${params.window} ms (${Math.round(rate.requests)} < ${params.minRequests} requests)`,
        evidence: rate,
      });
      return {
        status: statusOf(findings),
        summary: `${resource}: ${Math.round(rate.requests)} requests in ${params.window} ms, under the ${params.minRequests} needed for a verdict${slo}`,
        findings,
        metrics,
      };
    }
    metrics.errorRatio = rate.ratio;
    const threshold = thresholdFinding({ ...rate, ratio: rate.ratio }, params, service.name, resource);
    if (threshold) findings.push(threshold);
    return {
      status: statusOf(findings),
      summary: `${resource}: ${percent(rate.ratio)} 5xx over ${params.window} ms (${rate.requests} requests)${slo}`,
      findings,
      metrics,
    };
  },
});

/** The base window's 5xx share against the threshold (critical) and the warning threshold. */
function thresholdFinding(
  rate: ErrorRate & { ratio: number },
  params: Params,
  serviceName: string,
  resource: string,
): Finding | null {
  const warn = params.warnThreshold ?? params.threshold / 2;
  const severity = rate.ratio >= params.threshold ? 'critical' : rate.ratio >= warn ? 'warning' : null;
  if (!severity) return null;
  return {
    severity,
    check: 'error-rate',
    resource,
    message: `${percent(rate.ratio)} of requests failed with 5xx (${rate.errors} of ${rate.requests}) over the last ${params.window} ms, ${severity === 'critical' ? 'at or above' : 'approaching'} the ${percent(params.threshold)} threshold`,
    evidence: { ...rate, threshold: params.threshold, windowMs: params.window },
    remedy: `Look at ${serviceName}'s logs and recent deploys (rollout verify / undo); if a dependency is failing, its health-check says which; reset-breakers once it is back.`,
  };
}
