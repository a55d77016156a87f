/**
 * The health report: per service availability, latency trend, error rate and SLO budget;
 * the checks that failed; incidents with time to detect and to recover; how each job ran.
 */
import type { ErrorRateRow, ServiceDayRow } from '../../store/report-queries.js';
import { daysOf } from '../period.js';
import type {
  FailingCheck,
  Health,
  HealthReport,
  IncidentSummary,
  JobRunSummary,
  Period,
  ServiceHealth,
} from '../types.js';
import { byService, jobsHealth, natural, num, series, worst } from './common.js';

export interface HealthThresholds {
  /** Availability below this is a warning (default 99.9 %)... */
  availabilityTarget: number;
  /** ...and below this critical (default 99 %). */
  availabilityCritical: number;
  /** 5xx ratio above this is a warning (default 1 %, the runbook's threshold). */
  errorRatio: number;
}

export const defaultHealthThresholds: HealthThresholds = {
  availabilityTarget: 0.999,
  availabilityCritical: 0.99,
  errorRatio: 0.01,
};

export interface HealthInputs {
  period: Period;
  generatedAt: Date;
  /** Services in the configuration: each gets a row, with data or without. */
  services: string[];
  health: ServiceDayRow[];
  errors: ErrorRateRow[];
  failing: FailingCheck[];
  incidents: IncidentSummary[];
  jobs: JobRunSummary[];
  thresholds?: HealthThresholds;
  /** The job types error rates are read from (their feeds), named when the SLO section is empty. */
  errorRateSources: string[];
}

const mean = (values: number[]): number | null =>
  values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;

export function composeHealthReport(input: HealthInputs): HealthReport {
  const t = input.thresholds ?? defaultHealthThresholds;
  const days = daysOf(input.period);
  const health = byService(input.health);
  const errors = byService(input.errors);
  const names = [...new Set([...input.services, ...health.keys(), ...errors.keys()])].sort(natural);

  const services: ServiceHealth[] = names.map((service) => {
    const h = health.get(service);
    const e = errors.get(service)?.total;
    const checks = h?.total?.checks ?? 0;
    const availability = checks ? h!.total!.up / checks : null;
    const errorRatio = e ? (e.requests > 0 ? e.errors / e.requests : num(e.meanRatio)) : null;
    const incidents = input.incidents.filter((i) => i.service === service).length;
    let status: Health = availability === null && errorRatio === null ? 'nodata' : 'ok';
    if (availability !== null && availability < t.availabilityTarget)
      status = availability < t.availabilityCritical ? 'critical' : 'warning';
    if (errorRatio !== null && errorRatio > t.errorRatio && status !== 'critical') status = 'warning';
    return {
      service,
      status,
      checks,
      availability,
      p50Ms: num(h?.total?.p50),
      p95Ms: num(h?.total?.p95),
      errorRatio,
      sloBudgetRemaining: num(e?.budget),
      incidents,
      availabilityByDay: series(h?.days ?? [], days, (r) => (r.checks ? r.up / r.checks : null)),
      p95ByDay: series(h?.days ?? [], days, (r) => num(r.p95)),
    };
  });

  const resolved = input.incidents.filter((i) => i.timeToRecoverMs !== null);
  const slo = services
    .filter((s) => s.sloBudgetRemaining !== null)
    .map((s) => ({ service: s.service, budgetRemaining: s.sloBudgetRemaining! }));
  const status = worst([
    ...services.map((s) => s.status),
    jobsHealth(input.jobs),
    input.incidents.some((i) => i.status === 'open') ? 'critical' : 'ok',
  ]);
  return {
    kind: 'health',
    title: 'Service health report',
    period: input.period,
    generatedAt: input.generatedAt,
    status,
    days,
    services: services.length
      ? { data: services }
      : { empty: 'No services are configured and no health checks ran in this period.' },
    failingChecks: input.failing.length
      ? { data: input.failing }
      : { empty: 'No check failed or warned in this period.' },
    incidents: {
      data: {
        count: input.incidents.length,
        meanTimeToDetectMs: mean(input.incidents.flatMap((i) => (i.timeToDetectMs === null ? [] : [i.timeToDetectMs]))),
        meanTimeToRecoverMs: mean(resolved.map((i) => i.timeToRecoverMs!)),
        list: input.incidents,
      },
    },
    slo: slo.length
      ? { data: slo }
      : {
          empty: `No SLO is configured: no ${input.errorRateSources.join(' or ') || 'error-rate'} job in SLO mode recorded an error budget in this period.`,
        },
    jobs: input.jobs.length ? { data: input.jobs } : { empty: 'No job ran in this period.' },
  };
}
