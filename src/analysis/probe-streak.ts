/**
 * Per-check failure and success thresholds, as Gatus has them: a target is judged failing
 * only after `failureThreshold` failed runs in a row (earlier ones are warnings, "1 of 3"),
 * and recovered only after `successThreshold` good runs in a row. Pure: the streak kept by
 * the previous run (JobContext.state, per target) and this run's findings in; the findings
 * as reported and the streak to keep out.
 *
 *            failed, failures < F                      good, successes < S
 *            (critical → warning "k of F")             (warning "recovering k of S")
 *              ┌──────────┐                              ┌──────────┐
 *              │          ▼                              │          ▼
 *          ┌────────┐  F-th failure in a row  ┌─────────┐
 *  start ─►│ passing│ ───────────────────────►│ failing │──┐ failed: successes = 0,
 *          └────────┘       (critical)        └─────────┘  │ critical as found
 *              ▲                                   │  ◄────┘
 *              └───────────────────────────────────┘
 *                  S-th good run in a row: recovered
 *
 * A run fails when a finding of the target's own probe is critical. Certificate expiry is
 * not a blip and is never held back. The incident signal counts the run's verdict after
 * this (README, "Incidents"): both debounce, one after the other.
 */
import type { Finding } from '../model.js';
import { span } from './format.js';

export interface ProbeStreak {
  failures: number;
  successes: number;
  failing: boolean;
  /** When the target started failing (ISO 8601), while it is. */
  since: string | null;
}

export interface StreakThresholds {
  failureThreshold: number;
  successThreshold: number;
}

const fresh: ProbeStreak = { failures: 0, successes: 0, failing: false, since: null };

/** Checks judged by this rule: everything critical but a certificate's expiry, which cannot blip. */
const blips = (f: Finding) => f.severity === 'critical' && f.check !== 'tls.expiry';

/** A streak kept by an earlier run, if it has the shape of one (it is read back untrusted). */
export function asStreak(value: unknown): ProbeStreak {
  if (!value || typeof value !== 'object') return fresh;
  const v = value as Partial<ProbeStreak>;
  const count = (n: unknown) => (typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : 0);
  const since = typeof v.since === 'string' && !Number.isNaN(Date.parse(v.since)) ? v.since : null;
  return { failures: count(v.failures), successes: count(v.successes), failing: v.failing === true, since };
}

/** How long ago `previousAt` was, for a message: "the previous run 5 min ago". */
const previousRun = (previousAt: Date | null, now: Date) =>
  previousAt ? `the previous run ${span(Math.max(0, (now.getTime() - previousAt.getTime()) / 1000))} ago` : 'none yet';

/**
 * This run's findings as the thresholds have them reported, and the streak to keep. With
 * both thresholds at 1 the findings pass unchanged.
 */
export function applyStreak(
  findings: readonly Finding[],
  kept: { streak: ProbeStreak; at: Date | null },
  thresholds: StreakThresholds,
  resource: string,
  now: Date,
): { findings: Finding[]; streak: ProbeStreak } {
  const previous = kept.streak;
  if (findings.some(blips)) {
    const failures = previous.failures + 1;
    const failing = previous.failing || failures >= thresholds.failureThreshold;
    const since = previous.since ?? now.toISOString();
    const streak = { failures, successes: 0, failing, since };
    if (failing) return { findings: [...findings], streak };
    const note = ` — failure ${failures} of ${thresholds.failureThreshold} in a row before this is critical (failureThreshold; ${previousRun(kept.at, now)})`;
    return {
      findings: findings.map((f) => (blips(f) ? { ...f, severity: 'warning', message: f.message + note } : f)),
      streak,
    };
  }
  const successes = previous.successes + 1;
  if (!previous.failing || successes >= thresholds.successThreshold)
    return { findings: [...findings], streak: { ...fresh, successes } };
  const recovering: Finding = {
    severity: 'warning',
    check: 'probe.recovering',
    resource,
    message: `${resource} passes again: good run ${successes} of ${thresholds.successThreshold} in a row before it counts as recovered (successThreshold); failing since ${previous.since ?? 'an earlier run'}`,
    evidence: { successes, successThreshold: thresholds.successThreshold, since: previous.since },
    remedy:
      'Nothing to do if it keeps passing; if it flaps, look for what changes between runs (a node, a pod, a DNS answer).',
  };
  return {
    findings: [...findings, recovering],
    streak: { failures: 0, successes, failing: true, since: previous.since },
  };
}
