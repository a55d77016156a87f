/**
 * latency-check: response-time percentiles (p50/p95/p99) of a service against thresholds:
 * from its request-duration histogram in Prometheus (`histogram_quantile` over a window)
 * when Prometheus is configured, otherwise from N active probes of its health endpoint.
 * Failed probes count as errors, not as fast answers. Each run also keeps its response
 * times as a log-scale histogram (analysis/histogram.ts) among its metrics, so that reports
 * read a week's percentiles from all the week's samples, not from an average of percentiles.
 */
import { z } from 'zod';
import { fromPrometheusBuckets, histogramMetrics, histogramOf, type Histogram } from '../analysis/histogram.js';
import { summarize } from '../analysis/percentiles.js';
import { duration } from '../config/schema.js';
import { MAX_REPORT_PERIOD_MS } from '../limits.js';
import { probe } from '../integrations/http.js';
import { instantQuery } from '../integrations/prometheus.js';
import { promRange, serviceOf, usesPrometheus } from './service.js';
import { defineJob, statusOf, type Finding, type JobContext, type JobOutcome } from './types.js';

const limits = z.strictObject({ p50: duration.optional(), p95: duration.optional(), p99: duration.optional() });

/** The service, where its numbers come from, and the warn and critical limits per percentile (ms). */
export const latencyCheckParams = z.strictObject({
  service: z.string(),
  /** Probes in the sample (sequential, so one slow answer does not hide behind others). */
  probes: z.number().int().min(5).max(1000).default(20),
  /** Above these: warning. */
  warn: limits.default({ p95: 500, p99: 1000 }),
  /** Above these: critical. */
  critical: limits.default({ p99: 2000 }),
  requestTimeout: duration.default(10_000),
  /** Where the numbers come from: Prometheus when configured (auto), or always active probes. */
  source: z.enum(['auto', 'prometheus', 'probe']).default('auto'),
  /** Prometheus: the histogram (seconds), its label matchers (default job="<service>") and window. */
  histogram: z
    .string()
    .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/)
    .default('http_request_duration_seconds'),
  selector: z.string().optional(),
  window: duration
    .refine((ms) => ms <= MAX_REPORT_PERIOD_MS, { error: 'must be at most 366d (like a report period)' })
    .default(300_000),
});

type Params = z.output<typeof latencyCheckParams>;

const QUANTILES = { p50: 0.5, p95: 0.95, p99: 0.99 } as const;

/** The run metrics that hold the run's histogram: `latencyBucket<i>` = samples in bucket i. */
export const HISTOGRAM_PREFIX = 'latencyBucket';

/** The window's requests by bucket, from the histogram's `le` buckets (their increase over the window). */
async function prometheusHistogram(ctx: JobContext, params: Params, selector: string): Promise<Histogram> {
  const { url, timeout } = ctx.config.prometheus!;
  const buckets = await instantQuery(
    url,
    `sum by (le) (increase(${params.histogram}_bucket{${selector}}[${promRange(params.window)}]))`,
    { timeoutMs: timeout, signal: ctx.signal },
  );
  return fromPrometheusBuckets(
    buckets.map((b) => ({ le: b.metric.le === '+Inf' ? Infinity : Number(b.metric.le), count: b.value })),
  );
}

/** Percentiles in ms from Prometheus, or null when it has no samples in the window. */
async function fromPrometheus(
  ctx: JobContext,
  params: Params,
  serviceName: string,
): Promise<(Record<'p50' | 'p95' | 'p99', number> & { histogram: Histogram }) | null> {
  const { url, timeout } = ctx.config.prometheus!;
  const selector = params.selector ?? `job="${serviceName}"`;
  const range = promRange(params.window);
  const out = { p50: NaN, p95: NaN, p99: NaN };
  for (const [name, q] of Object.entries(QUANTILES) as ['p50' | 'p95' | 'p99', number][]) {
    const [sample] = await instantQuery(
      url,
      `histogram_quantile(${q}, sum by (le) (rate(${params.histogram}_bucket{${selector}}[${range}])))`,
      { timeoutMs: timeout, signal: ctx.signal },
    );
    out[name] = (sample?.value ?? NaN) * 1000;
  }
  return Number.isFinite(out.p50) ? { ...out, histogram: await prometheusHistogram(ctx, params, selector) } : null;
}

function thresholdFindings(
  values: Record<'p50' | 'p95' | 'p99', number>,
  params: Params,
  resource: string,
  serviceName: string,
  basis: string,
): Finding[] {
  const findings: Finding[] = [];
  for (const q of ['p50', 'p95', 'p99'] as const) {
    const value = values[q];
    const level =
      params.critical[q] !== undefined && value > params.critical[q]!
        ? 'critical'
        : params.warn[q] !== undefined && value > params.warn[q]!
          ? 'warning'
          : null;
    if (!level) continue;
    const limit = level === 'critical' ? params.critical[q]! : params.warn[q]!;
    findings.push({
      severity: level,
      check: `latency.${q}`,
      resource,
      message: `${q} ${Math.round(value)} ms ${basis}, above ${limit} ms`,
      evidence: { ...values, limit },
      remedy: `Check ${serviceName}'s resource usage and its dependencies; compare with the last deploy (rollout verify).`,
    });
  }
  return findings;
}

/** A service's p50/p95/p99 against warn and critical limits, from Prometheus or active probes. */
export const latencyCheck = defineJob({
  type: 'latency-check',
  summary: 'p50/p95/p99 response time of a service from active probes, against thresholds',
  params: latencyCheckParams,
  feeds: {
    signal: 'latency',
    latency: { p50: 'p50Ms', p95: 'p95Ms', p99: 'p99Ms', histogram: HISTOGRAM_PREFIX },
    incidentEvidence: true,
  },
  overridable: ['probes', 'warn', 'critical', 'requestTimeout', 'source', 'window'],
  async run(ctx, params): Promise<JobOutcome> {
    const service = serviceOf(ctx, params.service);
    const url = new URL(service.healthPath, service.url).toString();
    const resource = `service/${service.name}`;
    if (usesPrometheus(ctx, params.source)) return prometheusOutcome(ctx, params, service.name, resource);
    return probeOutcome(ctx, params, { name: service.name, url }, resource);
  },
});

const round = (x: number) => Math.round(x * 10) / 10;

/** The percentiles Prometheus computes from the service's histogram; no samples in the window is not a failure. */
async function prometheusOutcome(
  ctx: JobContext,
  params: Params,
  serviceName: string,
  resource: string,
): Promise<JobOutcome> {
  const values = await fromPrometheus(ctx, params, serviceName);
  if (!values)
    return {
      status: 'ok',
      summary: `${resource}: no ${params.histogram} samples in Prometheus over ${params.window} ms`,
      findings: [
        {
          severity: 'info',
          check: 'latency.no-data',
          resource,
          message: `Prometheus has no ${params.histogram}_bucket{${params.selector ?? `job="${serviceName}"`}} samples in the window`,
          remedy: "Set params.histogram and params.selector to the service's request-duration histogram.",
        },
      ],
    };
  const findings = thresholdFindings(
    { p50: values.p50, p95: values.p95, p99: values.p99 },
    params,
    resource,
    serviceName,
    `over the last ${params.window} ms (Prometheus)`,
  );
  return {
    status: statusOf(findings),
    summary: `${resource}: p50 ${Math.round(values.p50)} ms, p95 ${Math.round(values.p95)} ms, p99 ${Math.round(values.p99)} ms (Prometheus)`,
    findings,
    metrics: {
      p50Ms: round(values.p50),
      p95Ms: round(values.p95),
      p99Ms: round(values.p99),
      ...histogramMetrics(values.histogram, HISTOGRAM_PREFIX),
    },
  };
}

/**
 * `params.probes` sequential probes of the health endpoint (so one slow answer does not hide
 * behind others): the answers' times, and why the others failed (no answer, or a 5xx).
 */
async function sampleProbes(
  ctx: JobContext,
  params: Params,
  url: string,
): Promise<{ times: number[]; failures: string[] }> {
  const times: number[] = [];
  const failures: string[] = [];
  for (let i = 0; i < params.probes; i++) {
    const answer = await probe(url, { timeoutMs: params.requestTimeout, signal: ctx.signal });
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (answer.error !== undefined || answer.status! >= 500) failures.push(answer.error ?? `status ${answer.status}`);
    else times.push(answer.totalMs);
    ctx.progress((i + 1) / params.probes, `${i + 1} of ${params.probes} probes`);
  }
  return { times, failures };
}

/** The percentiles of active probes of `service.url` (its health endpoint); failed probes are a finding of their own, not fast answers. */
async function probeOutcome(
  ctx: JobContext,
  params: Params,
  service: { name: string; url: string },
  resource: string,
): Promise<JobOutcome> {
  const { times, failures } = await sampleProbes(ctx, params, service.url);
  const findings: Finding[] = [];
  if (failures.length) {
    findings.push({
      severity: failures.length === params.probes ? 'critical' : 'warning',
      check: 'latency.failed-probes',
      resource,
      message: `${failures.length} of ${params.probes} probes failed (${[...new Set(failures)].slice(0, 3).join(', ')})`,
      remedy: `Run the health-check and error-rate jobs for ${service.name}: failures are not a latency problem.`,
    });
  }
  if (!times.length) return { status: 'critical', summary: `${resource}: every probe failed`, findings };
  const summary = summarize(times);
  findings.push(...thresholdFindings(summary, params, resource, service.name, `over ${summary.count} probes`));
  return {
    status: statusOf(findings),
    summary: `${resource}: p50 ${Math.round(summary.p50)} ms, p95 ${Math.round(summary.p95)} ms, p99 ${Math.round(summary.p99)} ms over ${summary.count} probes`,
    findings,
    metrics: {
      p50Ms: round(summary.p50),
      p95Ms: round(summary.p95),
      p99Ms: round(summary.p99),
      maxMs: round(summary.max),
      probes: summary.count,
      failedProbes: failures.length,
      ...histogramMetrics(histogramOf(times), HISTOGRAM_PREFIX),
    },
  };
}
