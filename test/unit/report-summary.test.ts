/** A report's headline and figures (title page, email, index), and the renderer's dispatch over report kinds. */
import { renderReport } from '../../src/reports/pdf/render.js';
import { summarize } from '../../src/reports/summary.js';
import type {
  ComplianceReport,
  HealthReport,
  IncidentReport,
  PerformanceReport,
  Report,
} from '../../src/reports/types.js';

const period = { from: new Date('2026-11-24T00:00:00Z'), to: new Date('2026-11-26T00:00:00Z'), timeZone: 'UTC' };
const base = { period, generatedAt: period.to, status: 'ok' as const };
const job = {
  job: 'hc',
  type: 'health-check',
  total: 10,
  ok: 5,
  warning: 1,
  critical: 1,
  failed: 2,
  missed: 3,
  other: 0,
};
const incident = {
  id: 'i1',
  service: 'search',
  title: 'search failing',
  status: 'resolved' as const,
  openedAt: new Date('2026-11-25T10:00:00Z'),
  resolvedAt: new Date('2026-11-25T10:30:00Z'),
  timeToDetectMs: 120_000,
  timeToRecoverMs: 1_800_000,
  timeToAcknowledgeMs: null,
  silencedBy: null,
  signals: [],
};
const service = (name: string, availability: number | null, status: 'ok' | 'critical' | 'nodata') => ({
  service: name,
  status,
  checks: availability === null ? 0 : 100,
  availability,
  p50Ms: null,
  p95Ms: null,
  errorRatio: null,
  sloBudgetRemaining: null,
  incidents: 0,
  availabilityByDay: [],
  p95ByDay: [],
});

const health = (services: HealthReport['services']): HealthReport => ({
  ...base,
  kind: 'health',
  title: 'Service health report',
  days: ['2026-11-24', '2026-11-25'],
  services,
  failingChecks: { empty: 'none' },
  incidents: {
    data: {
      count: 1,
      meanTimeToDetectMs: null,
      meanTimeToRecoverMs: null,
      meanTimeToAcknowledgeMs: null,
      list: [incident],
    },
  },
  slo: { empty: 'none' },
  jobs: { data: [job] },
});

describe('report summary', () => {
  it('health: services healthy, the lowest availability and the incidents; the mean over measured services only', () => {
    const summary = summarize(
      health({ data: [service('a', 1, 'ok'), service('b', 0.9, 'critical'), service('c', null, 'nodata')] }),
    );
    expect(summary.headline).toBe('1 of 3 services healthy; lowest availability: b 90.00 %; 1 incident.');
    expect(summary.figures).toEqual([
      ['Services', '3'],
      ['Mean availability', '95.00 %'],
      ['Incidents', '1'],
      ['Failed or critical runs', '3'],
      ['Missed runs', '3'],
      ['Days', '2'],
    ]);
    expect(summarize(health({ empty: 'none' })).headline).toBe(
      'No health check ran in this period: availability is unknown.',
    );
  });

  it('performance: the slowest service by p95', () => {
    const report: PerformanceReport = {
      ...base,
      kind: 'performance',
      title: 'Performance report',
      days: [],
      latency: {
        data: [
          { service: 'a', p50Ms: 1, p95Ms: 120.4, p99Ms: null, p95ByDay: [] },
          { service: 'b', p50Ms: 1, p95Ms: null, p99Ms: null, p95ByDay: [] },
        ],
      },
      errorRate: { empty: 'none' },
      resources: { empty: 'none' },
      slowQueries: { empty: 'none' },
      cache: { empty: 'none' },
    };
    expect(summarize(report).headline).toBe('Slowest service by p95: a at 120 ms.');
    expect(summarize({ ...report, latency: { empty: 'none' } }).headline).toBe(
      'No latency was recorded in this period.',
    );
  });

  it('compliance: controls passing, stale backups, and each control kept for the next report', () => {
    const control = (id: string, passed: boolean, change: 'new' | 'regressed') => ({
      id,
      title: id,
      passed,
      severity: passed ? 'info' : 'critical',
      resource: 'r',
      evidence: '',
      change,
    });
    const report: ComplianceReport = {
      ...base,
      kind: 'compliance',
      title: 'Compliance report',
      controls: { data: [control('x', true, 'new'), control('y', false, 'regressed')] },
      previousReport: null,
      backups: { data: [{ job: 'db', lastSuccessAt: null, ageMs: null, targetMs: 1, fresh: false }] },
      destructiveActions: { empty: 'none' },
      jobs: { empty: 'none' },
    };
    const summary = summarize(report);
    expect(summary.headline).toBe('1 of 2 controls pass; 1 backup is older than target.');
    expect(summary.controls).toEqual({ x: true, y: false });
    expect(summary.figures).toContainEqual(['Regressed', '1']);
    expect(summarize({ ...report, controls: { empty: 'none' }, backups: { empty: 'none' } }).headline).toBe(
      'No control was evaluated in this period; 0 backups are older than target.',
    );
  });

  it('incident: recovered after how long, or still failing', () => {
    const report: IncidentReport = {
      ...base,
      kind: 'incident',
      title: 'Incident i1',
      incident,
      timeline: { empty: 'none' },
      actions: { empty: 'none' },
      findings: { empty: 'none' },
    };
    expect(summarize(report).headline).toBe('search recovered after 30 min 0 s (search failing).');
    expect(summarize(report).figures).toContainEqual(['Signals', '—']);
    const open = { ...incident, status: 'open' as const, resolvedAt: null, timeToRecoverMs: null };
    expect(summarize({ ...report, incident: open }).headline).toBe('search is still failing (search failing).');
  });

  it('an unknown kind is refused, not summarized or rendered as an empty document', async () => {
    const unknown = { ...base, kind: 'weekly', title: 'x' } as unknown as Report;
    expect(() => summarize(unknown)).toThrow(/unknown report kind weekly/);
    await expect(renderReport(unknown)).rejects.toThrow(/unknown report kind weekly/);
  });
});
