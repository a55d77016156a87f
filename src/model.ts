/**
 * The shared vocabulary of opscron, at the bottom of every layer: what a check finds, how a
 * run ends, what triggered it, what a report is about, who did what from where. Each is
 * defined once here (as a const list where it is also validated); this module imports
 * nothing of opscron.
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** A job's verdict on what it checked. */
export const OUTCOME_STATUSES = ['ok', 'warning', 'critical'] as const;
export type OutcomeStatus = (typeof OUTCOME_STATUSES)[number];

/**
 * How a run ended (or that it still runs):
 *   running ──► ok | warning | critical (the job's verdict) | failed | timeout | cancelled | skipped
 *   missed: a slot that never ran (written once, by the scheduler)
 */
export const RUN_STATUSES = [
  'running',
  'ok',
  'warning',
  'critical',
  'failed',
  'timeout',
  'missed',
  'cancelled',
  'skipped',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const TRIGGERS = ['schedule', 'manual', 'catch-up', 'retry'] as const;
export type Trigger = (typeof TRIGGERS)[number];

export const REPORT_KINDS = ['health', 'incident', 'compliance', 'performance'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** Where an action came from, in the audit log. */
export const AUDIT_SOURCES = ['cli', 'api', 'console', 'queue', 'scheduler', 'incident'] as const;
export type AuditSource = (typeof AUDIT_SOURCES)[number];

/** What an API token may do: read < trigger < admin. */
export const SCOPES = ['read', 'trigger', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** A report's period. */
export interface Period {
  from: Date;
  to: Date;
  /** Days in charts and tables are calendar days in this zone. */
  timeZone: string;
}

/** What a stored report says in a line and a few figures (indexed, mailed, listed). */
export interface ReportSummary {
  headline: string;
  figures: Array<[string, string]>;
  controls?: Record<string, boolean>;
}

export interface Finding {
  severity: Severity;
  /** What was checked: 'http.status', 'error-rate', 'pod-security.privileged', ... */
  check: string;
  /** What it was checked on: 'service/checkout', 'db/orders', ... */
  resource: string;
  message: string;
  /** Numbers a report can chart. */
  evidence?: unknown;
  /** The runbook step an operator would take. */
  remedy?: string;
}

export interface Artifact {
  kind: string;
  /** Storage key, e.g. `backups/orders/2026/11/26/….dump`. */
  key: string;
  bytes?: number;
  sha256?: string;
}

/**
 * One of the many targets a run checked (a health-check fan-out over `services`): its own
 * verdict and response time, so that reports count each service, not the run.
 */
export interface TargetResult {
  service: string;
  status: OutcomeStatus;
  /** Response time (ms), when it answered. */
  ms?: number;
}

export interface JobOutcome {
  status: OutcomeStatus;
  summary: string;
  findings: Finding[];
  metrics?: Record<string, number>;
  /** Per-target results of a run that checks many. */
  targets?: TargetResult[];
  artifacts?: Artifact[];
}

/** One attempt of a run, as the history keeps it. */
export interface RunRow {
  id: string;
  queueId: string | null;
  jobId: string;
  jobType: string;
  trigger: Trigger;
  scheduledFor: Date | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  attempt: number;
  status: RunStatus;
  summary: string | null;
  findings: Finding[];
  metrics: Record<string, number> | null;
  /** Per-target results of a run that checked many (absent or null otherwise). */
  targets?: TargetResult[] | null;
  error: string | null;
  params: unknown;
  requestedBy: string | null;
  reason: string | null;
  worker: string | null;
}

/**
 * What incidents and reports read from a job type's runs: declared by the type on its
 * definition (jobs/types.ts), read by them through the Feeds catalogue (feeds.ts) — so a
 * report never names a job type or a run metric itself.
 */
export interface JobFeeds {
  /** The incident signal its runs move, per service ('health', 'latency', ...). */
  signal?: string;
  /** Its new log templates join an open incident's timeline. */
  logTimeline?: boolean;
  /** Its findings explain an incident (the incident report's evidence). */
  incidentEvidence?: boolean;
  /** Availability and response time per service (health report): the response-time metric. */
  availability?: { responseTime: string };
  /** Per-run percentiles, and the prefix of the metrics that hold the run's log-scale histogram (analysis/histogram.ts). */
  latency?: { p50: string; p95: string; p99: string; histogram: string };
  errorRate?: { requests: string; errors: string; ratio: string; budget: string };
  /** A cache's hits and misses over each run's interval: the performance report's hit ratio is their sums' ratio. */
  cacheHitRatio?: { hits: string; misses: string };
  /** Error log lines per service (audit-review's log volume control). */
  errorLogs?: string;
  /** Its findings fill a section of the performance report. */
  performanceSection?: 'resources' | 'slow-queries';
  /** A backup: its last success is a compliance control. */
  backup?: 'database' | 'config';
  /** It verifies backups: a run names the backup it verified in the `evidence.key` of a `backup.*` finding. */
  backupVerification?: boolean;
  /** Its latest run holds the compliance controls. */
  complianceControls?: boolean;
}

const RANK: Record<OutcomeStatus, number> = { ok: 0, warning: 1, critical: 2 };

/** The outcome status implied by a set of findings: the worst severity, info counting as ok. */
export function statusOf(findings: readonly Finding[]): OutcomeStatus {
  let status: OutcomeStatus = 'ok';
  for (const f of findings) {
    const s: OutcomeStatus = f.severity === 'info' ? 'ok' : f.severity;
    if (RANK[s] > RANK[status]) status = s;
  }
  return status;
}

/** What a silence's matchers may name; incidents/silence.ts decides what a silence mutes, the store keeps them. */
export const MATCHER_NAMES = ['service', 'signal'] as const;
export const MATCHER_OPS = ['=', '!=', '=~', '!~'] as const;

/** One condition on a signal: `service=checkout`, `signal!=latency`. */
export interface Matcher {
  name: (typeof MATCHER_NAMES)[number];
  op: (typeof MATCHER_OPS)[number];
  value: string;
}

/** A silence, or with a schedule a maintenance window. */
export interface Silence {
  id: string;
  matchers: Matcher[];
  startsAt: Date;
  endsAt: Date;
  /** A maintenance window: the cron schedule its windows start on, in timeZone, each durationMs long. */
  schedule: string | null;
  timeZone: string | null;
  durationMs: number | null;
  reason: string;
  createdBy: string;
  createdAt: Date;
  expiredBy: string | null;
}
