/**
 * health-check's failure and success thresholds (analysis/probe-streak.ts) with the streak
 * kept per target in JobContext.state. With both thresholds at 1 (the default) nothing is
 * read or kept: the verdict is this run's alone.
 */
import { applyStreak, asStreak } from '../analysis/probe-streak.js';
import type { HealthCheckParams } from './health-check-params.js';
import { statusOf, type JobContext, type JobOutcome } from './types.js';

/** Runs `check` on one target and reports its outcome as the target's streak (kept under `resource`) has it. */
export async function withStreak(
  ctx: JobContext,
  params: HealthCheckParams,
  resource: string,
  check: () => Promise<JobOutcome>,
): Promise<JobOutcome> {
  if (params.failureThreshold === 1 && params.successThreshold === 1) return check();
  // Read before probing: a probe takes time, and the streak read is a separate store round trip.
  const [kept, outcome] = await Promise.all([ctx.state.get(resource), check()]);
  const now = ctx.now();
  const applied = applyStreak(
    outcome.findings,
    { streak: asStreak(kept?.value), at: kept?.at ?? null },
    params,
    resource,
    now,
  );
  await ctx.state.put(resource, applied.streak);
  const status = statusOf(applied.findings);
  if (status === outcome.status && applied.findings.length === outcome.findings.length)
    return { ...outcome, findings: applied.findings };
  return {
    ...outcome,
    status,
    findings: applied.findings,
    summary: `${outcome.summary}${status === 'warning' ? ` (${applied.streak.failing ? 'recovering' : `failure ${applied.streak.failures} of ${params.failureThreshold}`})` : ''}`,
  };
}
