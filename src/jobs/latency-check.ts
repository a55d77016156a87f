/**
 * latency-check: response-time percentiles (p50/p95/p99) of a service's health endpoint
 * against thresholds, from N active probes (Prometheus histograms, when Prometheus is
 * configured, come with the Prometheus integration). Failed probes count as errors, not
 * as fast answers.
 */
import { z } from 'zod';
import { summarize } from '../analysis/percentiles.js';
import { duration } from '../config/schema.js';
import { InvalidRunError } from '../errors.js';
import { probe } from '../integrations/http.js';
import { defineJob, statusOf, type Finding } from './types.js';

const limits = z.strictObject({ p50: duration.optional(), p95: duration.optional(), p99: duration.optional() });

export const latencyCheckParams = z.strictObject({
  service: z.string(),
  /** Probes in the sample (sequential, so one slow answer does not hide behind others). */
  probes: z.number().int().min(5).max(1000).default(20),
  /** Above these: warning. */
  warn: limits.default({ p95: 500, p99: 1000 }),
  /** Above these: critical. */
  critical: limits.default({ p99: 2000 }),
  requestTimeout: duration.default(10_000),
});

export const latencyCheck = defineJob({
  type: 'latency-check',
  summary: 'p50/p95/p99 response time of a service from active probes, against thresholds',
  params: latencyCheckParams,
  async run(ctx, params) {
    const service = ctx.config.services.find((s) => s.name === params.service);
    if (!service) throw new InvalidRunError(`service "${params.service}" is not in config.services`);
    const url = new URL(service.healthPath, service.url).toString();
    const resource = `service/${service.name}`;
    const times: number[] = [];
    const failures: string[] = [];
    for (let i = 0; i < params.probes; i++) {
      const answer = await probe(url, { timeoutMs: params.requestTimeout, signal: ctx.signal });
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (answer.error !== undefined || answer.status! >= 500) failures.push(answer.error ?? `status ${answer.status}`);
      else times.push(answer.totalMs);
      ctx.progress((i + 1) / params.probes, `${i + 1} of ${params.probes} probes`);
    }
    const findings: Finding[] = [];
    if (failures.length) {
      findings.push({ severity: failures.length === params.probes ? 'critical' : 'warning', check: 'latency.failed-probes', resource, message: `${failures.length} of ${params.probes} probes failed (${[...new Set(failures)].slice(0, 3).join(', ')})`, remedy: `Run the health-check and error-rate jobs for ${service.name}: failures are not a latency problem.` });
    }
    if (!times.length) return { status: 'critical', summary: `${resource}: every probe failed`, findings };
    const summary = summarize(times);
    for (const q of ['p50', 'p95', 'p99'] as const) {
      const value = summary[q];
      const level = params.critical[q] !== undefined && value > params.critical[q]! ? 'critical' : params.warn[q] !== undefined && value > params.warn[q]! ? 'warning' : null;
      if (!level) continue;
      const limit = level === 'critical' ? params.critical[q]! : params.warn[q]!;
      findings.push({
        severity: level, check: `latency.${q}`, resource, message: `${q} ${Math.round(value)} ms over ${summary.count} probes, above ${limit} ms`,
        evidence: { ...summary, limit }, remedy: `Check ${service.name}'s resource usage and its dependencies; compare with the last deploy (rollout verify).`,
      });
    }
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      status: statusOf(findings),
      summary: `${resource}: p50 ${Math.round(summary.p50)} ms, p95 ${Math.round(summary.p95)} ms, p99 ${Math.round(summary.p99)} ms over ${summary.count} probes`,
      findings,
      metrics: { p50Ms: round(summary.p50), p95Ms: round(summary.p95), p99Ms: round(summary.p99), maxMs: round(summary.max), probes: summary.count, failedProbes: failures.length },
    };
  },
});
