/**
 * The RBAC objects kube-apiserver bootstraps on every cluster (its bootstrap policy,
 * plugin/pkg/auth/authorizer/rbac/bootstrappolicy: policy.go, controller_policy.go,
 * namespace_policy.go). The label they carry, `kubernetes.io/bootstrapping: rbac-defaults`,
 * proves nothing — anyone who may write a binding may set it — so an object counts as
 * Kubernetes' own only when its name, its role and its subjects are the bootstrapped ones
 * as well. A labelled binding that grants anything else, or to anyone else, is judged like
 * any other.
 */
import type { Binding, KubeObject, Role, Subject } from './cluster.js';

const LABELLED = (o: KubeObject) => o.metadata?.labels?.['kubernetes.io/bootstrapping'] === 'rbac-defaults';

const CONTROLLER = 'system:controller:';
/** The controllers kube-controller-manager runs, each as ServiceAccount kube-system/<name> bound to system:controller:<name>. */
const CONTROLLERS = [
  'attachdetach-controller',
  'certificate-controller',
  'clusterrole-aggregation-controller',
  'cronjob-controller',
  'daemon-set-controller',
  'deployment-controller',
  'disruption-controller',
  'endpoint-controller',
  'endpointslice-controller',
  'endpointslicemirroring-controller',
  'ephemeral-volume-controller',
  'expand-controller',
  'generic-garbage-collector',
  'horizontal-pod-autoscaler',
  'job-controller',
  'legacy-service-account-token-cleaner',
  'namespace-controller',
  'node-controller',
  'persistent-volume-binder',
  'pod-garbage-collector',
  'pv-protection-controller',
  'pvc-protection-controller',
  'replicaset-controller',
  'replication-controller',
  'resource-claim-controller',
  'resourcequota-controller',
  'root-ca-cert-publisher',
  'route-controller',
  'service-account-controller',
  'service-cidrs-controller',
  'service-controller',
  'statefulset-controller',
  'storage-version-garbage-collector',
  'storage-version-migrator-controller',
  'ttl-after-finished-controller',
  'ttl-controller',
  'validatingadmissionpolicy-status-controller',
  'volumeattributesclass-protection-controller',
];

/** The ClusterRoles of the bootstrap policy (cluster-admin is `*` on `*`; the GC and namespace controllers' roles are `*` resources). */
const CLUSTER_ROLES = new Set([
  'cluster-admin',
  'admin',
  'edit',
  'view',
  'system:aggregate-to-admin',
  'system:aggregate-to-edit',
  'system:aggregate-to-view',
  'system:auth-delegator',
  'system:basic-user',
  'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
  'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
  'system:certificates.k8s.io:kube-apiserver-client-approver',
  'system:certificates.k8s.io:kube-apiserver-client-kubelet-approver',
  'system:certificates.k8s.io:kubelet-serving-approver',
  'system:certificates.k8s.io:legacy-unknown-approver',
  'system:discovery',
  'system:heapster',
  'system:kube-aggregator',
  'system:kube-controller-manager',
  'system:kube-dns',
  'system:kube-scheduler',
  'system:kubelet-api-admin',
  'system:monitoring',
  'system:node',
  'system:node-bootstrapper',
  'system:node-problem-detector',
  'system:node-proxier',
  'system:persistent-volume-provisioner',
  'system:public-info-viewer',
  'system:service-account-issuer-discovery',
  'system:volume-scheduler',
  ...CONTROLLERS.map((c) => CONTROLLER + c),
]);

/** The namespaced Roles of the bootstrap policy, as `namespace/name`. */
const ROLES = new Set([
  'kube-system/extension-apiserver-authentication-reader',
  'kube-system/system::leader-locking-kube-controller-manager',
  'kube-system/system::leader-locking-kube-scheduler',
  'kube-system/system:controller:bootstrap-signer',
  'kube-system/system:controller:cloud-provider',
  'kube-system/system:controller:token-cleaner',
  'kube-public/system:controller:bootstrap-signer',
]);

/** A bootstrapped binding: the role it grants and its subjects as `Kind name` (`ServiceAccount namespace/name`). */
interface Bootstrapped {
  role: string;
  subjects: string[];
}

const group = (name: string) => `Group ${name}`;
const user = (name: string) => `User ${name}`;
const account = (name: string) => `ServiceAccount kube-system/${name}`;
const AUTHENTICATED = group('system:authenticated');

/** ClusterRoleBindings by name (each grants the ClusterRole of its own name). */
const CLUSTER_BINDINGS = new Map<string, Bootstrapped>([
  ['cluster-admin', { role: 'cluster-admin', subjects: [group('system:masters')] }],
  ['system:basic-user', { role: 'system:basic-user', subjects: [AUTHENTICATED] }],
  ['system:discovery', { role: 'system:discovery', subjects: [AUTHENTICATED] }],
  [
    'system:public-info-viewer',
    { role: 'system:public-info-viewer', subjects: [AUTHENTICATED, group('system:unauthenticated')] },
  ],
  [
    'system:service-account-issuer-discovery',
    { role: 'system:service-account-issuer-discovery', subjects: [group('system:serviceaccounts')] },
  ],
  ['system:monitoring', { role: 'system:monitoring', subjects: [group('system:monitoring')] }],
  ['system:node', { role: 'system:node', subjects: [] }],
  ['system:node-proxier', { role: 'system:node-proxier', subjects: [user('system:kube-proxy')] }],
  [
    'system:kube-controller-manager',
    { role: 'system:kube-controller-manager', subjects: [user('system:kube-controller-manager')] },
  ],
  ['system:kube-dns', { role: 'system:kube-dns', subjects: [account('kube-dns')] }],
  ['system:kube-scheduler', { role: 'system:kube-scheduler', subjects: [user('system:kube-scheduler')] }],
  ['system:volume-scheduler', { role: 'system:volume-scheduler', subjects: [user('system:kube-scheduler')] }],
  ...CONTROLLERS.map((c): [string, Bootstrapped] => [CONTROLLER + c, { role: CONTROLLER + c, subjects: [account(c)] }]),
]);

/** RoleBindings by `namespace/name`. */
const ROLE_BINDINGS = new Map<string, Bootstrapped>([
  [
    'kube-system/system::extension-apiserver-authentication-reader',
    {
      role: 'extension-apiserver-authentication-reader',
      subjects: [user('system:kube-controller-manager'), user('system:kube-scheduler')],
    },
  ],
  [
    'kube-system/system::leader-locking-kube-controller-manager',
    {
      role: 'system::leader-locking-kube-controller-manager',
      subjects: [
        user('system:kube-controller-manager'),
        account('kube-controller-manager'),
        account('leader-election-controller'),
      ],
    },
  ],
  [
    'kube-system/system::leader-locking-kube-scheduler',
    {
      role: 'system::leader-locking-kube-scheduler',
      subjects: [user('system:kube-scheduler'), account('kube-scheduler')],
    },
  ],
  ...['bootstrap-signer', 'cloud-provider', 'token-cleaner'].map((c): [string, Bootstrapped] => [
    `kube-system/${CONTROLLER}${c}`,
    { role: CONTROLLER + c, subjects: [account(c)] },
  ]),
  [
    `kube-public/${CONTROLLER}bootstrap-signer`,
    { role: `${CONTROLLER}bootstrap-signer`, subjects: [account('bootstrap-signer')] },
  ],
]);

const subjectKey = (s: Subject) =>
  `${s.kind} ${s.kind === 'ServiceAccount' ? `${s.namespace ?? ''}/` : ''}${s.name ?? ''}`;

/**
 * Whether `s` is one of the subjects kube-apiserver bootstraps into `b`: the binding is
 * labelled, has a bootstrap binding's name (and namespace), grants that binding's role, and
 * `s` is among that binding's subjects.
 */
export function isBootstrapSubject(s: Subject, b: Binding): boolean {
  if (!LABELLED(b)) return false;
  const namespace = b.metadata?.namespace;
  const name = b.metadata?.name ?? '';
  const known = namespace ? ROLE_BINDINGS.get(`${namespace}/${name}`) : CLUSTER_BINDINGS.get(name);
  if (!known || b.roleRef?.name !== known.role) return false;
  if (b.roleRef.kind !== (namespace ? 'Role' : 'ClusterRole')) return false;
  return known.subjects.includes(subjectKey(s));
}

/** A role kube-apiserver bootstraps: a bootstrap role's name (and namespace) and the label. */
export function isBootstrapRole(r: Role, kind: 'ClusterRole' | 'Role'): boolean {
  if (!LABELLED(r)) return false;
  const name = r.metadata?.name ?? '';
  return kind === 'ClusterRole' ? CLUSTER_ROLES.has(name) : ROLES.has(`${r.metadata?.namespace ?? ''}/${name}`);
}
