/**
 * error-rate: the runbook's "check error rates --threshold=1%". The 5xx share of a
 * service's requests over a window: from PromQL (`increase()` over the window) when
 * Prometheus is configured, otherwise from two scrapes of the service's /metrics counter.
 * Below the minimum traffic there is no verdict: three requests prove nothing.
 */
import { z } from 'zod';
import { budgetRemaining, burnAlerts, errorRate, type ErrorRate } from '../analysis/error-rate.js';
import { parseExposition } from '../analysis/prometheus-text.js';
import { duration } from '../config/schema.js';
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
  window: duration.default(60_000),
  /** Fewer requests than this in the window: no verdict. */
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
   * SLO mode (Prometheus only): multi-window burn-rate alerts (14.4x over 1h and 5m,
   * 6x over 6h and 30m) and the error budget left over `period`.
   */
  slo: z.strictObject({ target: z.number().gt(0).lt(1), period: duration.default(30 * 86_400_000) }).optional(),
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

const WINDOWS: Record<string, number> = { '5m': 300_000, '30m': 1_800_000, '1h': 3_600_000, '6h': 21_600_000 };

/** Burn-rate alerts over the SRE workbook's windows, and the budget left over the SLO period. */
async function sloFindings(
  ctx: JobContext,
  params: Params,
  serviceName: string,
  resource: string,
  metrics: Record<string, number>,
): Promise<Finding[]> {
  const slo = params.slo!;
  const ratios: Record<string, number | null> = {};
  for (const [name, ms] of Object.entries(WINDOWS)) {
    const rate = await fromPrometheus(ctx, { ...params, minRequests: 1 }, serviceName, ms);
    ratios[name] = rate.ratio;
  }
  const period = await fromPrometheus(ctx, { ...params, minRequests: 1 }, serviceName, slo.period);
  const findings: Finding[] = [];
  if (period.ratio !== null) {
    metrics.errorBudgetRemaining = budgetRemaining(period.ratio, slo.target);
    findings.push({
      severity: 'info',
      check: 'slo.budget',
      resource,
      message: `${(metrics.errorBudgetRemaining * 100).toFixed(1)} % of the error budget left (SLO ${slo.target * 100} % over ${slo.period} ms)`,
      evidence: { ratio: period.ratio, target: slo.target },
    });
  }
  for (const alert of burnAlerts(ratios, slo.target)) {
    metrics[`burnRate${alert.long}`] = alert.longBurn;
    findings.push({
      severity: alert.severity,
      check: 'slo.burn-rate',
      resource,
      message: `error budget burning ${alert.longBurn.toFixed(1)}x over ${alert.long} and ${alert.shortBurn.toFixed(1)}x over ${alert.short} (alert at ${alert.factor}x)`,
      evidence: { ...alert, target: slo.target },
      remedy:
        alert.severity === 'critical'
          ? `At this rate the whole budget is gone within ${Math.round(slo.period / 3_600_000 / alert.longBurn)} h: act now — rollout undo if a deploy caused it, reset-breakers if a dependency recovered.`
          : `Slow burn: find the cause during working hours (recent deploys, a degraded dependency).`,
    });
  }
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
    if (rate.ratio === null) {
      return {
        status: 'ok',
        summary: `${resource}: ${rate.requests} requests in ${params.window} ms, under the ${params.minRequests} needed for a verdict`,
        findings: [
          {
            severity: 'info',
            check: 'error-rate.traffic',
            resource,
            message: `too little traffic for a verdict (${rate.requests} < ${params.minRequests} requests)`,
            evidence: rate,
          },
        ],
        metrics,
      };
    }
    metrics.errorRatio = rate.ratio;
    const findings: Finding[] =
      params.slo && usePrometheus ? await sloFindings(ctx, params, service.name, resource, metrics) : [];
    const warn = params.warnThreshold ?? params.threshold / 2;
    const severity = rate.ratio >= params.threshold ? 'critical' : rate.ratio >= warn ? 'warning' : null;
    if (severity) {
      findings.push({
        severity,
        check: 'error-rate',
        resource,
        message: `${percent(rate.ratio)} of requests failed with 5xx (${rate.errors} of ${rate.requests}), ${severity === 'critical' ? 'at or above' : 'approaching'} the ${percent(params.threshold)} threshold`,
        evidence: { ...rate, threshold: params.threshold, windowMs: params.window },
        remedy: `Look at ${service.name}'s logs and recent deploys (rollout verify / undo); if a dependency is failing, its health-check says which; reset-breakers once it is back.`,
      });
    }
    return {
      status: statusOf(findings),
      summary: `${resource}: ${percent(rate.ratio)} 5xx over ${params.window} ms (${rate.requests} requests)`,
      findings,
      metrics,
    };
  },
});
