/**
 * What an HTTP probe's answer says about a service, judged the way the health-check
 * expects it: reachable, the expected status, fast enough, the right headers and JSON body
 * fields, a TLS certificate that is not about to expire, and /metrics that Prometheus can
 * read. Pure: a recorded probe result in, findings and metrics out — src/integrations/http.ts
 * does the request and src/jobs/health-check.ts puts the pieces together.
 */
import type { Finding } from '../model.js';
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

/** The server's TLS certificate, as much of it as is judged. */
export interface Certificate {
  subject: string;
  issuer: string;
  validTo: Date;
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

/** A field of the JSON body that must be there (and, with `equals`, hold that value). */
export interface JsonCondition {
  /** Dot path into the JSON body: `status`, `checks.db.status`, `items.0.id`. */
  path: string;
  equals?: string | number | boolean | null;
}

/** A response header that must be there (and, with `equals` or `matches`, say that). */
export interface HeaderCondition {
  name: string;
  equals?: string;
  /** RE2 syntax (linear time): params are validated with `linearRegex` before they get here. */
  matches?: string;
}

/** What a healthy answer looks like (the health-check's params). */
export interface AnswerExpectations {
  expectStatus: readonly number[];
  maxResponseTime: number;
  expectHeaders: readonly HeaderCondition[];
  json: readonly JsonCondition[];
}

const DAY_MS = 86_400_000;

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

/** What an answer adds to the phase metrics: its status code and, over HTTPS, the certificate's days left. */
export function answerMetrics(result: ProbeResult, now: Date): Record<string, number> {
  const metrics: Record<string, number> = { statusCode: result.status! };
  if (result.certificate)
    metrics.tlsDaysLeft = Math.round(((result.certificate.validTo.getTime() - now.getTime()) / DAY_MS) * 10) / 10;
  return metrics;
}

/** A certificate within `limits` days of its expiry (or past it): one finding, else none. */
export function certificateFindings(
  cert: Certificate,
  limits: { warnDays: number; criticalDays: number },
  resource: string,
  now: Date,
): Finding[] {
  const daysLeft = (cert.validTo.getTime() - now.getTime()) / DAY_MS;
  const severity = daysLeft < limits.criticalDays ? 'critical' : daysLeft < limits.warnDays ? 'warning' : null;
  if (!severity) return [];
  const when = daysLeft < 0 ? `expired ${(-daysLeft).toFixed(1)} days ago` : `expires in ${daysLeft.toFixed(1)} days`;
  return [
    {
      severity,
      check: 'tls.expiry',
      resource,
      message: `TLS certificate for ${cert.subject || 'the service'} ${when} (${cert.validTo.toISOString()})`,
      evidence: { daysLeft, validTo: cert.validTo.toISOString(), issuer: cert.issuer },
      remedy: `Renew the certificate for ${cert.subject || 'the service'} (issued by ${cert.issuer || 'unknown'}) and reload the service before ${cert.validTo.toISOString()}.`,
    },
  ];
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

/** Slower than `maxResponseTime`: a warning, not critical — the service still answers. */
export function responseTimeFindings(result: ProbeResult, maxResponseTime: number, resource: string): Finding[] {
  if (result.totalMs > maxResponseTime)
    return [
      {
        severity: 'warning',
        check: 'http.response-time',
        resource,
        message: `answered in ${Math.round(result.totalMs)} ms, above ${maxResponseTime} ms`,
        evidence: { ms: result.totalMs, limit: maxResponseTime },
        remedy:
          'Slow health answers come before outages: check latency-check and resource-usage (CPU throttling, memory pressure) for this service.',
      },
    ];
  return [];
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

/** The value at a dot path of a parsed JSON body; `found` tells a missing field from a null one. */
export function fieldAt(body: unknown, path: string): { found: boolean; value?: unknown } {
  let node = body;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in node)) return { found: false };
    node = (node as Record<string, unknown>)[part];
  }
  return { found: true, value: node };
}

/** The body's JSON conditions: a body that is not JSON is one finding; else one per field missing or wrong. */
export function bodyFindings(body: string, conditions: readonly JsonCondition[], resource: string): Finding[] {
  if (!conditions.length) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [
      {
        severity: 'critical',
        check: 'http.body-json',
        resource,
        message: 'body is not JSON',
        evidence: { body: body.slice(0, 200) },
        remedy:
          'Something other than the service answered (an error page, a proxy): check the route and the health path.',
      },
    ];
  }
  return conditions.flatMap((condition) => fieldFindings(parsed, condition, resource));
}

/** One condition on the parsed body: the field is missing, or holds another value than `equals`. */
function fieldFindings(body: unknown, condition: JsonCondition, resource: string): Finding[] {
  const field = fieldAt(body, condition.path);
  const finding = { severity: 'critical', check: 'http.body-field', resource } as const;
  if (!field.found)
    return [
      {
        ...finding,
        message: `body has no field ${condition.path}`,
        remedy: `The health answer changed shape: check the deployed version, or update the json condition on ${condition.path}.`,
      },
    ];
  if (condition.equals === undefined || field.value === condition.equals) return [];
  return [
    {
      ...finding,
      message: `${condition.path} is ${JSON.stringify(field.value)}, expected ${JSON.stringify(condition.equals)}`,
      remedy: `The service reports ${condition.path} = ${JSON.stringify(field.value)}: the part it names is degraded; check it (and its dependency probes) first.`,
    },
  ];
}

/** Everything an answer that arrived is judged on, in the order an operator reads it: status, time, headers, body. */
export function answerFindings(result: ProbeResult, expect: AnswerExpectations, resource: string): Finding[] {
  return [
    ...statusFindings(result, expect.expectStatus, resource),
    ...responseTimeFindings(result, expect.maxResponseTime, resource),
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
