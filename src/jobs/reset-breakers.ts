/**
 * reset-breakers: the runbook's "POST /admin/reset-breakers" on each service that has a
 * breaker-reset path, then a health probe of each to see that it took. Audited like any
 * manual run; the POST is the only change it makes.
 */
import { z } from 'zod';
import { duration, type ServiceConfig } from '../config/schema.js';
import { InvalidRunError } from '../errors.js';
import { probe } from '../integrations/http.js';
import { defineJob, statusOf, type Finding, type JobContext } from './types.js';

/** Which services to reset (default all with a breakerResetPath), with what headers and timeout. */
export const resetBreakersParams = z.strictObject({
  /** Services to reset (default: every service with a breakerResetPath). */
  services: z.array(z.string()).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  requestTimeout: duration.default(10_000),
});

type ResetBreakersParams = z.output<typeof resetBreakersParams>;

/** Resets the circuit breakers of the services that have a reset path, and checks each one's health after. */
export const resetBreakers = defineJob({
  type: 'reset-breakers',
  summary: "POST each service's circuit-breaker reset path, then verify its health",
  params: resetBreakersParams,
  feeds: { incidentEvidence: true },
  overridable: ['requestTimeout'],
  async run(ctx, params) {
    const candidates = ctx.config.services.filter(
      (s) => s.breakerResetPath && (!params.services || params.services.includes(s.name)),
    );
    const unknown = (params.services ?? []).filter(
      (name) => !ctx.config.services.some((s) => s.name === name && s.breakerResetPath),
    );
    if (unknown.length) throw new InvalidRunError(`no breakerResetPath configured for: ${unknown.join(', ')}`);
    if (!candidates.length)
      throw new InvalidRunError('no service has a breakerResetPath (services[].breakerResetPath)');
    const findings: Finding[] = [];
    let done = 0;
    for (const service of candidates) {
      findings.push(await resetOne(ctx, params, service));
      ctx.progress(++done / candidates.length, service.name);
    }
    const status = statusOf(findings);
    return {
      status,
      summary: `reset breakers of ${candidates.map((s) => s.name).join(', ')}: ${status}`,
      findings,
      metrics: { services: candidates.length },
    };
  },
});

/** POSTs one service's reset path; if that took, probes its health to see whether the cause is gone too. */
async function resetOne(ctx: JobContext, params: ResetBreakersParams, service: ServiceConfig): Promise<Finding> {
  const resource = `service/${service.name}`;
  const resetUrl = new URL(service.breakerResetPath!, service.url).toString();
  const reset = await probe(resetUrl, {
    method: 'POST',
    headers: params.headers,
    timeoutMs: params.requestTimeout,
    signal: ctx.signal,
  });
  if (reset.error !== undefined || reset.status! >= 300)
    return {
      severity: 'critical',
      check: 'breakers.reset',
      resource,
      message: `POST ${resetUrl} failed: ${reset.error ?? `status ${reset.status}`}`,
      remedy: `Reset ${service.name}'s breakers by hand, or restart it (rollout restart).`,
    };
  const health = await probe(new URL(service.healthPath, service.url).toString(), {
    timeoutMs: params.requestTimeout,
    signal: ctx.signal,
  });
  if (health.error !== undefined || health.status! >= 400)
    return {
      severity: 'warning',
      check: 'breakers.health-after',
      resource,
      message: `breakers reset, but ${service.healthPath} still answers ${health.error ?? health.status}`,
      remedy: `The cause is still there: check ${service.name}'s dependencies (health-check) before resetting again.`,
    };
  return {
    severity: 'info',
    check: 'breakers.reset',
    resource,
    message: `breakers reset; ${service.healthPath} answers ${health.status}`,
  };
}
