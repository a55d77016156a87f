/**
 * log-analysis through the real client against the fake API server (its header says what
 * it is): the pods' recorded logs are tailed and mined; the next run names a new error
 * template and a spike; a new template on a service with an open incident joins its timeline.
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/configure.js';
import { IncidentManager } from '../../src/incidents/manager.js';
import { jobFeeds } from '../../src/jobs/index.js';
import { logAnalysis, logAnalysisParams } from '../../src/jobs/log-analysis.js';
import { silentLogger } from '../../src/observability/logger.js';
import { InlineQueue } from '../../src/queue/inline.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { RunRow } from '../../src/store/runs.js';
import { tempDir } from '../support/cli.js';
import { FakeKube } from '../support/fake-kube.js';
import { jobContext } from '../support/job-context.js';
import { runRow } from '../support/run-row.js';

const recorded = readFileSync(new URL('../fixtures/app-errors.log', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .filter((l) => l.includes('[checkout]'));

describe('log-analysis', () => {
  let kube: FakeKube;
  let store: Store;
  beforeAll(async () => {
    kube = await new FakeKube().start();
    store = await openStore({ path: 'memory://' });
    for (const name of ['checkout-6b7d-a', 'checkout-6b7d-b'])
      kube.addPod('shop', {
        metadata: { name, labels: { app: 'checkout' } },
        spec: { containers: [{ name: 'app', image: 'checkout:3.1.0' }] },
        status: { phase: 'Running' },
      });
    kube.addPod('shop', {
      metadata: { name: 'search-1', labels: { app: 'search' } },
      spec: { containers: [{ name: 'app' }] },
      status: { phase: 'Running' },
    });
    kube.setLogs('shop', 'search-1', ['2026-11-25T08:00:00Z ERROR search index corrupt']);
  });
  afterAll(async () => {
    await kube.stop();
    await store.close();
  });

  const config = () =>
    parseConfig({
      kubernetes: { kubeconfig: kube.kubeconfig(tempDir('logs-')), namespaces: ['shop'] },
      services: [{ name: 'checkout', url: 'http://checkout.shop', namespace: 'shop', deployment: 'checkout' }],
      jobs: [{ id: 'checkout-logs', type: 'log-analysis', params: { service: 'checkout' } }],
    });
  let n = 0;
  const run = async () => {
    const runId = `logs-${++n}`;
    const ctx = jobContext(config(), () => {}, { store, runId, jobId: 'checkout-logs' });
    const outcome = await logAnalysis.run(ctx, logAnalysisParams.parse({ service: 'checkout', tail: 1000 }));
    await store.runs.insertNew([
      runRow({
        id: ctx.runId,
        jobId: 'checkout-logs',
        jobType: 'log-analysis',
        createdAt: new Date(Date.now() + n * 1000),
        status: outcome.status,
        findings: outcome.findings,
        metrics: {},
      }),
    ]);
    return outcome;
  };

  it("mines the error templates of the service's pods (only its pods, the last `tail` lines)", async () => {
    kube.setLogs('shop', 'checkout-6b7d-a', recorded.slice(0, 8));
    kube.setLogs('shop', 'checkout-6b7d-b', recorded.slice(8));
    const first = await run();
    expect(kube.requests.filter((r) => r.path.endsWith('/log')).map((r) => r.path)).toEqual([
      '/api/v1/namespaces/shop/pods/checkout-6b7d-a/log',
      '/api/v1/namespaces/shop/pods/checkout-6b7d-b/log',
    ]);
    expect(first.metrics).toEqual({ pods: 2, lines: 14, errors: 10, templates: 3 });
    expect(
      (first.findings[0]!.evidence as Array<{ template: string; count: number }>).map((t) => [t.count, t.template]),
    ).toEqual([
      [4, 'ERROR [checkout] payment authorization failed for order <NUM>: gateway timeout after <NUM> ms'],
      [3, 'ERROR [checkout] could not connect to redis at <IP>: connection refused'],
      [3, 'ERROR [checkout] request <UUID> failed: upstream inventory returned <NUM>'],
    ]);
    expect(first.summary).toMatch(/\(first run: the baseline\)$/);
    expect(first.status).toBe('ok');
  });

  it('the next run names a new error template and one that spiked', async () => {
    const more = Array.from(
      { length: 30 },
      (_, i) =>
        `2026-11-25T09:00:${String(i).padStart(2, '0')}.000Z ERROR [checkout] could not connect to redis at 10.0.3.${i % 5}:6379: connection refused`,
    );
    kube.setLogs('shop', 'checkout-6b7d-a', [
      ...recorded,
      ...more,
      '2026-11-25T09:01:00.000Z ERROR [checkout] TLS handshake with payments.internal failed: certificate has expired',
    ]);
    kube.setLogs('shop', 'checkout-6b7d-b', []);
    const second = await run();
    const by = (check: string) => second.findings.filter((f) => f.check === check).map((f) => f.message);
    expect(by('logs.new-template')).toEqual([
      'new error (1×): ERROR [checkout] TLS handshake with payments.internal failed: certificate has expired',
    ]);
    expect(by('logs.template-spike')).toEqual([
      '33× (was 3×): ERROR [checkout] could not connect to redis at <IP>: connection refused',
    ]);
    expect(second.status).toBe('warning');
    expect(second.findings.filter((f) => f.severity === 'warning').every((f) => f.remedy)).toBe(true);
  });

  it('a new template on a service with an open incident joins its timeline', async () => {
    await store.sql.query(
      `insert into incidents (id, service, title, status, severity, opened_at, signals) values ('inc-1', 'checkout', 'error-rate critical on checkout', 'open', 'critical', now(), '["error-rate"]')`,
    );
    const cfg = config();
    const manager = new IncidentManager({
      config: cfg,
      store,
      queue: new InlineQueue(),
      logger: silentLogger,
      feeds: jobFeeds,
    });
    const row = {
      id: 'logs-x',
      jobId: 'checkout-logs',
      jobType: 'log-analysis',
      status: 'warning',
      params: null,
      finishedAt: new Date(),
      findings: [
        {
          severity: 'warning',
          check: 'logs.new-template',
          resource: 'service/checkout',
          message: 'new error (2×): ERROR [checkout] out of memory',
        },
      ],
    } as unknown as RunRow;
    manager.observe(row, cfg.jobs[0]);
    await manager.idle();
    const { rows } = await store.sql.query<{ kind: string; message: string }>(
      `select kind, message from incident_events where incident_id = 'inc-1'`,
    );
    expect(rows).toEqual([{ kind: 'log', message: 'new error (2×): ERROR [checkout] out of memory' }]);
  });
});
