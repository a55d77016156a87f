/**
 * health-check: GET a service's health endpoint and judge it by status code, response
 * time and fields of its JSON body. A failed condition is a finding; a slow answer is a
 * warning, a wrong one or none at all is critical.
 */
import { z } from 'zod';
import { duration } from '../config/schema.js';
import { probe } from '../integrations/http.js';
import { defineJob, statusOf, type Finding } from './types.js';

const jsonCondition = z.strictObject({
  /** Dot path into the JSON body: `status`, `checks.db.status`, `items.0.id`. */
  path: z.string().min(1),
  equals: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
});

export const healthCheckParams = z
  .strictObject({
    service: z.string().optional(),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    method: z.enum(['GET', 'HEAD']).default('GET'),
    headers: z.record(z.string(), z.string()).default({}),
    expectStatus: z.array(z.number().int().min(100).max(599)).min(1).default([200]),
    maxResponseTime: duration.default(2000),
    requestTimeout: duration.default(10_000),
    json: z.array(jsonCondition).default([]),
  })
  .refine((p) => (p.service === undefined) !== (p.url === undefined), { error: 'set exactly one of service or url' });

export type HealthCheckParams = z.output<typeof healthCheckParams>;

function fieldAt(body: unknown, path: string): { found: boolean; value?: unknown } {
  let node = body;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in node)) return { found: false };
    node = (node as Record<string, unknown>)[part];
  }
  return { found: true, value: node };
}

export const healthCheck = defineJob({
  type: 'health-check',
  summary: 'HTTP health endpoint: status code, response time and JSON body conditions',
  params: healthCheckParams,
  async run(ctx, params) {
    let url = params.url;
    let resource = url ? `url/${url}` : '';
    if (params.service !== undefined) {
      const service = ctx.config.services.find((s) => s.name === params.service);
      if (!service) throw new Error(`service "${params.service}" is not in config.services (have: ${ctx.config.services.map((s) => s.name).join(', ') || 'none'})`);
      url = new URL(service.healthPath, service.url).toString();
      resource = `service/${service.name}`;
    }
    const result = await probe(url!, { method: params.method, headers: params.headers, timeoutMs: params.requestTimeout, signal: ctx.signal });
    const findings: Finding[] = [];
    const metrics: Record<string, number> = { responseTimeMs: Math.round(result.totalMs) };
    if (result.error !== undefined) {
      findings.push({ severity: 'critical', check: 'http.reachable', resource, message: `GET ${url} failed: ${result.error}`, remedy: 'Check that the service is running and reachable from opscron.' });
      return { status: 'critical', summary: `${resource} unreachable: ${result.error}`, findings, metrics };
    }
    metrics.statusCode = result.status!;
    if (!params.expectStatus.includes(result.status!)) {
      findings.push({ severity: 'critical', check: 'http.status', resource, message: `status ${result.status}, expected ${params.expectStatus.join(' or ')}`, evidence: { status: result.status, body: result.body.slice(0, 500) } });
    }
    if (result.totalMs > params.maxResponseTime) {
      findings.push({ severity: 'warning', check: 'http.response-time', resource, message: `answered in ${Math.round(result.totalMs)} ms, above ${params.maxResponseTime} ms`, evidence: { ms: result.totalMs, limit: params.maxResponseTime } });
    }
    if (params.json.length) {
      let body: unknown;
      try {
        body = JSON.parse(result.body);
      } catch {
        findings.push({ severity: 'critical', check: 'http.body-json', resource, message: 'body is not JSON', evidence: { body: result.body.slice(0, 200) } });
      }
      if (body !== undefined) {
        for (const condition of params.json) {
          const field = fieldAt(body, condition.path);
          if (!field.found) {
            findings.push({ severity: 'critical', check: 'http.body-field', resource, message: `body has no field ${condition.path}` });
          } else if (condition.equals !== undefined && field.value !== condition.equals) {
            findings.push({ severity: 'critical', check: 'http.body-field', resource, message: `${condition.path} is ${JSON.stringify(field.value)}, expected ${JSON.stringify(condition.equals)}` });
          }
        }
      }
    }
    const status = statusOf(findings);
    const summary = status === 'ok' ? `${resource} healthy: ${result.status} in ${metrics.responseTimeMs} ms` : `${resource}: ${findings.map((f) => f.message).join('; ')}`;
    return { status, summary, findings, metrics };
  },
});
