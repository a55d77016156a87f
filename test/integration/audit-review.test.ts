/**
 * audit-review through the real @kubernetes/client-node against the fake API server
 * (test/support/fake-kube.ts, a stand-in: see its header): a cluster with known violations
 * has each found under the right control id, a clean one has none; then the controls of a
 * run recorded by the engine fill the compliance report PDF.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { triggerRun } from '../../src/actions.js';
import { jobFeeds } from '../../src/jobs/index.js';
import { startOpscron, type Opscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { auditReview, auditReviewParams } from '../../src/jobs/audit-review.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { produceReport } from '../../src/reports/publish.js';
import { getRun } from '../../src/store/runs.js';
import { tempDir } from '../support/cli.js';
import { FakeKube } from '../support/fake-kube.js';
import { jobContext } from '../support/job-context.js';
import { createDatabase } from '../support/services.mjs';
import { eventually } from '../support/target.js';

const labels = { app: 'good' };
const BOOTSTRAPPED = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
/** The built-in edit ClusterRole as an API server serves it (excerpt of its aggregated rules). */
const EDIT_RULES = [
  {
    apiGroups: [''],
    resources: ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'],
    verbs: ['get', 'list', 'watch'],
  },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
  {
    apiGroups: [''],
    resources: ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy'],
    verbs: ['create', 'delete', 'deletecollection', 'patch', 'update'],
  },
];
const goodDeployment = (namespace: string) => ({
  kind: 'Deployment',
  metadata: { name: 'good', namespace, labels },
  spec: {
    replicas: 2,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: 'good',
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'good',
            image: 'registry.example.com/good:1.2.3',
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
            resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } },
            readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
            livenessProbe: { httpGet: { path: '/health', port: 8080 } },
          },
        ],
      },
    },
  },
});
const cleanExtras = (namespace: string) => [
  {
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'good', namespace },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'good' },
      minReplicas: 2,
      maxReplicas: 10,
    },
  },
  {
    kind: 'PodDisruptionBudget',
    metadata: { name: 'good', namespace },
    spec: { minAvailable: 1, selector: { matchLabels: labels } },
  },
  // The binding every cluster bootstraps: system:masters in it is Kubernetes' own wiring.
  {
    kind: 'ClusterRoleBinding',
    metadata: { name: 'cluster-admin', labels: BOOTSTRAPPED },
    roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'Group', name: 'system:masters' }],
  },
  {
    kind: 'ClusterRole',
    metadata: { name: 'edit', labels: BOOTSTRAPPED },
    rules: EDIT_RULES,
  },
  {
    kind: 'NetworkPolicy',
    metadata: { name: 'good', namespace },
    spec: { podSelector: { matchLabels: labels }, policyTypes: ['Ingress'] },
  },
  {
    kind: 'ConfigMap',
    metadata: { name: 'good-config', namespace },
    data: { LOG_LEVEL: 'info', DATABASE_PASSWORD: '${FROM_SECRET}' },
  },
];

describe('audit-review', () => {
  let bad: FakeKube;
  let clean: FakeKube;
  beforeAll(async () => {
    bad = await new FakeKube().start();
    clean = await new FakeKube().start();
    for (const o of [goodDeployment('clean'), ...cleanExtras('clean')]) clean.add(o);
    for (const o of [
      goodDeployment('shop'),
      ...cleanExtras('shop'),
      {
        kind: 'ClusterRoleBinding',
        metadata: { name: 'ci-admin' },
        roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'shop' }],
      },
      {
        kind: 'ClusterRole',
        metadata: { name: 'everything' },
        rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      },
      {
        kind: 'Role',
        metadata: { name: 'secret-reader', namespace: 'shop' },
        rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
      },
      {
        kind: 'RoleBinding',
        metadata: { name: 'reader', namespace: 'shop' },
        roleRef: { kind: 'Role', name: 'secret-reader' },
        subjects: [{ kind: 'User', name: 'alice' }],
      },
      {
        kind: 'Deployment',
        metadata: { name: 'legacy', namespace: 'shop', labels: { app: 'legacy' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'legacy' } },
          template: {
            metadata: { labels: { app: 'legacy' } },
            spec: {
              hostNetwork: true,
              containers: [{ name: 'legacy', image: 'legacy/app:latest', securityContext: { privileged: true } }],
            },
          },
        },
      },
      {
        kind: 'ConfigMap',
        metadata: { name: 'legacy-config', namespace: 'shop' },
        data: { API_TOKEN: 'tok_live_1234', MODE: 'fast' },
      },
    ])
      bad.add(o);
  });
  afterAll(async () => {
    await bad.stop();
    await clean.stop();
  });

  const review = (kube: FakeKube, namespace: string) => {
    const config = parseConfig({
      kubernetes: { kubeconfig: kube.kubeconfig(tempDir('audit-')), namespaces: [namespace] },
    });
    return auditReview.run(
      jobContext(config),
      auditReviewParams.parse({ sections: ['access', 'security', 'reliability'] }),
    );
  };

  it('finds each known violation under its control id, with the offending resource and a remedy', async () => {
    const outcome = await review(bad, 'shop');
    const failed = Object.fromEntries(outcome.findings.filter((f) => f.severity !== 'info').map((f) => [f.check, f]));
    expect(Object.keys(failed).sort()).toEqual([
      'cis-5.1.1-cluster-admin',
      'cis-5.1.2-secrets',
      'cis-5.1.3-wildcards',
      'cis-5.1.5-default-sa',
      'cis-5.1.6-token-mount',
      'configmap-sensitive-values',
      'hpa-min-replicas',
      'pdb',
      'polaris-capabilities',
      'polaris-host-namespaces',
      'polaris-image-tag',
      'polaris-privilege-escalation',
      'polaris-privileged',
      'polaris-read-only-root',
      'polaris-run-as-non-root',
      'polaris-seccomp',
      'probes',
      'replicas',
      'resources-policy',
    ]);
    expect(failed['cis-5.1.1-cluster-admin']).toMatchObject({
      severity: 'critical',
      resource: 'clusterrolebinding/ci-admin',
      message: expect.stringContaining('cluster-admin to ServiceAccount shop/deployer'),
    });
    expect(failed['polaris-privileged']).toMatchObject({
      severity: 'critical',
      resource: 'deployment/shop/legacy/legacy',
    });
    expect(failed['polaris-image-tag']!.message).toContain('legacy/app:latest: :latest');
    expect(failed['configmap-sensitive-values']!.message).toContain('configmap/shop/legacy-config (key API_TOKEN)');
    expect(JSON.stringify(outcome)).not.toContain('tok_live_1234'); // the value itself is never repeated
    expect(failed['resources-policy']!.message).toMatch(
      /deployment\/shop\/legacy\/legacy \(missing requests.cpu, requests.memory, limits.cpu, limits.memory\)/,
    );
    expect(Object.values(failed).every((f) => f.remedy)).toBe(true);
    // The compliant deployment in the same namespace is not among the offenders.
    expect(
      Object.values(failed)
        .flatMap((f) => (f.evidence as Array<{ resource: string }>).map((e) => e.resource))
        .filter((r) => r.includes('/good')),
    ).toEqual([]);
  });

  it('a clean cluster passes every control', async () => {
    const outcome = await review(clean, 'clean');
    expect(outcome.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(outcome).toMatchObject({ status: 'ok', metrics: { failed: 0, controls: 33 } });
  });

  describe('in the compliance report', () => {
    let app: Opscron | null = null;
    afterAll(async () => {
      await app?.stop();
    });

    it('the controls of the recorded run fill the compliance PDF, with the change since the last report', async () => {
      const config = parseConfig({
        store: { databaseUrl: await createDatabase('audit') },
        reports: { path: tempDir('audit-reports-') },
        kubernetes: { kubeconfig: bad.kubeconfig(tempDir('audit-kc-')), namespaces: ['shop'] },
        jobs: [{ id: 'weekly-audit', type: 'audit-review' }],
      });
      app = await startOpscron({ config, logger: silentLogger, metrics: new Metrics(), http: false });
      const runId = await triggerRun(app, {
        jobId: 'weekly-audit',
        actor: 'ada',
        source: 'cli',
        reason: 'quarterly review',
      });
      await eventually(async () => (await getRun(app!.store.sql, runId))?.status === 'critical', 'the audit run');
      const first = await produceReport(
        { store: app.store, config, feeds: jobFeeds, now: () => new Date() },
        { kind: 'compliance', email: false },
      );
      const file = join(tempDir('audit-pdf-'), 'c.pdf');
      writeFileSync(file, first.pdf);
      const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
      expect(text).toContain('Compliance report');
      expect(text).toMatch(/cis-5\.1\.1-cluster-admin\s+fail\s+clusterrolebinding\/ci-admin/);
      expect(text).toMatch(/polaris-privileged\s+fail/);
      expect(text).toMatch(/cis-5\.1\.8-escalation\s+pass/);
      expect(text).toContain('There is no earlier compliance report: every control is new.');
      expect(first.record.summary.headline).toMatch(/^\d+ of 37 controls pass/);

      bad.add({
        kind: 'ClusterRoleBinding',
        metadata: { name: 'ci-admin' },
        roleRef: { kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace: 'shop' }],
      });
      const again = await triggerRun(app, { jobId: 'weekly-audit', actor: 'ada', source: 'cli' });
      await eventually(
        async () => ['critical', 'warning', 'ok'].includes((await getRun(app!.store.sql, again))?.status ?? ''),
        'the second audit run',
      );
      const second = await produceReport(
        { store: app.store, config, feeds: jobFeeds, now: () => new Date() },
        { kind: 'compliance', email: false },
      );
      const controls = second.report.kind === 'compliance' ? second.report.controls.data! : [];
      expect(controls.find((c) => c.id === 'cis-5.1.1-cluster-admin')).toMatchObject({ passed: true, change: 'fixed' });
      expect(controls.find((c) => c.id === 'polaris-privileged')).toMatchObject({ passed: false, change: 'unchanged' });
    });
  });
});
