/**
 * What an HTTP probe's answer says about a service, judged the way the health-check
 * expects it: reachable, the expected status, fast enough, the right headers and JSON body
 * fields, a TLS certificate that is not about to expire, and /metrics that Prometheus can
 * read. Pure: a recorded probe result in, findings and metrics out — src/integrations/http.ts
 * does the request and src/jobs/health-check.ts puts the pieces together.
 */
import type { Finding } from '../model.js';
import { bodyFindings, type JsonCondition } from './body-conditions.js';
import { daysLeft, type Certificate } from './certificates.js';
import { linearPattern } from './pattern.js';
import { parseExposition } from './prometheus-text.js';

/** When each phase of a probe ended. */
export interface Timings {
  /** Milliseconds from the start of the probe; each phase's own length is the difference. */
  dns: number;
  connect: number;
  tls: number;
  firstByte: number;
  total: number;
}

/** One probe's answer, as src/integrations/http.ts records it. */
export interface ProbeResult {
  url: string;
  status?: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds until the whole body arrived (same as timings.total). */
  totalMs: number;
  timings: Timings;
  certificate?: Certificate;
  error?: string;
}

/** A response header that must be there (and, with `equals` or `matches`, say that). */
export interface HeaderCondition {
  name: string;
  equals?: string;
  /** RE2 syntax (linear time): params are validated with `linearRegex` before they get here. */
  matches?: string;
}

/** What a healthy answer looks like (the health-check's params). */
export interface AnswerExpectations extends ResponseTimeLimits {
  expectStatus: readonly number[];
  expectHeaders: readonly HeaderCondition[];
  json: readonly JsonCondition[];
}

/** Phase lengths in ms, as blackbox exporter splits them (a phase that did not happen is 0). */
export function phaseMetrics(result: ProbeResult): Record<string, number> {
  const t = result.timings;
  const connected = t.tls || t.connect;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    dnsMs: round(t.dns),
    connectMs: round(t.connect ? t.connect - t.dns : 0),
    tlsMs: round(t.tls ? t.tls - t.connect : 0),
    firstByteMs: round(t.firstByte ? t.firstByte - connected : 0),
    responseTimeMs: Math.round(result.totalMs),
  };
}

/** What an answer adds to the phase metrics: its status code and, over HTTPS, the days left until the chain's earliest expiry. */
export function answerMetrics(result: ProbeResult, now: Date): Record<string, number> {
  const metrics: Record<string, number> = { statusCode: result.status! };
  if (result.certificate) metrics.tlsDaysLeft = daysLeft(result.certificate, now);
  return metrics;
}

/** No answer at all (refused, timed out, TLS rejected): critical, with the step that fits the error. */
export function unreachableFinding(url: string, error: string, resource: string, method = 'GET'): Finding {
  // Node's TLS errors name the certificate; those are fixed in the chain or caFile, not by restarting.
  const certificateProblem = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(error);
  return {
    severity: 'critical',
    check: 'http.reachable',
    resource,
    message: `${method} ${url} failed: ${error}`,
    remedy: certificateProblem
      ? 'The TLS certificate is not trusted: fix the chain, or give its CA in caFile.'
      : 'Check that the service is running and reachable from opscron.',
  };
}

/** A status outside `expectStatus`: critical; a 5xx points at the service, anything else at the check. */
export function statusFindings(result: ProbeResult, expectStatus: readonly number[], resource: string): Finding[] {
  if (expectStatus.includes(result.status!)) return [];
  return [
    {
      severity: 'critical',
      check: 'http.status',
      resource,
      message: `status ${result.status}, expected ${expectStatus.join(' or ')}`,
      evidence: { status: result.status, body: result.body.slice(0, 500) },
      remedy:
        result.status! >= 500
          ? `The service answers but reports itself broken: its logs and its dependencies say why; if a deploy just happened, rollout undo.`
          : `Check the health path (services[].healthPath) and expectStatus: ${result.status} is not what this check expects.`,
    },
  ];
}

/** How slow is too slow: above `maxResponseTime` a warning, above `criticalResponseTime` (when set) critical. */
export interface ResponseTimeLimits {
  maxResponseTime: number;
  criticalResponseTime?: number;
}

/**
 * A probe slower than its limits (`[RESPONSE_TIME] < 300` in Gatus' words). Past
 * `maxResponseTime` the service still answers, so it is a warning; past
 * `criticalResponseTime` it is as good as down for its callers, so it is critical.
 */
export function responseTimeFindings(
  ms: number,
  limits: ResponseTimeLimits,
  resource: string,
  check = 'http.response-time',
): Finding[] {
  // Judged in whole milliseconds, as the message says them: 1000.4 ms is not "1000 ms, above 1000 ms".
  const whole = Math.round(ms);
  const critical = limits.criticalResponseTime !== undefined && whole > limits.criticalResponseTime;
  if (!critical && whole <= limits.maxResponseTime) return [];
  const limit = critical ? limits.criticalResponseTime! : limits.maxResponseTime;
  return [
    {
      severity: critical ? 'critical' : 'warning',
      check,
      resource,
      message: `answered in ${whole} ms, above ${limit} ms${critical ? ' (criticalResponseTime)' : ''}`,
      evidence: { ms, limit },
      remedy:
        'Slow health answers come before outages: check latency-check and resource-usage (CPU throttling, memory pressure) for this service.',
    },
  ];
}

/** How a header fails its condition, in words, or null when it meets it. */
function headerProblem(value: string | undefined, condition: HeaderCondition): string | null {
  if (value === undefined) return 'is missing';
  if (condition.equals !== undefined && value !== condition.equals)
    return `is ${JSON.stringify(value)}, expected ${JSON.stringify(condition.equals)}`;
  if (condition.matches !== undefined && !linearPattern(condition.matches).test(value))
    return `is ${JSON.stringify(value)}, expected to match /${condition.matches}/`;
  return null;
}

/** One critical finding per header condition the answer fails (names compared case-insensitively). */
export function headerFindings(
  headers: Record<string, string>,
  conditions: readonly HeaderCondition[],
  resource: string,
): Finding[] {
  const findings: Finding[] = [];
  for (const condition of conditions) {
    // Node gives response header names in lower case.
    const wrong = headerProblem(headers[condition.name.toLowerCase()], condition);
    if (wrong)
      findings.push({
        severity: 'critical',
        check: 'http.header',
        resource,
        message: `header ${condition.name} ${wrong}`,
        remedy: `A wrong or missing ${condition.name} header usually means a different version or a proxy answered: check what is deployed and the route to it.`,
      });
  }
  return findings;
}

/** Everything an answer that arrived is judged on, in the order an operator reads it: status, time, headers, body. */
export function answerFindings(result: ProbeResult, expect: AnswerExpectations, resource: string): Finding[] {
  return [
    ...statusFindings(result, expect.expectStatus, resource),
    ...responseTimeFindings(result.totalMs, expect, resource),
    ...headerFindings(result.headers, expect.expectHeaders, resource),
    ...bodyFindings(result.body, expect.json, resource),
  ];
}

/**
 * A scrape of the service's /metrics: unreachable or not 200 is a warning, and so is text
 * Prometheus would reject. `samples` is how many it holds when it could be read at all.
 */
export function metricsFindings(
  scrape: ProbeResult,
  metricsUrl: string,
  service: { name: string; metricsPath: string },
  resource: string,
): { findings: Finding[]; samples?: number } {
  if (scrape.error !== undefined || scrape.status !== 200)
    return {
      findings: [
        {
          severity: 'warning',
          check: 'metrics.reachable',
          resource,
          message: `GET ${metricsUrl}: ${scrape.error ?? `status ${scrape.status}`}`,
          remedy: `Check that ${service.name} exposes Prometheus metrics at ${service.metricsPath} (services[].metricsPath).`,
        },
      ],
    };
  const exposition = parseExposition(scrape.body);
  const errors = exposition.errors;
  if (!errors.length) return { findings: [], samples: exposition.samples.length };
  return {
    samples: exposition.samples.length,
    findings: [
      {
        severity: 'warning',
        check: 'metrics.parse',
        resource,
        message: `${metricsUrl} is not valid Prometheus text: ${errors.slice(0, 3).join('; ')}${errors.length > 3 ? ` (and ${errors.length - 3} more)` : ''}`,
        evidence: { errors: errors.slice(0, 20) },
        remedy: 'Fix the exporter: Prometheus will drop this scrape (promtool check metrics shows the same lines).',
      },
    ],
  };
}
