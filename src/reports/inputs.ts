/**
 * What each report model is composed from, read through the store's report queries. Which
 * job types and run metrics feed each figure comes from the job types' declared feeds
 * (feeds.ts): nothing here names a job type or a metric.
 */
import type { OpscronConfig } from '../config/schema.js';
import { OpscronError } from '../errors.js';
import type { Feeds } from '../feeds.js';
import type { Period } from '../model.js';
import type { Store } from '../store/index.js';
import type { ComplianceInputs } from './model/compliance.js';
import type { HealthInputs } from './model/health.js';
import { incidentWindow, type IncidentInputs } from './model/incident.js';
import type { PerformanceInputs } from './model/performance.js';

/** What report inputs are read from. */
export type ReportSource = Pick<Store, 'reportData' | 'reports' | 'incidents'>;

/** Which service each configured job checks (params.service), or the job id itself. */
export function serviceOfJobs(config: OpscronConfig): Record<string, string> {
  const map: Record<string, string> = {};
  for (const job of config.jobs) map[job.id] = typeof job.params.service === 'string' ? job.params.service : job.id;
  return map;
}

export async function loadHealthInputs(
  source: ReportSource,
  feeds: Feeds,
  period: Period,
  config: OpscronConfig,
  generatedAt: Date,
): Promise<HealthInputs> {
  const services = serviceOfJobs(config);
  const availability = feeds.one('availability');
  const errorRate = feeds.one('errorRate');
  const [health, errors, failing, incidents, jobs] = await Promise.all([
    availability
      ? source.reportData.healthByServiceDay(period, services, {
          types: availability.types,
          metric: availability.feed.responseTime,
          fanOutJobs: config.jobs.filter((j) => Array.isArray(j.params.services)).map((j) => j.id),
        })
      : [],
    errorRate
      ? source.reportData.errorRatesByServiceDay(period, services, { types: errorRate.types, ...errorRate.feed })
      : [],
    source.reportData.failingChecks(period),
    source.incidents.within(period),
    source.reportData.jobRunSummary(period),
  ]);
  return {
    period,
    generatedAt,
    services: config.services.map((s) => s.name),
    health,
    errors,
    failing,
    incidents,
    jobs,
    errorRateSources: errorRate?.types ?? [],
  };
}

export async function loadPerformanceInputs(
  source: ReportSource,
  feeds: Feeds,
  period: Period,
  config: OpscronConfig,
  generatedAt: Date,
): Promise<PerformanceInputs> {
  const services = serviceOfJobs(config);
  const latencyFeed = feeds.one('latency');
  const errorRate = feeds.one('errorRate');
  const cacheFeed = feeds.one('cacheHitRatio');
  const section = (name: 'resources' | 'slow-queries') =>
    feeds
      .with('performanceSection')
      .filter((f) => f.feed === name)
      .map((f) => f.type);
  const sources = {
    latency: latencyFeed?.types ?? [],
    errorRate: errorRate?.types ?? [],
    resources: section('resources'),
    slowQueries: section('slow-queries'),
    cache: cacheFeed?.types ?? [],
  };
  const [latency, errors, resources, queries, cache] = await Promise.all([
    latencyFeed
      ? source.reportData.latencyByServiceDay(period, services, {
          types: latencyFeed.types,
          histogram: latencyFeed.feed.histogram,
        })
      : [],
    errorRate
      ? source.reportData.errorRatesByServiceDay(period, services, { types: errorRate.types, ...errorRate.feed })
      : [],
    sources.resources.length ? source.reportData.findingsOf(period, sources.resources) : [],
    sources.slowQueries.length ? source.reportData.findingsOf(period, sources.slowQueries) : [],
    cacheFeed ? source.reportData.hitRatioByDay(period, { types: cacheFeed.types, ...cacheFeed.feed }, services) : [],
  ]);
  const histogramPrefix = latencyFeed?.feed.histogram ?? '';
  return { period, generatedAt, latency, histogramPrefix, errors, resources, queries, cache, sources };
}

export async function loadComplianceInputs(
  source: ReportSource,
  feeds: Feeds,
  period: Period,
  config: OpscronConfig,
  backupTargetMs: number,
  generatedAt: Date,
): Promise<ComplianceInputs> {
  const backupTypes = feeds.typesWith('backup');
  const controlTypes = feeds.typesWith('complianceControls');
  const [audit, previous, backupSuccess, destructive, jobs] = await Promise.all([
    controlTypes.length ? source.reportData.latestRunOf(period, controlTypes) : null,
    source.reports.previous('compliance', generatedAt),
    backupTypes.length ? source.reportData.lastSuccessOf(backupTypes, period.to) : [],
    source.reportData.destructiveActions(period),
    source.reportData.jobRunSummary(period),
  ]);
  const backupJobs = config.jobs.filter((j) => backupTypes.includes(j.type)).map((j) => j.id);
  return {
    period,
    generatedAt,
    audit: audit as ComplianceInputs['audit'],
    previous,
    backupJobs,
    backupSuccess,
    backupTargetMs,
    destructive,
    jobs,
    sources: { controls: controlTypes, backups: backupTypes },
  };
}

export async function loadIncidentInputs(
  source: ReportSource,
  feeds: Feeds,
  id: string,
  config: OpscronConfig,
  generatedAt: Date,
): Promise<IncidentInputs> {
  const incident = await source.incidents.summary(id);
  if (!incident) throw new OpscronError('OPSCRON_NOT_FOUND', `incident "${id}" does not exist`);
  const services = serviceOfJobs(config);
  const jobsOfService = Object.entries(services)
    .filter(([, s]) => s === incident.service)
    .map(([job]) => job);
  const window = incidentWindow(incident, config.timezone, generatedAt);
  const [events, audit, findings] = await Promise.all([
    source.incidents.timeline(id),
    source.reportData.auditFor({ ...window, to: new Date(window.to.getTime() + 1) }, jobsOfService),
    source.reportData.findingsOf(window, feeds.typesWith('incidentEvidence'), 50, `service/${incident.service}`),
  ]);
  return { generatedAt, timeZone: config.timezone, incident, events, audit, findings };
}
