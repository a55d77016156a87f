/**
 * log-analysis through the real client against the fake API server (its header says what
 * it is), on a fixed clock: the pods' recorded logs are read and mined; templates are kept
 * between runs with stable ids (ctx.state on the embedded store), so the next run reads
 * only since the previous one and names a new template and a spike, a template that merely
 * left the most frequent is not "new"; a crashed container's previous logs are read and
 * marked; `since` and configured masks; a new template joins an open incident's timeline.
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

type Seen = { id: number; template: string; count: number; fromPrevious: number };

describe('log-analysis', () => {
  let kube: FakeKube;
  let store: Store;
  let now = new Date('2026-11-25T08:30:00Z');
  beforeAll(async () => {
    kube = await new FakeKube().start();
    kube.logNow = () => now;
    store = await openStore({ path: 'memory://' });
    for (const name of ['checkout-6b7d-a', 'checkout-6b7d-b'])
      kube.addPod('shop', {
        metadata: { name, labels: { app: 'checkout' } },
        spec: { containers: [{ name: 'app', image: 'checkout:3.1.0' }] },
        status: { phase: 'Running', containerStatuses: [{ name: 'app', restartCount: 0, state: { running: {} } }] },
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
  /** Runs the job and records the run as the worker would (what the job's history reads). */
  const run = async (params: Record<string, unknown> = { service: 'checkout' }, jobId = 'checkout-logs') => {
    const ctx = jobContext(config(), () => {}, { store, jobId, runId: `logs-${++n}`, now: () => now });
    const outcome = await logAnalysis.run(ctx, logAnalysisParams.parse({ tail: 1000, ...params }));
    await store.runs.insertNew([
      runRow({
        id: ctx.runId,
        jobId,
        jobType: 'log-analysis',
        createdAt: now,
        status: outcome.status,
        findings: outcome.findings,
        metrics: {},
      }),
    ]);
    return outcome;
  };
  const logQueries = () => kube.requests.filter((r) => r.path.endsWith('/log')).map((r) => `${r.path}${r.query}`);
  const evidence = (outcome: { findings: Array<{ check: string; evidence?: unknown }> }) =>
    outcome.findings.find((f) => f.check === 'logs.templates')!.evidence as Seen[];

  it("first run: mines the error templates of the service's pods, the last `tail` lines, as the baseline", async () => {
    kube.setLogs('shop', 'checkout-6b7d-a', recorded.slice(0, 8));
    kube.setLogs('shop', 'checkout-6b7d-b', recorded.slice(8));
    const first = await run();
    expect(logQueries()).toEqual([
      '/api/v1/namespaces/shop/pods/checkout-6b7d-a/log?container=app&limitBytes=16777216&tailLines=1000',
      '/api/v1/namespaces/shop/pods/checkout-6b7d-b/log?container=app&limitBytes=16777216&tailLines=1000',
    ]);
    expect(first.metrics).toEqual({ pods: 2, lines: 14, errors: 10, templates: 3, previousLines: 0 });
    expect(evidence(first).map((t) => [t.id, t.count, t.template])).toEqual([
      [1, 4, 'ERROR [checkout] payment authorization failed for order <NUM>: gateway timeout after <NUM> ms'],
      [2, 3, 'ERROR [checkout] could not connect to redis at <IP>: connection refused'],
      [3, 3, 'ERROR [checkout] request <UUID> failed: upstream inventory returned <NUM>'],
    ]);
    expect(first.summary).toBe(
      'service/checkout: 10 error lines of 14 in the last 1000 lines of each container, 3 templates (first run: the baseline)',
    );
    expect(first.status).toBe('ok');
  });

  it('the next run reads since the previous run and names a new template and a spike, with stable ids', async () => {
    now = new Date('2026-11-25T09:30:00Z');
    const more = Array.from(
      { length: 30 },
      (_, i) =>
        `2026-11-25T09:00:${String(i).padStart(2, '0')}.000Z ERROR [checkout] could not connect to redis at 10.0.3.${i % 5}:6379: connection refused`,
    );
    kube.setLogs('shop', 'checkout-6b7d-a', [
      ...recorded, // from 08:14: before the previous run, so outside this window
      ...more,
      '2026-11-25T09:01:00.000Z ERROR [checkout] TLS handshake with payments.internal failed: certificate has expired',
    ]);
    kube.setLogs('shop', 'checkout-6b7d-b', []);
    const second = await run();
    expect(logQueries().slice(-1)[0]).toMatch(/sinceSeconds=3600&tailLines=1000$/);
    const by = (check: string) => second.findings.filter((f) => f.check === check).map((f) => f.message);
    expect(by('logs.new-template')).toEqual([
      'new error (1× since the previous run 60 min ago): ERROR [checkout] TLS handshake with payments.internal failed: certificate has expired',
    ]);
    expect(by('logs.template-spike')).toEqual([
      '30× since the previous run 60 min ago (was 3× in the previous run): ERROR [checkout] could not connect to redis at <IP>: connection refused',
    ]);
    expect(evidence(second).map((t) => [t.id, t.count])).toEqual([
      [2, 30],
      [4, 1],
    ]);
    expect(second.summary).toBe(
      'service/checkout: 31 error lines of 31 since the previous run 60 min ago, 2 templates, 1 new, 1 spiking',
    );
    expect(second.status).toBe('warning');
    expect(second.findings.filter((f) => f.severity === 'warning').every((f) => f.remedy)).toBe(true);
  });

  it('the next window starts where the previous run started reading, so lines logged while it read are not lost', async () => {
    kube.addPod('shop', {
      metadata: { name: 'billing-1', labels: { app: 'billing' } },
      spec: { containers: [{ name: 'app' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', restartCount: 0, state: { running: {} } }] },
    });
    const t0 = new Date('2026-11-27T10:00:00Z');
    kube.setLogs('shop', 'billing-1', [`${t0.toISOString()} ERROR [billing] ledger locked`]);
    // A slow first run: it starts reading at 10:00 and keeps its state at 10:05.
    let calls = 0;
    const slowClock = () => (calls++ === 0 ? t0 : new Date(t0.getTime() + 5 * 60_000));
    const scope = { namespace: 'shop', labelSelector: 'app=billing' };
    await logAnalysis.run(
      jobContext(config(), () => {}, { store, jobId: 'billing-logs', runId: 'billing-1st', now: slowClock }),
      logAnalysisParams.parse(scope),
    );
    // Logged at 10:02, after the first run began reading billing-1 and before it finished.
    now = new Date(t0.getTime() + 60 * 60_000);
    kube.setLogs('shop', 'billing-1', [
      `${new Date(t0.getTime() + 2 * 60_000).toISOString()} ERROR [billing] ledger locked`,
    ]);
    const second = await logAnalysis.run(
      jobContext(config(), () => {}, { store, jobId: 'billing-logs', runId: 'billing-2nd', now: () => now }),
      logAnalysisParams.parse(scope),
    );
    expect(logQueries().slice(-1)[0]).toMatch(/sinceSeconds=3600&tailLines=1000$/);
    expect(second.metrics).toMatchObject({ lines: 1, errors: 1 });
  });

  it('a pod whose container never started (no logs: the API says 400) is read as empty, not a failed run', async () => {
    kube.addPod('shop', {
      metadata: { name: 'ledger-ok', labels: { app: 'ledger' } },
      spec: { containers: [{ name: 'app' }] },
      status: { phase: 'Running', containerStatuses: [{ name: 'app', restartCount: 0, state: { running: {} } }] },
    });
    kube.addPod('shop', {
      metadata: { name: 'ledger-new', labels: { app: 'ledger' } },
      spec: { containers: [{ name: 'app', image: 'ledger:9.9.9' }] },
      status: {
        phase: 'Pending',
        containerStatuses: [{ name: 'app', restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }],
      },
    });
    kube.setLogs('shop', 'ledger-ok', [`${now.toISOString()} ERROR [ledger] balance mismatch`]);
    const outcome = await logAnalysis.run(
      jobContext(config(), () => {}, { store, jobId: 'ledger-logs', now: () => now }),
      logAnalysisParams.parse({ namespace: 'shop', labelSelector: 'app=ledger' }),
    );
    expect(outcome.metrics).toMatchObject({ pods: 2, lines: 1, errors: 1 });
  });

  it('a template that only left the most frequent 50 is not new when it comes back', async () => {
    const scope = { namespace: 'shop', labelSelector: 'app=search' };
    const at = (t: Date, text: string) => `${t.toISOString()} ${text}`;
    now = new Date('2026-11-26T08:00:00Z');
    kube.setLogs('shop', 'search-1', [at(now, 'ERROR search index corrupt')]);
    await run(scope, 'search-logs');
    now = new Date('2026-11-26T09:00:00Z');
    const word = (i: number) => `shard${'abcdefghij'[i % 10]}${'abcdefghij'[Math.floor(i / 10)]}`;
    kube.setLogs(
      'shop',
      'search-1',
      Array.from({ length: 55 }, (_, i) => [
        at(now, `ERROR ${word(i)} replica lost`),
        at(now, `ERROR ${word(i)} replica lost`),
      ]).flat(),
    );
    const crowded = await run(scope, 'search-logs');
    expect(crowded.metrics!.templates).toBe(55);
    now = new Date('2026-11-26T10:00:00Z');
    kube.setLogs('shop', 'search-1', [at(now, 'ERROR search index corrupt')]);
    const back = await run(scope, 'search-logs');
    expect(back.findings.filter((f) => f.check === 'logs.new-template')).toEqual([]);
    expect(evidence(back)).toEqual([
      expect.objectContaining({ id: 1, count: 1, template: 'ERROR search index corrupt' }),
    ]);
  });

  it("reads a restarted container's previous logs too, and marks what came from them", async () => {
    now = new Date('2026-11-26T12:00:00Z');
    kube.addPod('shop', {
      metadata: { name: 'payments-1', labels: { app: 'payments' } },
      spec: { containers: [{ name: 'api' }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'api',
            restartCount: 2,
            state: { running: {} },
            lastState: { terminated: { reason: 'Error', exitCode: 2 } },
          },
        ],
      },
    });
    kube.setLogs('shop', 'payments-1', ['2026-11-26T11:59:00Z INFO payments started']);
    kube.setPreviousLogs('shop', 'payments-1', [
      '2026-11-26T11:58:00Z ERROR payments ledger connection refused by 10.0.9.4:5432',
      '2026-11-26T11:58:01Z panic: runtime error: invalid memory address or nil pointer dereference',
    ]);
    const outcome = await run({ namespace: 'shop', labelSelector: 'app=payments', since: '1h' }, 'payments-logs');
    expect(logQueries().slice(-2)).toEqual([
      '/api/v1/namespaces/shop/pods/payments-1/log?container=api&limitBytes=16777216&sinceSeconds=3600&tailLines=1000',
      '/api/v1/namespaces/shop/pods/payments-1/log?container=api&limitBytes=16777216&previous=true&sinceSeconds=3600&tailLines=1000',
    ]);
    expect(outcome.metrics).toMatchObject({ lines: 3, errors: 2, previousLines: 2 });
    expect(evidence(outcome).map((t) => [t.count, t.fromPrevious])).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(outcome.findings[0]!.message).toMatch(
      /^2 error lines of 3 \(2 from previous, crashed or restarted, containers\) in 1 pods in the last 60 min: 2 templates/,
    );
  });

  it('`since` bounds the window by time; configured masks hide what they match; masks are config only', async () => {
    now = new Date('2026-11-26T14:00:00Z');
    kube.addPod('shop', {
      metadata: { name: 'auth-1', labels: { app: 'auth' } },
      spec: { containers: [{ name: 'app' }] },
      status: { phase: 'Running' },
    });
    kube.setLogs('shop', 'auth-1', [
      '2026-11-26T11:00:00Z ERROR login denied for user=mallory', // 3 h ago: outside since 1h
      '2026-11-26T13:30:00Z ERROR login denied for user=alice',
      '2026-11-26T13:40:00Z ERROR login denied for user=bob',
      '2026-11-26T13:50:00Z ERROR disk full',
    ]);
    const outcome = await run(
      {
        namespace: 'shop',
        labelSelector: 'app=auth',
        since: '1h',
        masks: [{ pattern: 'user=\\S+', name: 'USER' }],
        top: 1,
      },
      'auth-logs',
    );
    // `top` 1: the finding lists the most frequent template of the two.
    expect(outcome.metrics!.templates).toBe(2);
    expect(evidence(outcome).map((t) => [t.count, t.template])).toEqual([[2, 'ERROR login denied for <USER>']]);
    expect(JSON.stringify(outcome)).not.toMatch(/alice|bob|mallory/); // examples are masked too
    expect(logAnalysis.overridable).not.toContain('masks');
    const bad = logAnalysisParams.safeParse({ masks: [{ pattern: '(a)\\1', name: 'X' }] });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.message).toMatch(/^must be a regular expression in RE2 syntax/);
    const badName = logAnalysisParams.safeParse({ masks: [{ pattern: 'x', name: 'user id' }] });
    expect(badName.error!.issues[0]!.message).toBe(
      '"user id" is not a mask name: use 1 to 32 capitals, digits or _, starting with a capital (it becomes <NAME> in templates)',
    );
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
