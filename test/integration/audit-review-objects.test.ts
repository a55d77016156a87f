/**
 * audit-review's issue-17 verdicts through the real @kubernetes/client-node against the fake
 * API server (test/support/fake-kube.ts, a stand-in: see its header). Each test starts from
 * a compliant namespace `shop` (every control passes), adds the named objects, and checks
 * which controls now fail and whom they name: built-in roles held by people, cluster-admin
 * through a RoleBinding, resourceNames, system:masters, kube-bench 5.1.9–5.1.13, PDBs and
 * NetworkPolicies selecting with matchExpressions, and Jobs, CronJobs and bare Pods.
 */
import { parseConfig } from '../../src/configure.js';
import { auditReview, auditReviewParams } from '../../src/jobs/audit-review.js';
import type { Finding } from '../../src/model.js';
import { tempDir } from '../support/cli.js';
import { FakeKube } from '../support/fake-kube.js';
import { jobContext } from '../support/job-context.js';

type Obj = Record<string, any>;
const BOOTSTRAPPED = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const secure = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};
const probes = {
  readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
  livenessProbe: { httpGet: { path: '/health', port: 8080 } },
};
const resources = { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } };

/** A pod spec that passes every control. */
const podSpec = (name: string): Obj => ({
  serviceAccountName: name,
  automountServiceAccountToken: false,
  securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name, image: `registry.example.com/${name}:1.2.3`, securityContext: secure, resources, ...probes }],
});

const deployment = (name: string): Obj => ({
  kind: 'Deployment',
  metadata: { name, namespace: 'shop', labels: { app: name } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: podSpec(name) },
  },
});

/** The compliant namespace: web with its HPA, PDB and NetworkPolicy, and the RBAC every cluster bootstraps. */
const compliant = (): Obj[] => [
  deployment('web'),
  {
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10 },
  },
  {
    kind: 'PodDisruptionBudget',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { selector: { matchLabels: { app: 'web' } } },
  },
  {
    kind: 'NetworkPolicy',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { podSelector: { matchLabels: { app: 'web' } } },
  },
  {
    kind: 'ClusterRole',
    metadata: { name: 'cluster-admin', labels: BOOTSTRAPPED },
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
  },
  {
    kind: 'ClusterRoleBinding',
    metadata: { name: 'cluster-admin', labels: BOOTSTRAPPED },
    roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'Group', name: 'system:masters' }],
  },
  {
    kind: 'ClusterRole',
    metadata: { name: 'edit', labels: BOOTSTRAPPED },
    rules: [
      { apiGroups: [''], resources: ['pods/exec', 'secrets'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
      { apiGroups: [''], resources: ['pods', 'pods/exec'], verbs: ['create', 'delete', 'patch', 'update'] },
    ],
  },
];

const binding = (kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, role: string, subject: Obj): Obj => ({
  kind,
  metadata: { name, ...(kind === 'RoleBinding' && { namespace: 'shop' }) },
  roleRef: { kind: 'ClusterRole', name: role },
  subjects: [subject],
});

/** Runs audit-review on `shop` in a fresh fake cluster: the compliant objects plus `objects` (and `pods`). */
async function audit(objects: Obj[], pods: Obj[] = []): Promise<{ failed: Record<string, Finding>; all: Finding[] }> {
  const kube = await new FakeKube().start();
  try {
    for (const o of [...compliant(), ...objects]) kube.add(o);
    for (const p of pods) kube.addPod('shop', p);
    const config = parseConfig({
      kubernetes: { kubeconfig: kube.kubeconfig(tempDir('audit17-')), namespaces: ['shop'] },
    });
    const outcome = await auditReview.run(
      jobContext(config),
      auditReviewParams.parse({ sections: ['access', 'security', 'reliability'] }),
    );
    return {
      all: outcome.findings,
      failed: Object.fromEntries(outcome.findings.filter((f) => f.severity !== 'info').map((f) => [f.check, f])),
    };
  } finally {
    await kube.stop();
  }
}
const evidence = (f: Finding | undefined) => (f?.evidence ?? []) as Array<{ resource: string; detail: string }>;

describe('audit-review on the objects of issue 17', () => {
  it('the compliant namespace passes all 33 controls', async () => {
    const { failed, all } = await audit([]);
    expect(failed).toEqual({});
    expect(all).toHaveLength(33);
  });

  it('RoleBinding dev-edit (User dev@example.com → built-in edit) fails secrets, create pods, exec and escalation', async () => {
    const { failed } = await audit([
      binding('RoleBinding', 'dev-edit', 'edit', { kind: 'User', name: 'dev@example.com' }),
    ]);
    expect(Object.keys(failed).sort()).toEqual([
      'cis-5.1-exec-attach',
      'cis-5.1.2-secrets',
      'cis-5.1.4-create-pods',
      'cis-5.1.8-escalation',
    ]);
    expect(failed['cis-5.1.4-create-pods']!.message).toContain(
      'clusterrole/edit (create,delete,patch,update on pods,pods/exec, held by User dev@example.com in namespace shop)',
    );
  });

  it('RoleBinding team-admin (Group shop-team → cluster-admin) fails 5.1.1; ClusterRoleBinding masters-view fails 5.1.7', async () => {
    const { failed } = await audit([
      binding('RoleBinding', 'team-admin', 'cluster-admin', { kind: 'Group', name: 'shop-team' }),
      binding('ClusterRoleBinding', 'masters-view', 'view', { kind: 'Group', name: 'system:masters' }),
    ]);
    expect(failed['cis-5.1.1-cluster-admin']).toMatchObject({
      severity: 'critical',
      resource: 'rolebinding/shop/team-admin',
      message: expect.stringContaining('cluster-admin in namespace shop to Group shop-team'),
    });
    expect(evidence(failed['cis-5.1.7-system-masters'])).toEqual([
      { resource: 'clusterrolebinding/masters-view', detail: 'view to Group system:masters' },
    ]);
  });

  it('Role db-creds-reader limited by resourceNames passes 5.1.2, noted', async () => {
    const { failed, all } = await audit([
      {
        kind: 'Role',
        metadata: { name: 'db-creds-reader', namespace: 'shop' },
        rules: [{ apiGroups: [''], resources: ['secrets'], resourceNames: ['db-creds'], verbs: ['get'] }],
      },
      {
        kind: 'RoleBinding',
        metadata: { name: 'web-reads-db-creds', namespace: 'shop' },
        roleRef: { kind: 'Role', name: 'db-creds-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'web', namespace: 'shop' }],
      },
    ]);
    expect(failed).toEqual({});
    expect(all.find((f) => f.check === 'cis-5.1.2-secrets')!.message).toBe(
      'secrets readable only by system subjects: passed — limited to named secrets: role/shop/db-creds-reader (get on secrets named db-creds, held by ServiceAccount shop/web in namespace shop)',
    );
  });

  it('ClusterRole node-tools held by Group ops fails 5.1.9 to 5.1.13', async () => {
    const { failed } = await audit([
      {
        kind: 'ClusterRole',
        metadata: { name: 'node-tools' },
        rules: [
          { apiGroups: [''], resources: ['persistentvolumes', 'serviceaccounts/token'], verbs: ['create'] },
          { apiGroups: [''], resources: ['nodes/proxy'], verbs: ['get'] },
          { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'], verbs: ['update'] },
          {
            apiGroups: ['admissionregistration.k8s.io'],
            resources: ['validatingwebhookconfigurations'],
            verbs: ['patch'],
          },
        ],
      },
      binding('ClusterRoleBinding', 'ops-node-tools', 'node-tools', { kind: 'Group', name: 'ops' }),
    ]);
    expect(Object.keys(failed).sort()).toEqual([
      'cis-5.1.10-node-proxy',
      'cis-5.1.11-csr-approval',
      'cis-5.1.12-webhooks',
      'cis-5.1.13-sa-token',
      'cis-5.1.9-create-pv',
    ]);
  });

  it('PodDisruptionBudget and NetworkPolicy "api" select with matchExpressions: deployment api is covered, legacy is not', async () => {
    const api = { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] };
    const legacy = deployment('legacy');
    const { failed } = await audit([
      deployment('api'),
      legacy,
      {
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'api', namespace: 'shop' },
        spec: { scaleTargetRef: { kind: 'Deployment', name: 'api' }, minReplicas: 2, maxReplicas: 4 },
      },
      {
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'legacy', namespace: 'shop' },
        spec: { scaleTargetRef: { kind: 'Deployment', name: 'legacy' }, minReplicas: 2, maxReplicas: 4 },
      },
      {
        kind: 'PodDisruptionBudget',
        metadata: { name: 'api', namespace: 'shop' },
        spec: { minAvailable: 1, selector: api },
      },
      { kind: 'NetworkPolicy', metadata: { name: 'api', namespace: 'shop' }, spec: { podSelector: api } },
    ]);
    expect(Object.keys(failed).sort()).toEqual(['pdb', 'polaris-network-policy']);
    expect(evidence(failed.pdb)).toEqual([{ resource: 'deployment/shop/legacy', detail: 'no PodDisruptionBudget' }]);
    expect(evidence(failed['polaris-network-policy'])).toEqual([
      { resource: 'deployment/shop/legacy', detail: 'none of the 2 NetworkPolicies in shop selects its pods' },
    ]);
  });

  it("Job migrate, CronJob report and bare Pod debug are audited; a ReplicaSet's pod is not audited again", async () => {
    const privileged = (name: string) => {
      const spec = podSpec(name);
      spec.containers[0].securityContext = { ...secure, privileged: true };
      return spec;
    };
    const { failed } = await audit(
      [
        {
          kind: 'Job',
          metadata: { name: 'migrate', namespace: 'shop' },
          spec: { template: { metadata: { labels: { app: 'web' } }, spec: privileged('migrate') } },
        },
        {
          kind: 'CronJob',
          metadata: { name: 'report', namespace: 'shop' },
          spec: {
            schedule: '0 6 * * *',
            jobTemplate: { spec: { template: { metadata: { labels: { app: 'web' } }, spec: privileged('report') } } },
          },
        },
      ],
      [
        { metadata: { name: 'debug', labels: { app: 'web' } }, spec: privileged('debug') },
        {
          metadata: {
            name: 'web-5d8f7-abcde',
            labels: { app: 'web' },
            ownerReferences: [
              { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f7', uid: 'u1', controller: true },
            ],
          },
          spec: privileged('web'),
        },
      ],
    );
    expect(Object.keys(failed)).toEqual(['polaris-privileged']);
    expect(evidence(failed['polaris-privileged']).map((e) => e.resource)).toEqual([
      'job/shop/migrate/migrate',
      'cronjob/shop/report/report',
      'pod/shop/debug/debug',
    ]);
  });
});
