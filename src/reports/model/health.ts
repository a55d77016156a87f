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

/** When a service's health is a warning or critical. */
export interface HealthThresholds {
  /** Availability below this is a warning (default 99.9 %)... */
  availabilityTarget: number;
  /** ...and below this critical (default 99 %). */
  availabilityCritical: number;
  /** 5xx ratio above this is a warning (default 1 %, the runbook's threshold). */
  errorRatio: number;
}

/** The runbook's thresholds, used when the inputs give none. */
export const defaultHealthThresholds: HealthThresholds = {
  availabilityTarget: 0.999,
  availabilityCritical: 0.99,
  errorRatio: 0.01,
};

/** What the store recorded for the period, as the health report reads it. */
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

/** The health report for a period: one row per service (configured, or seen in the runs), then the sections. */
export function composeHealthReport(input: HealthInputs): HealthReport {
  const days = daysOf(input.period);
  const services = serviceRows(input, days);
  const slo = sloBudgets(services);
  return {
    kind: 'health',
    title: 'Service health report',
    period: input.period,
    generatedAt: input.generatedAt,
    status: worst([
      ...services.map((s) => s.status),
      jobsHealth(input.jobs),
      // An unresolved incident outranks every check that passed.
      input.incidents.some((i) => i.status === 'open') ? 'critical' : 'ok',
    ]),
    days,
    services: services.length
      ? { data: services }
      : { empty: 'No services are configured and no health checks ran in this period.' },
    failingChecks: input.failing.length
      ? { data: input.failing }
      : { empty: 'No check failed or warned in this period.' },
    // Always data, even with no incident: the renderer says so when the count is 0.
    incidents: { data: incidentTimes(input.incidents) },
    slo: slo.length
      ? { data: slo }
      : {
          empty: `No SLO is configured: no ${input.errorRateSources.join(' or ') || 'error-rate'} job in SLO mode recorded an error budget in this period.`,
        },
    jobs: input.jobs.length ? { data: input.jobs } : { empty: 'No job ran in this period.' },
  };
}

/** A service's health-check rows: the period's total and its days. */
type HealthRows = { total?: ServiceDayRow; days: ServiceDayRow[] };

/** Every configured service and every service the runs named, in natural order (svc-2 before svc-10). */
function serviceRows(input: HealthInputs, days: string[]): ServiceHealth[] {
  const t = input.thresholds ?? defaultHealthThresholds;
  const health = byService(input.health);
  const errors = byService(input.errors);
  const names = [...new Set([...input.services, ...health.keys(), ...errors.keys()])].sort(natural);
  return names.map((service) =>
    serviceHealth(service, health.get(service), errors.get(service)?.total, input.incidents, days, t),
  );
}

function serviceHealth(
  service: string,
  h: HealthRows | undefined,
  e: ErrorRateRow | undefined,
  incidents: IncidentSummary[],
  days: string[],
  t: HealthThresholds,
): ServiceHealth {
  const checks = h?.total?.checks ?? 0;
  const availability = checks ? h!.total!.up / checks : null;
  // Runs that report a ratio but no counts (PromQL) leave only their mean ratio.
  const errorRatio = e ? (e.requests > 0 ? e.errors / e.requests : num(e.meanRatio)) : null;
  return {
    service,
    status: serviceStatus(availability, errorRatio, t),
    checks,
    availability,
    p50Ms: num(h?.total?.p50),
    p95Ms: num(h?.total?.p95),
    errorRatio,
    sloBudgetRemaining: num(e?.budget),
    incidents: incidents.filter((i) => i.service === service).length,
    availabilityByDay: series(h?.days ?? [], days, (r) => (r.checks ? r.up / r.checks : null)),
    p95ByDay: series(h?.days ?? [], days, (r) => num(r.p95)),
  };
}

/** Low availability is a warning or critical; a high error rate alone is only ever a warning. */
function serviceStatus(availability: number | null, errorRatio: number | null, t: HealthThresholds): Health {
  let status: Health = availability === null && errorRatio === null ? 'nodata' : 'ok';
  if (availability !== null && availability < t.availabilityTarget)
    status = availability < t.availabilityCritical ? 'critical' : 'warning';
  if (errorRatio !== null && errorRatio > t.errorRatio && status !== 'critical') status = 'warning';
  return status;
}

/** The count and the mean times to detect, acknowledge and recover (of the incidents that have them). */
function incidentTimes(incidents: IncidentSummary[]): NonNullable<HealthReport['incidents']['data']> {
  const resolved = incidents.filter((i) => i.timeToRecoverMs !== null);
  return {
    count: incidents.length,
    meanTimeToDetectMs: mean(incidents.flatMap((i) => (i.timeToDetectMs === null ? [] : [i.timeToDetectMs]))),
    meanTimeToRecoverMs: mean(resolved.map((i) => i.timeToRecoverMs!)),
    meanTimeToAcknowledgeMs: mean(
      incidents.flatMap((i) => (i.timeToAcknowledgeMs === null ? [] : [i.timeToAcknowledgeMs])),
    ),
    list: incidents,
  };
}

/** The services that recorded an error budget, with what is left of it. */
function sloBudgets(services: ServiceHealth[]): NonNullable<HealthReport['slo']['data']> {
  return services
    .filter((s) => s.sloBudgetRemaining !== null)
    .map((s) => ({ service: s.service, budgetRemaining: s.sloBudgetRemaining! }));
}
