/**
 * resource-usage and rollout through the real @kubernetes/client-node, against the fake
 * API server in test/support/fake-kube.ts — a stand-in, since no Kubernetes API server can
 * run here; its header lists what it does and does not do. What the jobs conclude is also
 * tested on recorded API objects (test/unit/kube-analysis.test.ts).
 */
import { readFileSync } from 'node:fs';
import { parseConfig } from '../../src/configure.js';
import type { OpscronConfig } from '../../src/config/schema.js';
import { resourceUsage, resourceUsageParams } from '../../src/jobs/resource-usage.js';
import { rollout, rolloutParams } from '../../src/jobs/rollout.js';
import { openStore, type Store } from '../../src/store/index.js';
import { resolveParams } from '../../src/worker.js';
import { tempDir } from '../support/cli.js';
import { FakeKube } from '../support/fake-kube.js';
import { jobContext } from '../support/job-context.js';

const recorded = JSON.parse(readFileSync(new URL('../fixtures/kube-pods.json', import.meta.url), 'utf8'));
const notRunning = JSON.parse(
  readFileSync(new URL('../fixtures/kube-pods-not-running.json', import.meta.url), 'utf8'),
).pods;

describe('Kubernetes jobs (real client, fake API server)', () => {
  let kube: FakeKube;
  let config: OpscronConfig;
  let store: Store;

  beforeAll(async () => {
    store = await openStore({ path: 'memory://' });
    kube = await new FakeKube().start();
    for (const pod of recorded.pods) {
      const usage = recorded.metrics.find((m: { metadata: { name: string } }) => m.metadata.name === pod.metadata.name);
      kube.addPod(
        'shop',
        pod,
        usage &&
          Object.fromEntries(
            usage.containers.map((c: { name: string; usage: { cpu: string; memory: string } }) => [c.name, c.usage]),
          ),
      );
    }
    for (const pod of notRunning) kube.addPod('edge', pod);
    kube.addDeployment('shop', 'api', { image: 'shop/api:1.4.1', replicas: 3 });
    config = parseConfig({
      kubernetes: { kubeconfig: kube.kubeconfig(tempDir('kube-')), context: 'fake', namespaces: ['shop'] },
      services: [{ name: 'api', url: 'http://api.shop.svc', namespace: 'shop', deployment: 'api' }],
    });
  });
  afterAll(async () => {
    await kube.stop();
    await store.close();
  });

  it('resource-usage reads pods and metrics.k8s.io with the token and judges them', async () => {
    const outcome = await resourceUsage.run(
      jobContext(config, () => {}, { store, jobId: 'shop-resources' }),
      resourceUsageParams.parse({}),
    );
    expect(kube.requests.slice(-2).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /api/v1/namespaces/shop/pods',
      'GET /apis/metrics.k8s.io/v1beta1/namespaces/shop/pods',
    ]);
    expect(outcome.status).toBe('critical');
    expect(outcome.findings.map((f) => f.check).sort()).toEqual([
      'pod.crashloop',
      'pod.oomkilled',
      'resources.cpu-limit',
      'resources.cpu-over-request',
      'resources.memory-limit',
      'resources.no-limits',
    ]);
    expect(outcome.metrics).toMatchObject({ pods: 3, notMeasured: 1, maxCpuOfLimit: 0.977, restarts: 15 });
    expect(outcome.summary).toMatch(/^\d+ findings in shop \(3 pods measured, 1 not running \(1 Succeeded\)\): /);
  });

  it('resource-usage names each pod that does not run, with its cause, and counts it apart', async () => {
    const now = () => new Date('2026-11-26T10:00:00Z');
    const outcome = await resourceUsage.run(
      jobContext(config, () => {}, { now, store, jobId: 'edge-resources' }),
      resourceUsageParams.parse({ namespace: 'edge' }),
    );
    expect(outcome.status).toBe('critical');
    expect(outcome.findings.map((f) => `${f.severity} ${f.check} ${f.resource}`)).toEqual([
      'critical pod.unschedulable pod/edge/api-7d9f8c6b5-zz9pq',
      'critical pod.image-pull pod/edge/api-6c8b7f9d4-k2m4n',
      'critical pod.config-error pod/edge/worker-5c4b9d7f8-cfg01',
      'warning pod.failed pod/edge/search-74d5c9-evict',
      'critical pod.unknown pod/edge/cache-warm-0',
      'info pod.pending pod/edge/api-6c8b7f9d4-new01',
    ]);
    expect(outcome.metrics).toMatchObject({ pods: 0, notMeasured: 6 });
    expect(outcome.summary).toMatch(
      /^5 findings in edge \(0 pods measured, 6 not running \(4 Pending, 1 Failed, 1 Unknown\)\): pod is Pending, not scheduled: Unschedulable: 0\/3 nodes are available: 3 Insufficient cpu\./,
    );
  });

  it('judges restarts and OOM kills since the previous run: one from yesterday is not news on the second run', async () => {
    const pod = (restartCount: number, finishedAt: string) => ({
      metadata: { name: 'billing-0', labels: { app: 'billing' } },
      spec: { containers: [{ name: 'app', image: 'billing:2.0', resources: { limits: { cpu: '1', memory: '1Gi' } } }] },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'app',
            restartCount,
            state: { running: {} },
            lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt } },
          },
        ],
      },
    });
    const usage = { app: { cpu: '100m', memory: '300Mi' } };
    let clock = Date.parse('2026-12-01T10:00:00Z');
    const run = async () =>
      resourceUsage.run(
        jobContext(config, () => {}, { store, jobId: 'billing-resources', now: () => new Date(clock) }),
        resourceUsageParams.parse({ namespace: 'billing' }),
      );
    const restartFindings = (o: Awaited<ReturnType<typeof run>>) =>
      o.findings.filter((f) => f.check.startsWith('pod.')).map((f) => `${f.severity} ${f.check}: ${f.message}`);

    kube.addPod('billing', pod(5, '2026-11-30T09:00:00Z'), usage);
    // First run: nothing to compare with; the OOM kill is judged as the pod's own history says.
    const first = await run();
    expect(restartFindings(first)).toEqual([
      'critical pod.oomkilled: container app was OOMKilled (5 restarts since the pod started)',
    ]);

    clock += 3_600_000;
    const second = await run();
    expect(second.status).toBe('ok');
    expect(restartFindings(second)).toEqual([
      'info pod.oomkilled: container app was last OOMKilled before the previous run (2026-11-30T09:00:00.000Z); no restart since the previous run 60 min ago',
    ]);
    expect(second.metrics).toMatchObject({ restarts: 0 });

    // Killed again between runs, and restarting often: news again.
    kube.addPod('billing', pod(9, '2026-12-01T11:30:00Z'), usage);
    clock += 3_600_000;
    const third = await run();
    expect(third.status).toBe('critical');
    expect(restartFindings(third)).toEqual([
      'critical pod.oomkilled: container app was OOMKilled (4 restarts since the previous run 60 min ago)',
    ]);
  });

  it('limitPolicy must be Kubernetes quantities; the message names the field and the value', () => {
    const parsed = resourceUsageParams.safeParse({ limitPolicy: { cpu: 'lots' } });
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues[0]!.message).toBe(
      'limitPolicy.cpu: "lots" is not a Kubernetes quantity above zero (e.g. 500m or 2)',
    );
  });

  it("resource-usage of a service looks only at its deployment's pods", async () => {
    const outcome = await resourceUsage.run(
      jobContext(config, () => {}, { store, jobId: 'api-resources' }),
      resourceUsageParams.parse({ service: 'api' }),
    );
    expect(outcome.metrics!.pods).toBe(2);
    expect(outcome.findings.every((f) => f.resource.startsWith('pod/shop/api-'))).toBe(true);
  });

  it('rollout verify says rolled out, or names what it waits for, and fails on a passed deadline', async () => {
    const verify = rolloutParams.parse({ service: 'api', wait: '1s', pollInterval: '100ms' });
    expect(await rollout.run(jobContext(config), verify)).toMatchObject({
      status: 'ok',
      summary: 'deployment api successfully rolled out (3/3 updated, 3 available)',
    });
    kube.stall('shop', 'api');
    const stalled = await rollout.run(jobContext(config), verify);
    expect(stalled).toMatchObject({
      status: 'critical',
      summary:
        'deployment api exceeded its progress deadline: ReplicaSet "api-' +
        kube.deployment('shop', 'api').metadata.annotations['opscron.test/rs'].slice(4) +
        '" has timed out progressing.',
    });
    expect(stalled.findings[0]!.remedy).toMatch(/kubectl describe deployment api -n shop/);
    kube.rollOut('shop', 'api');
  });

  it("restart is destructive: refused without confirm, and with it makes kubectl's annotation patch and waits for the rollout", async () => {
    const job = {
      id: 'restart-api',
      type: 'rollout',
      params: { service: 'api', action: 'restart' },
      destructive: false,
    } as never;
    expect(() => resolveParams(job, {})).toThrow(
      'restart-api is destructive: add confirm: true to the params to run it',
    );
    expect(() =>
      resolveParams({ ...(job as object), params: { service: 'api', action: 'verify' } } as never, {}),
    ).not.toThrow();

    kube.autoRolloutMs = 300;
    const revisionBefore = Number(
      kube.deployment('shop', 'api').metadata.annotations['deployment.kubernetes.io/revision'],
    );
    const progress: string[] = [];
    const outcome = await rollout.run(
      jobContext(config, (_f, note) => progress.push(note ?? '')),
      resolveParams(job, { confirm: true, wait: '5s', pollInterval: '50ms' }) as never,
    );
    const patch = kube.requests.find((r) => r.method === 'PATCH');
    expect(patch).toMatchObject({
      path: '/apis/apps/v1/namespaces/shop/deployments/api',
      contentType: 'application/strategic-merge-patch+json',
    });
    const d = kube.deployment('shop', 'api');
    expect(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(Number(d.metadata.annotations['deployment.kubernetes.io/revision'])).toBe(revisionBefore + 1);
    expect(outcome).toMatchObject({ status: 'ok', metrics: { revision: revisionBefore + 1 } });
    expect(outcome.summary).toMatch(/^restarted \(restartedAt .*\); deployment api successfully rolled out/);
    expect(progress.some((p) => /waiting for deployment api/.test(p))).toBe(true);
    kube.autoRolloutMs = null;
  });

  it("undo goes back to the previous revision's template with a JSON patch, as kubectl rollout undo", async () => {
    kube.autoRolloutMs = 100;
    const current = kube.deployment('shop', 'api');
    const before = Number(current.metadata.annotations['deployment.kubernetes.io/revision']);
    const outcome = await rollout.run(
      jobContext(config),
      rolloutParams.parse({ service: 'api', action: 'undo', wait: '5s', pollInterval: '50ms' }),
    );
    expect(kube.requests.filter((r) => r.method === 'PATCH').pop()).toMatchObject({
      contentType: 'application/json-patch+json',
    });
    const after = kube.deployment('shop', 'api');
    expect(after.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeUndefined(); // the template before the restart
    expect(Number(after.metadata.annotations['deployment.kubernetes.io/revision'])).toBe(before + 1); // the old ReplicaSet becomes the newest revision
    expect(kube.replicaSetsOf('shop', 'api')).toHaveLength(2);
    expect(outcome.summary).toMatch(
      new RegExp(`^rolled back to revision ${before - 1} \\(api-[0-9a-f]+\\); deployment api successfully rolled out`),
    );

    const nothing = rolloutParams.parse({ service: 'api', action: 'undo', toRevision: 42 });
    await expect(rollout.run(jobContext(config), nothing)).rejects.toThrow(
      /cannot undo deployment\/shop\/api: revision 42 not found; revisions: \d+, \d+/,
    );
    kube.autoRolloutMs = null;
  });

  it("API errors come back as one line with the status and the server's message", async () => {
    await expect(
      rollout.run(jobContext(config), rolloutParams.parse({ deployment: 'ghost', namespace: 'shop' })),
    ).rejects.toThrow('kubernetes get deployment/shop/ghost: 404 NotFound: deployments.apps "ghost" not found');
    const noConfig = parseConfig({});
    await expect(
      rollout.run(jobContext(noConfig), rolloutParams.parse({ deployment: 'api', namespace: 'shop' })),
    ).rejects.toThrow('this job needs the kubernetes section of the configuration');
  });
});
