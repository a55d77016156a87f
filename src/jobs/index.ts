/** The registry: every job type opscron knows, by type name. */
import { errorRateJob } from './error-rate.js';
import { healthCheck } from './health-check.js';
import { latencyCheck } from './latency-check.js';
import { logAnalysis } from './log-analysis.js';
import { noop } from './noop.js';
import { complianceReport, healthReport, incidentReport, performanceReport } from './reports.js';
import { auditReview } from './audit-review.js';
import { backupVerify } from './backup-verify.js';
import { cacheHealth } from './cache.js';
import { cacheClear } from './cache-clear.js';
import { cacheOptimize } from './cache-optimize.js';
import { clearStuck } from './clear-stuck.js';
import { configBackup } from './config-backup.js';
import { dbBackup } from './db-backup.js';
import { debugLogging } from './debug-logging.js';
import { dbHealth } from './db-health.js';
import { queryAnalysis } from './query-analysis.js';
import { resetBreakers } from './reset-breakers.js';
import { resourceUsage } from './resource-usage.js';
import { rollout } from './rollout.js';
import { Feeds } from '../feeds.js';
import type { JobDefinition } from './types.js';

/**
 * The definitions as the registry holds them, each one's param type erased. Sound because
 * nothing calls `run` with anything but what the same definition's `params` schema produced
 * (the worker parses first); TypeScript cannot name "a definition of some P", so the erasure
 * is this one assertion.
 */
function registry<P extends unknown[]>(
  ...definitions: { [I in keyof P]: JobDefinition<P[I]> }
): JobDefinition<unknown>[] {
  return definitions as JobDefinition<unknown>[];
}

const all = registry(
  healthCheck,
  latencyCheck,
  errorRateJob,
  resourceUsage,
  rollout,
  resetBreakers,
  dbHealth,
  queryAnalysis,
  dbBackup,
  backupVerify,
  configBackup,
  cacheHealth,
  cacheOptimize,
  cacheClear,
  clearStuck,
  auditReview,
  logAnalysis,
  debugLogging,
  healthReport,
  performanceReport,
  complianceReport,
  incidentReport,
  noop,
);

/** Every job type by its name. */
export const jobTypes: ReadonlyMap<string, JobDefinition<unknown>> = new Map(all.map((job) => [job.type, job]));

/** What each type feeds to incidents and reports. */
export const jobFeeds = new Feeds(new Map(all.map((job) => [job.type, job.feeds ?? {}])));
export type { JobDefinition, JobContext, JobOutcome, Finding } from './types.js';
