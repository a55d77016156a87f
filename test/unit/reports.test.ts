/** Report models on recorded inputs: the numbers, the statuses and the "no data" sentences. */
import { bucketOf, bucketValue, RELATIVE_ERROR } from '../../src/analysis/histogram.js';
import { composeComplianceReport } from '../../src/reports/model/compliance.js';
import { composeHealthReport, type HealthInputs } from '../../src/reports/model/health.js';
import { composeIncidentReport } from '../../src/reports/model/incident.js';
import { composePerformanceReport } from '../../src/reports/model/performance.js';
import { daysOf, parseInstant } from '../../src/reports/period.js';

const period = { from: new Date('2026-11-24T00:00:00Z'), to: new Date('2026-11-26T00:00:00Z'), timeZone: 'UTC' };
const generatedAt = period.to;

const healthInputs = (over: Partial<HealthInputs> = {}): HealthInputs => ({
  period,
  generatedAt,
  services: ['checkout', 'search', 'billing'],
  health: [
    { service: 'checkout', day: null, checks: 48, up: 48, p50: 40, p95: 90 },
    { service: 'checkout', day: '2026-11-24', checks: 24, up: 24, p50: 38, p95: 80 },
    { service: 'checkout', day: '2026-11-25', checks: 24, up: 24, p50: 42, p95: 100 },
    { service: 'search', day: null, checks: 48, up: 46, p50: 120, p95: 400 },
    { service: 'search', day: '2026-11-25', checks: 48, up: 46, p50: 120, p95: 400 },
  ],
  errors: [{ service: 'checkout', day: null, requests: 10_000, errors: 250, meanRatio: null, budget: 0.4 }],
  failing: [],
  incidents: [],
  jobs: [
    {
      job: 'hc-checkout',
      type: 'health-check',
      total: 48,
      ok: 48,
      warning: 0,
      critical: 0,
      failed: 0,
      missed: 0,
      other: 0,
    },
  ],
  errorRateSources: ['error-rate'],
  ...over,
});

describe('health report model', () => {
  it('computes availability, latency, error ratio and status per service', () => {
    const report = composeHealthReport(healthInputs());
    const byName = Object.fromEntries(report.services.data!.map((s) => [s.service, s]));
    expect(byName.checkout).toMatchObject({
      availability: 1,
      p50Ms: 40,
      p95Ms: 90,
      errorRatio: 0.025,
      sloBudgetRemaining: 0.4,
      status: 'warning',
    });
    expect(byName.search!.availability).toBeCloseTo(46 / 48);
    expect(byName.search!.status).toBe('critical'); // 95.8 % < 99 %
    expect(byName.billing).toMatchObject({ status: 'nodata', availability: null, checks: 0 });
    expect(report.status).toBe('critical');
    expect(report.days).toEqual(['2026-11-24', '2026-11-25']);
    expect(byName.checkout!.p95ByDay).toEqual([
      { day: '2026-11-24', value: 80 },
      { day: '2026-11-25', value: 100 },
    ]);
    expect(byName.search!.availabilityByDay[0]).toEqual({ day: '2026-11-24', value: null });
    expect(report.slo.data).toEqual([{ service: 'checkout', budgetRemaining: 0.4 }]);
  });

  it('incidents give mean time to detect and to recover', () => {
    const incidents = [
      {
        id: 'i1',
        service: 'search',
        title: 'search failing',
        status: 'resolved' as const,
        openedAt: new Date('2026-11-25T10:00:00Z'),
        resolvedAt: new Date('2026-11-25T10:30:00Z'),
        timeToDetectMs: 120_000,
        timeToRecoverMs: 1_800_000,
        timeToAcknowledgeMs: 240_000,
        silencedBy: null,
        signals: ['error-rate'],
      },
      {
        id: 'i2',
        service: 'search',
        title: 'search failing',
        status: 'open' as const,
        openedAt: new Date('2026-11-25T20:00:00Z'),
        resolvedAt: null,
        timeToDetectMs: 60_000,
        timeToRecoverMs: null,
        timeToAcknowledgeMs: null,
        silencedBy: null,
        signals: ['health'],
      },
    ];
    const report = composeHealthReport(healthInputs({ incidents }));
    expect(report.incidents.data).toMatchObject({
      count: 2,
      meanTimeToDetectMs: 90_000,
      meanTimeToRecoverMs: 1_800_000,
      // Only the acknowledged incident counts toward the mean time to acknowledge.
      meanTimeToAcknowledgeMs: 240_000,
    });
    expect(report.services.data!.find((s) => s.service === 'search')!.incidents).toBe(2);
  });

  it('an empty period says so in every section instead of leaving it blank', () => {
    const report = composeHealthReport({
      period,
      generatedAt,
      services: [],
      health: [],
      errors: [],
      failing: [],
      incidents: [],
      jobs: [],
      errorRateSources: ['error-rate'],
    });
    expect(report.services.empty).toMatch(/No services are configured and no health checks ran/);
    expect(report.failingChecks.empty).toMatch(/No check failed/);
    expect(report.slo.empty).toMatch(/No SLO is configured/);
    expect(report.jobs.empty).toMatch(/No job ran/);
    expect(report.incidents.data!.count).toBe(0);
    expect(report.status).toBe('ok');
  });

  it('orders services naturally: svc-2 before svc-10', () => {
    const report = composeHealthReport(
      healthInputs({ services: ['svc-10', 'svc-2', 'svc-1'], health: [], errors: [] }),
    );
    expect(report.services.data!.map((s) => s.service)).toEqual(['svc-1', 'svc-2', 'svc-10']);
  });
});

describe('compliance report model', () => {
  const findings = [
    {
      severity: 'info' as const,
      check: 'rbac.cluster-admin',
      resource: 'clusterrolebinding/admins',
      message: 'cluster-admin bound to system subjects only',
    },
    {
      severity: 'critical' as const,
      check: 'pod.privileged',
      resource: 'deployment/api',
      message: 'container api runs privileged',
      remedy: 'Set securityContext.privileged: false.',
    },
    { severity: 'warning' as const, check: 'pod.latest-tag', resource: 'deployment/web', message: 'image web:latest' },
  ];
  const base = {
    period,
    generatedAt,
    audit: { id: 'run-1', createdAt: generatedAt, findings },
    backupJobs: ['nightly-db'],
    backupTargetMs: 26 * 3_600_000,
    destructive: [],
    jobs: [],
    sources: { controls: ['audit-review'], backups: ['db-backup', 'config-backup'] },
  };

  it('marks each control against the previous report: new, fixed, regressed, unchanged', () => {
    const report = composeComplianceReport({
      ...base,
      previous: {
        id: 'compliance-1',
        createdAt: new Date('2026-11-19T00:00:00Z'),
        summary: { controls: { 'rbac.cluster-admin': false, 'pod.privileged': true } },
      },
      backupSuccess: [{ job: 'nightly-db', at: new Date('2026-11-25T02:00:00Z') }],
    });
    const change = Object.fromEntries(report.controls.data!.map((c) => [c.id, [c.passed, c.change]]));
    expect(change).toEqual({
      'rbac.cluster-admin': [true, 'fixed'],
      'pod.privileged': [false, 'regressed'],
      'pod.latest-tag': [false, 'new'],
    });
    expect(report.backups.data).toEqual([
      expect.objectContaining({ job: 'nightly-db', fresh: true, ageMs: 22 * 3_600_000 }),
    ]);
    expect(report.status).toBe('critical');
  });

  it('a backup older than its target, or never taken, is not fresh', () => {
    const report = composeComplianceReport({
      ...base,
      backupJobs: ['nightly-db', 'configs'],
      previous: null,
      backupSuccess: [{ job: 'nightly-db', at: new Date('2026-11-23T00:00:00Z') }],
    });
    expect(report.backups.data!.map((b) => [b.job, b.fresh, b.lastSuccessAt])).toEqual([
      ['configs', false, null],
      ['nightly-db', false, new Date('2026-11-23T00:00:00Z')],
    ]);
  });

  it('without audit runs or backups it says what to schedule', () => {
    const report = composeComplianceReport({ ...base, audit: null, backupJobs: [], backupSuccess: [], previous: null });
    expect(report.controls.empty).toMatch(/No audit-review run ended in this period.*Schedule the audit-review job/);
    expect(report.backups.empty).toMatch(/No backup job/);
    expect(report.destructiveActions.empty).toMatch(/Nobody ran a destructive action/);
  });
});

describe('performance and incident models', () => {
  it('performance: percentiles come from the added-up histograms, not from an average of per-run percentiles', () => {
    // Day 1: 90 probes at 20 ms; day 2: 10 at 900 ms. Per-run p95s were 20 and 900: their mean, 460 ms, is no percentile at all.
    const fast = `latencyBucket${bucketOf(20)}`;
    const slow = `latencyBucket${bucketOf(900)}`;
    const report = composePerformanceReport({
      period,
      generatedAt,
      latency: [
        { service: 'api', day: null, key: fast, count: 90 },
        { service: 'api', day: null, key: slow, count: 10 },
        { service: 'api', day: '2026-11-24', key: fast, count: 90 },
        { service: 'api', day: '2026-11-25', key: slow, count: 10 },
        { service: 'api', day: null, key: 'latencyBucketjunk', count: 1e9 },
      ],
      histogramPrefix: 'latencyBucket',
      errors: [],
      resources: [],
      queries: [],
      cache: [],
      sources: { latency: [], errorRate: [], resources: [], slowQueries: [], cache: [] },
    });
    const [api] = report.latency.data!;
    expect(api!.p50Ms).toBeCloseTo(bucketValue(bucketOf(20)));
    expect(api!.p95Ms).toBeCloseTo(bucketValue(bucketOf(900))); // the slowest 10 % are above the 95th percentile
    expect(Math.abs(api!.p95Ms! - 900) / 900).toBeLessThanOrEqual(RELATIVE_ERROR);
    expect(api!.p95ByDay.map((d) => Math.round(d.value!))).toEqual(
      [20, 900].map((v) => Math.round(bucketValue(bucketOf(v)))),
    );
  });

  it('performance: names the job that would have recorded each missing section', () => {
    const report = composePerformanceReport({
      period,
      generatedAt,
      latency: [],
      histogramPrefix: 'latencyBucket',
      errors: [],
      resources: [],
      queries: [],
      cache: [],
      sources: {
        latency: ['latency-check'],
        errorRate: ['error-rate'],
        resources: ['resource-usage'],
        slowQueries: ['query-analysis'],
        cache: ['cache-health'],
      },
    });
    expect(report.latency.empty).toMatch(/latency-check/);
    expect(report.resources.empty).toMatch(/resource-usage/);
    expect(report.slowQueries.empty).toMatch(/query-analysis/);
    expect(report.cache.empty).toMatch(/cache-health/);
  });

  it('incident: remediation events and audit entries merge into one ordered list of actions', () => {
    const incident = {
      id: 'inc-1',
      service: 'search',
      title: 'error-rate critical',
      status: 'resolved' as const,
      openedAt: new Date('2026-11-25T10:00:00Z'),
      resolvedAt: new Date('2026-11-25T10:20:00Z'),
      timeToDetectMs: 60_000,
      timeToRecoverMs: 1_200_000,
      timeToAcknowledgeMs: null,
      silencedBy: null,
      signals: ['error-rate'],
    };
    const report = composeIncidentReport({
      generatedAt,
      timeZone: 'UTC',
      incident,
      findings: [],
      events: [
        {
          at: new Date('2026-11-25T10:00:00Z'),
          kind: 'opened',
          signal: 'error-rate',
          runId: 'r1',
          message: 'error-rate critical twice',
        },
        {
          at: new Date('2026-11-25T10:01:00Z'),
          kind: 'remediation-finished',
          signal: 'reset-breakers',
          runId: 'r2',
          message: 'reset-breakers ok',
        },
      ],
      audit: [
        {
          at: new Date('2026-11-25T10:05:00Z'),
          actor: 'ada',
          action: 'trigger',
          job: 'restart-search',
          reason: 'by hand',
        },
      ],
    });
    expect(report.actions.data!.map((a) => a.actor)).toEqual(['opscron', 'ada']);
    expect(report.period.from).toEqual(new Date('2026-11-25T08:59:00Z'));
    expect(report.findings.empty).toMatch(/no findings/);
  });
});

describe('periods', () => {
  it('counts calendar days in the report time zone, across a DST change', () => {
    expect(
      daysOf({
        from: new Date('2026-10-24T22:00:00Z'),
        to: new Date('2026-10-26T23:00:00Z'),
        timeZone: 'Europe/Berlin',
      }),
    ).toEqual(['2026-10-25', '2026-10-26']);
    expect(
      daysOf({ from: new Date('2026-11-25T00:00:00Z'), to: new Date('2026-11-25T06:00:00Z'), timeZone: 'UTC' }),
    ).toEqual(['2026-11-25']);
  });

  it('parses --from/--to and names the argument when it cannot', () => {
    expect(parseInstant('2026-11-01', '--from')).toEqual(new Date('2026-11-01T00:00:00Z'));
    expect(() => parseInstant('yesterday', '--from')).toThrow(
      '--from "yesterday" — must be a date (2026-11-01) or a date-time (2026-11-01T08:00:00Z)',
    );
  });
});
