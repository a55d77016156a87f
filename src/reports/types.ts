/**
 * Report models: plain data for a period, built from what the store recorded, with no
 * knowledge of PDF or email. Every section either has data or says in words why not.
 */
import type { IncidentEvent, IncidentSummary } from '../store/incidents.js';
import type { FailingCheck, FindingRow, JobRunSummary } from '../store/report-queries.js';
import type { Period, ReportKind, ReportSummary } from '../model.js';

export type {
  FailingCheck,
  FindingRow,
  IncidentEvent,
  IncidentSummary,
  JobRunSummary,
  Period,
  ReportKind,
  ReportSummary,
};
export type Health = 'ok' | 'warning' | 'critical' | 'nodata';

/** A section of a report: its data, or a sentence saying why there is none. */
export type Section<T> = { data: T; empty?: undefined } | { data?: undefined; empty: string };

export interface DayPoint {
  /** yyyy-mm-dd in the report's time zone. */
  day: string;
  value: number | null;
}

export interface ServiceHealth {
  service: string;
  status: Health;
  checks: number;
  /** Share of health checks that passed (ok or warning), 0..1. */
  availability: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  /** 5xx ratio over the period, from error-rate runs. */
  errorRatio: number | null;
  /** Latest error budget left, from error-rate runs in SLO mode. */
  sloBudgetRemaining: number | null;
  incidents: number;
  availabilityByDay: DayPoint[];
  p95ByDay: DayPoint[];
}

export interface HealthReport {
  kind: 'health';
  title: string;
  period: Period;
  generatedAt: Date;
  status: Exclude<Health, 'nodata'>;
  days: string[];
  services: Section<ServiceHealth[]>;
  failingChecks: Section<FailingCheck[]>;
  incidents: Section<{
    count: number;
    meanTimeToDetectMs: number | null;
    meanTimeToRecoverMs: number | null;
    meanTimeToAcknowledgeMs: number | null;
    list: IncidentSummary[];
  }>;
  slo: Section<Array<{ service: string; budgetRemaining: number }>>;
  jobs: Section<JobRunSummary[]>;
}

export interface PerformanceReport {
  kind: 'performance';
  title: string;
  period: Period;
  generatedAt: Date;
  status: Exclude<Health, 'nodata'>;
  days: string[];
  latency: Section<
    Array<{ service: string; p50Ms: number | null; p95Ms: number | null; p99Ms: number | null; p95ByDay: DayPoint[] }>
  >;
  errorRate: Section<
    Array<{ service: string; ratio: number | null; requests: number; errors: number; byDay: DayPoint[] }>
  >;
  resources: Section<FindingRow[]>;
  slowQueries: Section<FindingRow[]>;
  cache: Section<Array<{ cache: string; hitRatio: number | null; byDay: DayPoint[] }>>;
}

export interface Control {
  id: string;
  title: string;
  passed: boolean;
  severity: string;
  resource: string;
  evidence: string;
  remedy?: string;
  /** Compared with the previous compliance report: new, fixed, regressed or unchanged. */
  change: 'new' | 'fixed' | 'regressed' | 'unchanged';
}

export interface BackupFreshness {
  job: string;
  lastSuccessAt: Date | null;
  ageMs: number | null;
  targetMs: number;
  fresh: boolean;
}

export interface ComplianceReport {
  kind: 'compliance';
  title: string;
  period: Period;
  generatedAt: Date;
  status: Exclude<Health, 'nodata'>;
  controls: Section<Control[]>;
  previousReport: { id: string; createdAt: Date } | null;
  backups: Section<BackupFreshness[]>;
  destructiveActions: Section<
    Array<{ at: Date; actor: string; source: string; action: string; job: string | null; reason: string | null }>
  >;
  jobs: Section<JobRunSummary[]>;
}

export interface IncidentReport {
  kind: 'incident';
  title: string;
  period: Period;
  generatedAt: Date;
  status: Exclude<Health, 'nodata'>;
  incident: IncidentSummary;
  timeline: Section<IncidentEvent[]>;
  actions: Section<
    Array<{ at: Date; actor: string; action: string; job: string | null; outcome: string; reason: string | null }>
  >;
  findings: Section<FindingRow[]>;
}

export type Report = HealthReport | PerformanceReport | ComplianceReport | IncidentReport;

/** Compact figures kept in the reports index (and compared by the next report). */
