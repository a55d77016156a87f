/**
 * health-check: GET a service's health endpoint and judge it by status code, response
 * time, response headers and conditions on its body; optionally fetch and parse the
 * service's /metrics. Or probe a tcp:// port or a DNS name (health-check-sockets.ts). A
 * failed condition is a finding; a slow answer is a warning (critical past
 * criticalResponseTime), a wrong one or none at all is critical; /metrics that cannot be
 * read or parsed is a warning. Failure and success thresholds hold back a blip
 * (health-check-streak.ts).
 */
import { setMaxListeners } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { ServiceConfig } from '../config/schema.js';
import type { RedisTls } from '../config/redis.js';
import { InvalidRunError } from '../errors.js';
import { certificateFindings } from '../analysis/certificates.js';
import {
  answerFindings,
  answerMetrics,
  metricsFindings,
  phaseMetrics,
  unreachableFinding,
} from '../analysis/http-checks.js';
import { probeDependency } from '../integrations/dependencies.js';
import { readBoundedText } from '../integrations/files.js';
import { probe } from '../integrations/http.js';
import { redact } from '../observability/redact.js';
import type { TargetResult } from '../model.js';
import { healthCheckParams, type HealthCheckParams } from './health-check-params.js';
import { checkDns, checkTcp } from './health-check-sockets.js';
import { withStreak } from './health-check-streak.js';
import { defineJob, statusOf, type Finding, type JobContext, type JobOutcome } from './types.js';

export { healthCheckParams, type HealthCheckParams } from './health-check-params.js';

/** The TLS files configured for a rediss:// server (the queue's, or a cache's with the same host and port). */
function configuredRedisTls(ctx: JobContext, url: string): RedisTls | undefined {
  const host = (u: string | undefined) => (u?.startsWith('rediss://') ? new URL(u).host : undefined);
  const wanted = host(url);
  if (!wanted) return undefined;
  if (host(ctx.config.queue.redisUrl) === wanted) return ctx.config.queue.tls;
  return ctx.config.caches.find((c) => host(c.url) === wanted)?.tls;
}

async function dependencyFindings(
  ctx: JobContext,
  service: ServiceConfig,
  resource: string,
  timeoutMs: number,
  ca: string | undefined,
): Promise<Finding[]> {
  const results = await Promise.all(
    service.dependencies.map((dep) =>
      probeDependency(dep, timeoutMs, ctx.signal, { redisTls: configuredRedisTls(ctx, dep), ca }),
    ),
  );
  return results
    .filter((dep) => !dep.ok)
    .map((dep) => ({
      severity: 'critical' as const,
      check: `dependency.${dep.kind}`,
      resource: `${resource}/dependency/${redact(dep.url)}`,
      message: `${service.name} depends on ${redact(dep.url)}, which does not answer: ${dep.error}`,
      evidence: { ms: Math.round(dep.ms) },
      remedy: `Restore ${redact(dep.url)} (or fix ${service.name}'s connection to it) before restarting ${service.name}.`,
    }));
}

/** Probes a service's health endpoint (or many, fanned out) and judges the answer. */
export const healthCheck = defineJob({
  type: 'health-check',
  summary: 'HTTP health endpoint (status, response time, headers, body conditions, TLS chain), TCP port or DNS name',
  params: healthCheckParams,
  feeds: { signal: 'health', availability: { responseTime: 'responseTimeMs' }, incidentEvidence: true },
  overridable: [
    'method',
    'expectStatus',
    'maxResponseTime',
    'criticalResponseTime',
    'requestTimeout',
    'failureThreshold',
    'successThreshold',
    'expectResponse',
    'expectDns',
    'json',
    'expectHeaders',
    'scrapeMetrics',
    'tls',
    'checkDependencies',
    'concurrency',
    'reuseConnections',
  ],
  async run(ctx, params) {
    const ca = params.caFile ? await readBoundedText(params.caFile, 'caFile') : undefined;
    if (params.services) return fanOut(ctx, params, ca);
    if (params.dns) return withStreak(ctx, params, `dns/${params.dns.name}`, () => checkDns(ctx, params, params.dns!));
    if (params.url?.startsWith('tcp:'))
      return withStreak(ctx, params, `tcp/${new URL(params.url).host}`, () => checkTcp(ctx, params));
    const service = params.service === undefined ? undefined : findService(ctx, params.service);
    const resource = service ? `service/${service.name}` : `url/${params.url}`;
    return withStreak(ctx, params, resource, () => checkOne(ctx, params, service, ca));
  },
});

function findService(ctx: JobContext, name: string): ServiceConfig {
  const service = ctx.config.services.find((s) => s.name === name);
  if (!service)
    throw new InvalidRunError(
      `service "${name}" is not in config.services (have: ${ctx.config.services.map((s) => s.name).join(', ') || 'none'})`,
    );
  return service;
}

/** Many services in one run, `concurrency` at a time: one finding list, one verdict, the latency spread. */
async function fanOut(ctx: JobContext, params: HealthCheckParams, ca: string | undefined): Promise<JobOutcome> {
  const services = params.services!.includes('*')
    ? ctx.config.services
    : params.services!.map((name) => findService(ctx, name));
  const outcomes: JobOutcome[] = new Array(services.length);
  // Each check in flight listens on the run's signal (and removes its listener when done).
  setMaxListeners(params.concurrency * 4 + 10, ctx.signal);
  const agents =
    params.reuseConnections === false
      ? undefined
      : {
          http: new http.Agent({ keepAlive: true, maxSockets: params.concurrency }),
          https: new https.Agent({ keepAlive: true, maxSockets: params.concurrency }),
        };
  let next = 0;
  let done = 0;
  const step = Math.max(1, Math.floor(services.length / 20));
  const worker = async () => {
    while (next < services.length && !ctx.signal.aborted) {
      const i = next++;
      const service = services[i]!;
      const check = () => checkOne(ctx, params, service, ca, agents);
      outcomes[i] = await withStreak(ctx, params, `service/${service.name}`, check);
      if (++done % step === 0) ctx.progress(done / services.length, `${done} of ${services.length} checked`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(params.concurrency, services.length) }, worker));
  } finally {
    agents?.http.destroy();
    agents?.https.destroy();
  }
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const findings = outcomes.flatMap((o) => o.findings);
  const failing = services.filter((_, i) => outcomes[i]!.status !== 'ok').map((s) => s.name);
  const times = outcomes
    .map((o) => o.metrics?.responseTimeMs)
    .filter((v): v is number => v !== undefined)
    .sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return {
    status: statusOf(findings),
    summary: failing.length
      ? `${services.length - failing.length} of ${services.length} services healthy; not: ${failing.slice(0, 10).join(', ')}${failing.length > 10 ? ` and ${failing.length - 10} more` : ''}`
      : `all ${services.length} services healthy (p50 ${at(0.5)} ms, p95 ${at(0.95)} ms)`,
    findings,
    targets: targetsOf(services, outcomes),
    metrics: {
      targets: services.length,
      healthy: services.length - failing.length,
      failing: failing.length,
      p50Ms: at(0.5),
      p95Ms: at(0.95),
      p99Ms: at(0.99),
      maxMs: times[times.length - 1] ?? 0,
    },
  };
}

/** Each service's own verdict and time: reports count availability and percentiles per service. */
function targetsOf(services: readonly ServiceConfig[], outcomes: readonly JobOutcome[]): TargetResult[] {
  return services.map((s, i) => {
    const ms = outcomes[i]!.metrics?.responseTimeMs;
    return ms === undefined
      ? { service: s.name, status: outcomes[i]!.status }
      : { service: s.name, status: outcomes[i]!.status, ms };
  });
}

/** One target: probe it (and its dependencies alongside), judge the answer, scrape its metrics if asked. */
async function checkOne(
  ctx: JobContext,
  params: HealthCheckParams,
  service: ServiceConfig | undefined,
  ca: string | undefined,
  agents?: { http: http.Agent; https: https.Agent },
): Promise<JobOutcome> {
  const url = service ? new URL(service.healthPath, service.url).toString() : params.url!;
  const resource = service ? `service/${service.name}` : `url/${url}`;
  // Dependencies are probed alongside, and reported even when the service itself is down.
  const dependencies =
    params.checkDependencies && service?.dependencies.length
      ? dependencyFindings(ctx, service, resource, params.requestTimeout, ca)
      : Promise.resolve([]);
  const agent = agents ? (url.startsWith('https:') ? agents.https : agents.http) : undefined;
  const result = await probe(url, {
    method: params.method,
    headers: params.headers,
    timeoutMs: params.requestTimeout,
    signal: ctx.signal,
    ca,
    insecure: params.insecureSkipVerify,
    agent,
  });
  const metrics = phaseMetrics(result);
  // The certificate is read at the handshake, so it is judged even when the request failed after it.
  const findings = result.certificate ? certificateFindings(result.certificate, params.tls, resource, ctx.now()) : [];
  if (result.error !== undefined) {
    findings.push(unreachableFinding(url, result.error, resource, params.method), ...(await dependencies));
    return { status: 'critical', summary: `${resource} unreachable: ${result.error}`, findings, metrics };
  }
  Object.assign(metrics, answerMetrics(result, ctx.now()));
  findings.push(...answerFindings(result, params, resource));
  if (params.scrapeMetrics && service)
    findings.push(...(await scrapeFindings(ctx, params, service, resource, metrics)));
  findings.push(...(await dependencies));
  const status = statusOf(findings);
  const summary =
    status === 'ok'
      ? `${resource} healthy: ${result.status} in ${metrics.responseTimeMs} ms`
      : `${resource}: ${findings.map((f) => f.message).join('; ')}`;
  return { status, summary, findings, metrics };
}

/** GETs the service's metrics path and judges it; the sample count joins `metrics` when it could be read. */
async function scrapeFindings(
  ctx: JobContext,
  params: HealthCheckParams,
  service: ServiceConfig,
  resource: string,
  metrics: Record<string, number>,
): Promise<Finding[]> {
  const metricsUrl = new URL(service.metricsPath, service.url).toString();
  const scrape = await probe(metricsUrl, { timeoutMs: params.requestTimeout, signal: ctx.signal });
  const judged = metricsFindings(scrape, metricsUrl, service, resource);
  if (judged.samples !== undefined) metrics.metricSamples = judged.samples;
  return judged.findings;
}
