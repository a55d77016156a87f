/**
 * The job contract (DESIGN.md). A job knows its parameters, its checks and its outcome,
 * and nothing about queues, HTTP or how it was triggered.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { OpscronConfig } from '../config/schema.js';
import type { OperationsInput } from '../analysis/audit.js';
import type { Finding, JobFeeds, JobOutcome, ReportKind, ReportSummary } from '../model.js';

export type { Artifact, Finding, JobOutcome, OutcomeStatus, Severity } from '../model.js';
export { statusOf } from '../model.js';

/** What opscron recorded, as a job may read it: its own previous run, and what the audit controls look at. */
export interface HistoryPort {
  /** The findings of this job's latest earlier run with a verdict (null: none yet). */
  previousFindings(): Promise<Finding[] | null>;
  /** What the operations controls judge, over the period that ends now. */
  operations(periodMs: number, backupTargetMs: number): Promise<Omit<OperationsInput, 'now'>>;
}

/** The report jobs build, store and queue their report through this. */
export interface ReportsPort {
  produce(request: {
    kind: ReportKind;
    lengthMs?: number;
    email: boolean;
    recipients?: string[];
    backupTargetMs?: number;
    incidentId?: string;
  }): Promise<ProducedReport>;
}

export interface ProducedReport {
  record: {
    id: string;
    title: string;
    status: string;
    storageKey: string;
    bytes: number;
    sha256: string;
    summary: ReportSummary;
  };
  delivery: { recipients: string[]; channel: string } | null;
  timings: { queryMs: number; modelMs: number; renderMs: number };
}

/** Changes to put back later, recorded before they are made (debug-logging). */
export interface RevertsPort {
  schedule(revert: {
    namespace: string;
    configmap: string;
    key: string;
    previous: string | null;
    value: string;
    revertAt: Date;
    restartDeployment: string | null;
  }): Promise<{ previous: string | null; extended: boolean }>;
}

/** What this job kept at its previous run, per scope (a cache, a database, a service). */
export interface StatePort {
  /** What this job kept under `scope` last time, and when (null: nothing yet). */
  get(scope: string): Promise<{ at: Date; value: unknown } | null>;
  /** Keeps `value` (JSON, at most 1 MiB) under `scope` for this job's next run; replaces what was kept. */
  put(scope: string, value: unknown): Promise<void>;
}

export interface JobContext {
  runId: string;
  /** The configured job id ('nightly-backup'); the type is on the definition. */
  jobId: string;
  attempt: number;
  logger: Logger;
  /** Aborted on timeout, on replacement (concurrency: replace) and at shutdown. Pass it to all I/O. */
  signal: AbortSignal;
  /** The whole validated configuration (services, databases, ...), frozen. */
  config: OpscronConfig;
  /** What opscron recorded, read-only. */
  history: HistoryPort;
  reports: ReportsPort;
  reverts: RevertsPort;
  /** Kept between runs of this job: counters to judge changes since, templates with stable ids. */
  state: StatePort;
  /** Long work reports how far it is (0..1) with a short note; the CLI and API show it. */
  progress(fraction: number, note?: string): void;
  now(): Date;
  /** Waits on the run's clock; rejects with the abort reason when the run is cancelled first. */
  sleep(ms: number): Promise<void>;
}

export interface JobDefinition<P = unknown> {
  type: string;
  summary: string;
  /** Validated at config load, at enqueue and again in the worker. */
  params: z.ZodType<P>;
  /**
   * The params a trigger may override: they tune the run (thresholds, limits, a period,
   * dryRun) and never change what it talks to or acts on. Everything else — URLs, headers,
   * CA files, databases, caches, namespaces, patterns — comes from the configuration, or
   * from an admin's override, audited as such (DESIGN.md, "The trigger boundary").
   */
  overridable: readonly (keyof P & string)[];
  /** What incidents and reports read from its runs (signal, metrics, backup kind, ...); see model.ts. */
  feeds?: JobFeeds;
  /** Needs `confirm: true` in params; always written to the audit log. A function: destructive for these params only (rollout restart, not rollout verify). */
  destructive?: boolean | ((params: P) => boolean);
  run(ctx: JobContext, params: P): Promise<JobOutcome>;
}

/** Helper that keeps the param type of a definition while it is stored as `JobDefinition<unknown>`. */
export function defineJob<P>(definition: JobDefinition<P>): JobDefinition<P> {
  return definition;
}

/** Whether a run of this type with these (validated) params is destructive. */
export function destructiveFor<P>(definition: JobDefinition<P>, params: P): boolean {
  return typeof definition.destructive === 'function'
    ? definition.destructive(params)
    : definition.destructive === true;
}
