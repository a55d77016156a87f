/**
 * Recorded Kubernetes objects for the audit controls' unit tests, shaped like
 * `kubectl get -o json` prints them (as test/integration/audit-review.test.ts serves them
 * through a fake API server): a compliant namespace, and helpers to change it and read the
 * failed controls.
 */
import {
  accessControls,
  reliabilityControls,
  runbookPolicy,
  securityControls,
  type ClusterState,
} from '../../src/analysis/audit.js';
import type { Finding } from '../../src/model.js';

export type Workload = ClusterState['workloads'][number];

export const labels = { app: 'checkout' };
export const probe = (path: string) => ({ httpGet: { path, port: 8080 }, periodSeconds: 10 });

/** A Deployment that meets every control. */
export const checkout = (): Workload => ({
  kind: 'Deployment',
  metadata: { name: 'checkout', namespace: 'shop', labels },
  spec: {
    replicas: 2,
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: 'checkout',
        automountServiceAccountToken: false,
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'checkout',
            image: 'registry.example.com:5000/shop/checkout:2.4.1',
            securityContext: {
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
            resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } },
            readinessProbe: probe('/ready'),
            livenessProbe: probe('/health'),
          },
        ],
      },
    },
  },
});

/** The compliant namespace: checkout with its HPA and PDB, and the RBAC every cluster ships with. */
export const compliant = (): ClusterState => ({
  clusterRoleBindings: [
    {
      kind: 'ClusterRoleBinding',
      metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
      roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'Group', name: 'system:masters' }],
    },
    {
      kind: 'ClusterRoleBinding',
      metadata: { name: 'coredns' },
      roleRef: { kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: 'kube-system' }],
    },
  ],
  clusterRoles: [
    {
      kind: 'ClusterRole',
      metadata: { name: 'cluster-admin', labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' } },
      rules: [{ verbs: ['*'], resources: ['*'] }],
    },
    {
      kind: 'ClusterRole',
      metadata: { name: 'system:controller:replicaset-controller' },
      rules: [{ verbs: ['create', 'delete'], resources: ['pods'] }],
    },
  ],
  roleBindings: [],
  roles: [
    {
      kind: 'Role',
      metadata: { name: 'checkout-config', namespace: 'shop' },
      rules: [{ verbs: ['get', 'list', 'watch'], resources: ['configmaps'] }],
    },
  ],
  workloads: [checkout()],
  configMaps: [
    {
      kind: 'ConfigMap',
      metadata: { name: 'checkout-config', namespace: 'shop' },
      data: { LOG_LEVEL: 'info', DATABASE_PASSWORD: '${FROM_SECRET}', STRIPE_API_KEY: '' },
    },
  ],
  hpas: [
    {
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'checkout', namespace: 'shop' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'checkout' }, minReplicas: 2 },
    },
  ],
  pdbs: [
    {
      kind: 'PodDisruptionBudget',
      metadata: { name: 'checkout', namespace: 'shop' },
      spec: { selector: { matchLabels: labels } },
    },
  ],
  pods: [
    {
      kind: 'Pod',
      metadata: {
        name: 'checkout-7d4b9-x2x9k',
        namespace: 'shop',
        labels,
        ownerReferences: [{ kind: 'ReplicaSet', name: 'checkout-7d4b9', controller: true }],
      },
      spec: { containers: [{ name: 'checkout', image: 'registry.example.com:5000/shop/checkout:2.4.1' }] },
    },
  ],
  networkPolicies: [
    {
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: 'shop' },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
  ],
});

/** The cluster with a change made to it. */
export const withChanges = (change: (s: ClusterState) => void): ClusterState => {
  const state = compliant();
  change(state);
  return state;
};

export const all = (s: ClusterState) => [
  ...accessControls(s),
  ...securityControls(s),
  ...reliabilityControls(s, runbookPolicy),
];

/** The failed controls by id. */
export const failed = (findings: Finding[]) =>
  Object.fromEntries(findings.filter((f) => f.severity !== 'info').map((f) => [f.check, f]));

export const evidenceOf = (f: Finding | undefined) =>
  (f?.evidence ?? []) as Array<{ resource: string; detail: string }>;
