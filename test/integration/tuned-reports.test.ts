/**
 * What reports are built from — availability, failing checks, the compliance controls —
 * comes from the checks as configured. A run a trigger tuned (any override but `confirm`)
 * was judged by the trigger's thresholds, or covered less (audit-review `sections`), so it
 * must not stand in for them: a `trigger` token could otherwise write a service's
 * availability down or up, or make the compliance report show the controls of an audit it
 * narrowed to the sections that pass. On both stores.
 */
import { join } from 'node:path';
import { jobFeeds } from '../../src/jobs/index.js';
import type { Finding } from '../../src/model.js';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../support/cli.js';
import { runRow } from '../support/run-row.js';
import { createDatabase } from '../support/services.mjs';

const DAY = Date.parse('2026-11-25T00:00:00Z');
const period = { from: new Date(DAY), to: new Date(DAY + 86_400_000), timeZone: 'UTC' };
const at = (minute: number) => new Date(DAY + minute * 60_000);
const down: Finding = { severity: 'critical', check: 'http.status', resource: 'service/checkout', message: '503' };
const control: Finding = {
  severity: 'critical',
  check: 'access.cluster-admin',
  resource: 'clusterrolebinding/ci',
  message: 'cluster-admin bound to ci',
};

describe.each([
  ['PostgreSQL', async () => ({ databaseUrl: await createDatabase('tuned_reports') })],
  ['SQLite', async () => ({ path: join(tempDir('tuned-reports-db-'), 'db') })],
] as const)('reports count only the configured checks, on %s', (_name, where) => {
  let store: Store;

  beforeAll(async () => {
    store = await openStore({ path: 'unused', ...(await where()) });
    const health = (id: string, minute: number, status: 'ok' | 'critical', params: unknown) =>
      runRow({
        id,
        jobId: 'hc-checkout',
        jobType: 'health-check',
        createdAt: at(minute),
        finishedAt: at(minute),
        status,
        params,
        metrics: { responseTimeMs: 40 },
        findings: status === 'critical' ? [down] : [],
      });
    const rows = [
      health('h1', 10, 'ok', {}),
      health('h2', 20, 'ok', null),
      health('h3', 30, 'ok', { confirm: true }),
      // A trigger's runs, made to fail: a status nothing answers with.
      ...[40, 41, 42, 43].map((m) => health(`t${m}`, m, 'critical', { expectStatus: [599] })),
      runRow({
        id: 'a1',
        jobId: 'audit',
        jobType: 'audit-review',
        createdAt: at(60),
        finishedAt: at(60),
        status: 'critical',
        params: {},
        findings: [control],
      }),
      // The same audit later, narrowed by a trigger to the section that passes.
      runRow({
        id: 'a2',
        jobId: 'audit',
        jobType: 'audit-review',
        createdAt: at(70),
        finishedAt: at(70),
        status: 'ok',
        params: { sections: ['operations'] },
        findings: [],
      }),
    ];
    expect(await store.runs.insertNew(rows)).toHaveLength(rows.length);
  });
  afterAll(async () => {
    await store.close();
  });

  it("a service's availability and failing checks leave out the runs a trigger tuned", async () => {
    const rows = await store.reportData.healthByServiceDay(
      period,
      { 'hc-checkout': 'checkout' },
      { types: ['health-check'], metric: 'responseTimeMs' },
    );
    expect(rows.find((r) => r.day === null)).toMatchObject({ service: 'checkout', checks: 3, up: 3 });
    expect(await store.reportData.failingChecks(period)).toEqual([
      expect.objectContaining({ resource: 'clusterrolebinding/ci' }),
    ]);
  });

  it("the compliance report's controls are the last audit as configured, not one a trigger narrowed", async () => {
    const types = jobFeeds.typesWith('complianceControls');
    expect(types).toContain('audit-review');
    expect(await store.reportData.latestRunOf(period, types)).toMatchObject({ id: 'a1', findings: [control] });
  });
});
