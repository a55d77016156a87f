/** resource-usage and rollout judgements on recorded Kubernetes API objects. */
import { readFileSync } from 'node:fs';
import { parseQuantity } from '../../src/analysis/quantity.js';
import { analyzeResources } from '../../src/analysis/resources.js';
import { rolloutStatus, templateForUndo, undoTarget } from '../../src/analysis/rollout.js';

const recorded = JSON.parse(readFileSync(new URL('../fixtures/kube-pods.json', import.meta.url), 'utf8'));
const notRunning = JSON.parse(
  readFileSync(new URL('../fixtures/kube-pods-not-running.json', import.meta.url), 'utf8'),
).pods;
const NOW = new Date('2026-11-26T10:00:00Z');
const thresholds = { warnPercent: 80, criticalPercent: 95, restartsWarn: 3 };

describe('quantities', () => {
  it.each([
    ['250m', 0.25],
    ['2', 2],
    ['1954123456n', 1.954123456],
    ['100u', 0.0001],
    ['1.5', 1.5],
    ['512Mi', 512 * 2 ** 20],
    ['4Gi', 4 * 2 ** 30],
    ['1G', 1e9],
    ['128974848', 128974848],
    ['12e6', 12e6],
    ['1k', 1000],
  ])('%s = %d', (text, value) => expect(parseQuantity(text)).toBeCloseTo(value as number, 9));
  it('refuses what is not a quantity', () =>
    expect([parseQuantity('lots'), parseQuantity('1Qi'), parseQuantity(undefined)]).toEqual([null, null, null]));
});

describe('resource usage', () => {
  const result = analyzeResources('shop', recorded.pods, recorded.metrics, thresholds, NOW);
  const by = (check: string) =>
    result.findings.filter((f) => f.check === check).map((f) => [f.severity, f.resource, f.message]);

  it('judges usage against limits at 80 % and 95 %', () => {
    expect(by('resources.cpu-limit')).toEqual([
      ['critical', 'pod/shop/api-7d9f8c6b5-x2k4p', 'api uses 1.95 of its 2 cpu limit (97.7 %)'],
    ]);
    expect(by('resources.memory-limit')).toEqual([
      ['warning', 'pod/shop/api-7d9f8c6b5-q8r7t', 'api uses 3.4Gi of its 4Gi memory limit (85.4 %)'],
    ]);
  });

  it('names containers without limits, and restarting pods by cause', () => {
    expect(by('resources.no-limits')).toEqual([
      ['warning', 'pod/shop/worker-5c4b9d7f8-mm2zq', 'container worker has no cpu or memory limit'],
    ]);
    expect(by('pod.oomkilled')).toEqual([
      ['critical', 'pod/shop/api-7d9f8c6b5-q8r7t', 'container api was OOMKilled (4 restarts since the pod started)'],
    ]);
    expect(by('pod.crashloop')).toEqual([
      [
        'critical',
        'pod/shop/worker-5c4b9d7f8-mm2zq',
        'container worker is in CrashLoopBackOff (11 restarts, last exit: Error)',
      ],
    ]);
    expect(result.findings.every((f) => f.severity === 'info' || f.remedy)).toBe(true);
  });

  it('measures the running pods only, and counts the finished one apart', () => {
    expect(result.containers.map((c) => `${c.pod}/${c.container}`)).not.toContain('migrate-29384-abcde/migrate');
    expect(result.notMeasured).toEqual({ Succeeded: 1 });
    expect(result.metrics).toEqual({
      pods: 3,
      notMeasured: 1,
      containers: 4,
      maxCpuOfLimit: 0.977,
      maxMemoryOfLimit: 0.854,
      restarts: 15,
    });
  });

  it('says so when metrics-server gives nothing', () => {
    const none = analyzeResources('shop', recorded.pods, [], thresholds, NOW);
    expect(none.findings.map((f) => f.check)).toContain('resources.no-metrics');
  });
});

describe('pods that do not run', () => {
  const result = analyzeResources('shop', notRunning, [], thresholds, NOW);
  const rows = result.findings.map((f) => [f.severity, f.check, f.resource, f.message]);

  it('each gets a finding with its cause as the API states it, and a remedy', () => {
    expect(rows).toEqual([
      [
        'critical',
        'pod.unschedulable',
        'pod/shop/api-7d9f8c6b5-zz9pq',
        'pod is Pending, not scheduled: Unschedulable: 0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
      ],
      [
        'critical',
        'pod.image-pull',
        'pod/shop/api-6c8b7f9d4-k2m4n',
        'container api cannot start: ImagePullBackOff: Back-off pulling image "shop/api:1.5.0-rc1"',
      ],
      [
        'critical',
        'pod.config-error',
        'pod/shop/worker-5c4b9d7f8-cfg01',
        'container worker cannot start: CreateContainerConfigError: secret "worker-db" not found',
      ],
      [
        'warning',
        'pod.failed',
        'pod/shop/search-74d5c9-evict',
        'pod Failed: Evicted: The node was low on resource: memory. Threshold quantity: 100Mi, available: 91340Ki. Container search was using 1843200Ki, request is 0, has larger consumption of memory.',
      ],
      ['critical', 'pod.unknown', 'pod/shop/cache-warm-0', 'pod state Unknown: its node node-d stopped reporting'],
      [
        'info',
        'pod.pending',
        'pod/shop/api-6c8b7f9d4-new01',
        'pod is Pending for 30 s: scheduled, containers not started yet',
      ],
    ]);
    expect(result.findings.every((f) => f.remedy)).toBe(true);
    expect(result.findings.find((f) => f.check === 'pod.image-pull')!.remedy).toMatch(/shop\/api:1\.5\.0-rc1/);
  });

  it('counts them as not measured, by phase, apart from the pods measured', () => {
    expect(result.notMeasured).toEqual({ Pending: 4, Failed: 1, Unknown: 1 });
    expect(result.metrics).toMatchObject({ pods: 0, notMeasured: 6, containers: 0 });
    expect(result.findings.map((f) => f.check)).not.toContain('resources.no-metrics');
  });

  it('a pod still starting after five minutes is a warning, not news', () => {
    const later = analyzeResources('shop', notRunning, [], thresholds, new Date('2026-11-26T10:06:00Z'));
    expect(later.findings.find((f) => f.check === 'pod.pending')).toMatchObject({
      severity: 'warning',
      message: 'pod is Pending for 7 min: scheduled, containers not started yet',
    });
  });

  it('an init container that cannot start counts too; server text is bounded and on one line', () => {
    const pod = {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'app', resources: { limits: { cpu: '1', memory: '1Gi' } } }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'migrate', state: { waiting: { reason: 'InvalidImageName', message: `bad\n${'x'.repeat(5000)}` } } },
        ],
      },
    };
    const [f] = analyzeResources('shop', [pod], [], thresholds, NOW).findings;
    expect(f).toMatchObject({ severity: 'critical', check: 'pod.invalid-image' });
    expect(f!.message.startsWith('init container migrate cannot start: InvalidImageName: bad x')).toBe(true);
    expect(f!.message.length).toBeLessThan(400);
  });

  it('the no-limits remedy says what to set: the configured policy, or from the usage measured', () => {
    const from = analyzeResources('shop', recorded.pods, recorded.metrics, thresholds, NOW).findings.find(
      (f) => f.check === 'resources.no-limits',
    )!;
    expect(from.remedy).not.toMatch(/2 CPU|4Gi/);
    expect(from.remedy).toMatch(/it uses \S+ now, so at least \S+ as a start/);
    const policy = analyzeResources(
      'shop',
      recorded.pods,
      recorded.metrics,
      { ...thresholds, limitPolicy: { cpu: '1500m', memory: '3Gi' } },
      NOW,
    ).findings.find((f) => f.check === 'resources.no-limits')!;
    expect(policy.remedy).toBe(
      'Set resources.limits on worker so one pod cannot starve its node: cpu 1500m (the configured policy); memory 3Gi (the configured policy).',
    );
  });
});

describe('rollout status, as kubectl rollout status judges it', () => {
  const deployment = (status: object, generation = 3) => ({
    metadata: { name: 'api', generation },
    spec: { replicas: 3 },
    status,
  });
  it.each([
    [deployment({ observedGeneration: 2 }), false, 'waiting for deployment api spec update to be observed'],
    [
      deployment({ observedGeneration: 3, replicas: 4, updatedReplicas: 1, availableReplicas: 3 }),
      false,
      'waiting for deployment api rollout to finish: 1 out of 3 new replicas have been updated',
    ],
    [
      deployment({ observedGeneration: 3, replicas: 4, updatedReplicas: 3, availableReplicas: 3 }),
      false,
      'waiting for deployment api rollout to finish: 1 old replicas are pending termination',
    ],
    [
      deployment({ observedGeneration: 3, replicas: 3, updatedReplicas: 3, availableReplicas: 2 }),
      false,
      'waiting for deployment api rollout to finish: 2 of 3 updated replicas are available',
    ],
    [
      deployment({ observedGeneration: 3, replicas: 3, updatedReplicas: 3, availableReplicas: 3 }),
      true,
      'deployment api successfully rolled out (3/3 updated, 3 available)',
    ],
  ])('%#', (d, done, message) => expect(rolloutStatus(d)).toMatchObject({ done, message }));

  it('a passed progress deadline is a failure, not a wait', () => {
    expect(
      rolloutStatus(
        deployment({
          observedGeneration: 3,
          updatedReplicas: 1,
          conditions: [
            {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: 'ReplicaSet "api-5f" has timed out progressing.',
            },
          ],
        }),
      ),
    ).toEqual({
      done: false,
      failed: true,
      message: 'deployment api exceeded its progress deadline: ReplicaSet "api-5f" has timed out progressing.',
    });
  });

  it('undo goes to the newest revision before the current one, or the one asked for', () => {
    const d = { metadata: { name: 'api', uid: 'u1', annotations: { 'deployment.kubernetes.io/revision': '3' } } };
    const rs = (rev: number, owner = 'u1') => ({
      metadata: {
        name: `api-${rev}`,
        annotations: { 'deployment.kubernetes.io/revision': String(rev) },
        ownerReferences: [{ uid: owner }],
      },
      spec: { template: { metadata: { labels: { app: 'api', 'pod-template-hash': `h${rev}` } } } },
    });
    const sets = [rs(1), rs(2), rs(3), rs(9, 'someone-else')];
    expect(undoTarget(d, sets)).toMatchObject({ revision: 2 });
    expect(undoTarget(d, sets, 1)).toMatchObject({ revision: 1 });
    expect(undoTarget(d, sets, 9)).toEqual({ error: 'revision 9 not found; revisions: 1, 2, 3' });
    expect(undoTarget(d, [rs(3)])).toEqual({ error: 'no revision before 3 to roll back to' });
    expect(templateForUndo(rs(2))).toEqual({ metadata: { labels: { app: 'api' } } });
  });
});

describe('restarts since the previous run', () => {
  const pod = (name: string, restartCount: number, created = '2026-11-20T00:00:00Z') => ({
    metadata: { name, creationTimestamp: created },
    spec: { containers: [{ name: 'app', resources: { limits: { cpu: '1', memory: '1Gi' } } }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'app', restartCount, state: { running: {} } }] },
  });

  it('keeps only containers that restarted, so a large healthy fleet keeps almost nothing', () => {
    const fleet = Array.from({ length: 20_000 }, (_, i) => pod(`web-${i}`, i === 7 ? 2 : 0));
    const { restartCounts } = analyzeResources('shop', fleet, [], thresholds, NOW);
    expect(restartCounts).toEqual({ 'shop/web-7/app': 2 });
  });

  it('a container absent from the baseline had none then if its pod already existed; a new pod counts from its start', () => {
    const previous = { at: '2026-11-26T09:00:00.000Z', restarts: {} };
    const old = analyzeResources('shop', [pod('api-1', 4)], [], thresholds, NOW, previous);
    const restarts = (r: { findings: Array<{ check: string; message: string }> }) =>
      r.findings.filter((f) => f.check === 'pod.restarts').map((f) => f.message);
    expect(restarts(old)).toEqual(['container app restarted 4 times since the previous run 60 min ago']);
    const fresh = analyzeResources('shop', [pod('api-2', 4, '2026-11-26T09:30:00Z')], [], thresholds, NOW, previous);
    expect(restarts(fresh)).toEqual(['container app restarted 4 times since the pod started']);
  });
});
