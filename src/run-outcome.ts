/**
 * What a run may leave in the history: a job's outcome cut to size before it is written,
 * so no check — however much it finds, whatever a service answers — can make a run row
 * that the store refuses (jsonb holds at most 255 MB) or a page the API cannot serve.
 */
import {
  OUTCOME_STATUSES,
  SEVERITIES,
  type Finding,
  type JobOutcome,
  type OutcomeStatus,
  type TargetResult,
} from './model.js';

export const OUTCOME_LIMITS = {
  summary: 2000,
  findings: 500,
  message: 2000,
  label: 300,
  /** Evidence of one finding, as JSON. */
  evidenceBytes: 16 * 1024,
  metrics: 200,
  /** Per-target results of one run (a fan-out over 10,000 services keeps about 400 KB). */
  targets: 20_000,
};

const cut = (text: unknown, max: number): string => {
  const s = typeof text === 'string' ? text : String(text ?? '');
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
};

function boundFinding(f: Finding): Finding {
  const out: Finding = {
    severity: SEVERITIES.includes(f.severity) ? f.severity : 'critical',
    check: cut(f.check, OUTCOME_LIMITS.label),
    resource: cut(f.resource, OUTCOME_LIMITS.label),
    message: cut(f.message, OUTCOME_LIMITS.message),
  };
  if (f.remedy !== undefined) out.remedy = cut(f.remedy, OUTCOME_LIMITS.message);
  if (f.evidence !== undefined) {
    let bytes: number;
    try {
      bytes = Buffer.byteLength(JSON.stringify(f.evidence) ?? '');
    } catch {
      bytes = Number.POSITIVE_INFINITY; // a cycle, a BigInt: not storable as it is
    }
    out.evidence =
      bytes <= OUTCOME_LIMITS.evidenceBytes
        ? f.evidence
        : {
            truncated: true,
            note: `evidence of ${Number.isFinite(bytes) ? `${bytes} bytes` : 'a shape JSON cannot hold'} exceeded ${OUTCOME_LIMITS.evidenceBytes} bytes and was not kept`,
          };
  }
  return out;
}

/** The outcome within OUTCOME_LIMITS; throws if its status is not a verdict (the run then fails). */
export function boundOutcome(outcome: JobOutcome): {
  status: OutcomeStatus;
  summary: string;
  findings: Finding[];
  metrics: Record<string, number> | null;
  targets: TargetResult[] | null;
} {
  if (!OUTCOME_STATUSES.includes(outcome.status))
    throw new Error(
      `the job returned status ${JSON.stringify(outcome.status)}; allowed: ${OUTCOME_STATUSES.join(', ')}`,
    );
  const all = Array.isArray(outcome.findings) ? outcome.findings : [];
  const findings = all.length ? all.slice(0, OUTCOME_LIMITS.findings).map(boundFinding) : all;
  if (all.length > OUTCOME_LIMITS.findings) {
    findings.push({
      severity: 'info',
      check: 'opscron.findings-truncated',
      resource: 'opscron/run',
      message: `${all.length - OUTCOME_LIMITS.findings} more findings were not kept (at most ${OUTCOME_LIMITS.findings} per run)`,
    });
  }
  let metrics: Record<string, number> | null = null;
  if (outcome.metrics) {
    metrics = {};
    let n = 0;
    for (const [key, value] of Object.entries(outcome.metrics)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      if (++n > OUTCOME_LIMITS.metrics) break;
      metrics[cut(key, OUTCOME_LIMITS.label)] = value;
    }
  }
  return {
    status: outcome.status,
    summary: cut(outcome.summary, OUTCOME_LIMITS.summary),
    findings,
    metrics,
    targets: boundTargets(outcome.targets),
  };
}

/** At most OUTCOME_LIMITS.targets results, each a service name, a verdict and a finite time. */
function boundTargets(targets: unknown): TargetResult[] | null {
  if (!Array.isArray(targets)) return null;
  const out: TargetResult[] = [];
  for (const t of targets.slice(0, OUTCOME_LIMITS.targets) as Array<Partial<TargetResult> | null>) {
    if (!t || typeof t.service !== 'string' || !OUTCOME_STATUSES.includes(t.status as OutcomeStatus)) continue;
    const result: TargetResult = { service: cut(t.service, OUTCOME_LIMITS.label), status: t.status! };
    if (typeof t.ms === 'number' && Number.isFinite(t.ms) && t.ms >= 0) result.ms = Math.round(t.ms * 10) / 10;
    out.push(result);
  }
  return out;
}
