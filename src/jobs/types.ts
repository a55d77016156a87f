/**
 * The job contract (DESIGN.md). A job knows its parameters, its checks and its outcome,
 * and nothing about queues, HTTP or how it was triggered.
 */
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { OpscronConfig } from '../config/schema.js';
import type { Sql } from '../store/sql.js';

export type Severity = 'info' | 'warning' | 'critical';
export type OutcomeStatus = 'ok' | 'warning' | 'critical';

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

export interface JobOutcome {
  status: OutcomeStatus;
  summary: string;
  findings: Finding[];
  metrics?: Record<string, number>;
  artifacts?: Artifact[];
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
  /** The store: what opscron recorded (runs, incidents, reports), for jobs that read it. */
  sql: Sql;
  /** Long work reports how far it is (0..1) with a short note; the CLI and API show it. */
  progress(fraction: number, note?: string): void;
  now(): Date;
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
  return typeof definition.destructive === 'function' ? definition.destructive(params) : definition.destructive === true;
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
