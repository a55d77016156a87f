/**
 * Access control: the CIS Kubernetes Benchmark 5.1 RBAC checks that kube-bench leaves
 * manual. Kubernetes' own subjects and roles (system:*, kube-* service accounts, the
 * bootstrapped defaults) are out of scope: the controls ask what people and apps can do.
 */
import type { Finding } from '../../model.js';
import {
  podSpecOf,
  ref,
  workloadRef,
  type Binding,
  type ClusterState,
  type PolicyRule,
  type Role,
  type Subject,
  type Workload,
} from './cluster.js';
import { control, type Violation } from './control.js';

const isSystemSubject = (s: Subject) =>
  (s.name ?? '').startsWith('system:') || (s.kind === 'ServiceAccount' && (s.namespace ?? '').startsWith('kube-'));

const isSystemRole = (r: Role) =>
  (r.metadata?.name ?? '').startsWith('system:') ||
  r.metadata?.labels?.['kubernetes.io/bootstrapping'] === 'rbac-defaults';

/** The binding's subjects that are not Kubernetes' own, as `Kind namespace/name`. */
const subjects = (b: Binding) =>
  (b.subjects ?? [])
    .filter((s) => !isSystemSubject(s))
    .map((s) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`);

/** A rule of a non-system role, with the non-system subjects bound to that role (maybe none). */
interface HeldRule {
  role: Role;
  kind: 'ClusterRole' | 'Role';
  rule: PolicyRule;
  holders: string[];
}

/** Roles (by kind/namespace/name) bound to a non-system subject, with who holds them. */
function boundRoles(state: ClusterState): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const b of [...state.clusterRoleBindings, ...state.roleBindings]) {
    const who = subjects(b);
    if (!who.length) continue;
    // A RoleBinding may grant a ClusterRole: its holders hold the cluster-wide role's rules.
    const key =
      b.roleRef?.kind === 'ClusterRole'
        ? `ClusterRole//${b.roleRef.name}`
        : `Role/${b.metadata?.namespace}/${b.roleRef?.name}`;
    out.set(key, [...(out.get(key) ?? []), ...who]);
  }
  return out;
}

/** Every rule of every non-system ClusterRole and Role, with its holders. */
function heldRules(state: ClusterState): HeldRule[] {
  const bound = boundRoles(state);
  const out: HeldRule[] = [];
  for (const [kind, list] of [
    ['ClusterRole', state.clusterRoles],
    ['Role', state.roles],
  ] as const) {
    for (const role of list) {
      if (isSystemRole(role)) continue;
      const holders =
        bound.get(`${kind}/${kind === 'Role' ? role.metadata?.namespace : ''}/${role.metadata?.name}`) ?? [];
      for (const rule of role.rules ?? []) out.push({ role, kind, rule, holders });
    }
  }
  return out;
}

const verbsOf = (rule: PolicyRule) => (rule.verbs ?? []).join(',');
const resourcesOf = (rule: PolicyRule) => (rule.resources ?? []).join(',');

const grants = (rule: PolicyRule, verbs: string[], resources: string[]) =>
  (rule.verbs ?? []).some((v) => v === '*' || verbs.includes(v)) &&
  (rule.resources ?? []).some((r) => r === '*' || resources.includes(r));

/** Held rules that allow any of the verbs on any of the resources (wildcards included). */
const granted = (rules: HeldRule[], verbs: string[], resources: string[]): Violation[] =>
  rules
    .filter((x) => x.holders.length && grants(x.rule, verbs, resources))
    .map((x) => ({
      resource: ref(x.role, x.kind),
      detail: `${verbsOf(x.rule)} on ${resourcesOf(x.rule)}, held by ${x.holders.join(', ')}`,
    }));

/** Pods run as the default service account when the workload names none (or names it). */
const usesDefaultServiceAccount = (w: Workload) => {
  const account = podSpecOf(w).serviceAccountName;
  return !account || account === 'default';
};

const clusterAdmin = (state: ClusterState): Finding =>
  control(
    {
      id: 'cis-5.1.1-cluster-admin',
      title: 'cluster-admin bound only to system subjects',
      severity: 'critical',
      remedy:
        'Bind a narrower ClusterRole (or a namespaced Role) instead of cluster-admin; keep cluster-admin for break-glass groups.',
    },
    state.clusterRoleBindings
      .filter((b) => b.roleRef?.name === 'cluster-admin' && subjects(b).length)
      .map((b) => ({ resource: ref(b, 'ClusterRoleBinding'), detail: `cluster-admin to ${subjects(b).join(', ')}` })),
    'cluster',
  );

/** Unlike the other RBAC controls this one flags unbound roles too: a wildcard is a grant waiting for a binding. */
const wildcards = (rules: HeldRule[]): Finding =>
  control(
    {
      id: 'cis-5.1.3-wildcards',
      title: 'no wildcard verbs or resources in roles',
      severity: 'warning',
      remedy: 'List the verbs and resources the role needs instead of "*".',
    },
    rules
      .filter((x) => (x.rule.verbs ?? []).includes('*') || (x.rule.resources ?? []).includes('*'))
      .map((x) => ({ resource: ref(x.role, x.kind), detail: `verbs ${verbsOf(x.rule)} on ${resourcesOf(x.rule)}` })),
    'cluster',
  );

const secretReaders = (rules: HeldRule[]): Finding =>
  control(
    {
      id: 'cis-5.1.2-secrets',
      title: 'secrets readable only by system subjects',
      severity: 'warning',
      remedy: 'Remove get/list/watch on secrets from the role, or name the secrets it needs (resourceNames).',
    },
    granted(rules, ['get', 'list', 'watch'], ['secrets']).filter((v) => !/resourceNames/.test(v.detail)),
    'cluster',
  );

const podCreators = (rules: HeldRule[]): Finding =>
  control(
    {
      id: 'cis-5.1.4-create-pods',
      title: 'pod creation limited to system subjects',
      severity: 'warning',
      remedy: 'Let controllers create pods; remove create on pods from people and apps.',
    },
    granted(rules, ['create'], ['pods']),
    'cluster',
  );

const execAttach = (rules: HeldRule[]): Finding =>
  control(
    {
      id: 'cis-5.1-exec-attach',
      title: 'exec and attach limited to system subjects',
      severity: 'warning',
      remedy: 'Remove create on pods/exec and pods/attach; grant it for incidents only, audited.',
    },
    granted(rules, ['create', 'get'], ['pods/exec', 'pods/attach']),
    'cluster',
  );

const escalation = (rules: HeldRule[]): Finding =>
  control(
    {
      id: 'cis-5.1.8-escalation',
      title: 'no bind, escalate or impersonate',
      severity: 'critical',
      remedy: 'Remove bind, escalate and impersonate: each lets the holder grant itself more than it has.',
    },
    rules
      .filter(
        (x) => x.holders.length && (x.rule.verbs ?? []).some((v) => ['bind', 'escalate', 'impersonate'].includes(v)),
      )
      .map((x) => ({ resource: ref(x.role, x.kind), detail: `${verbsOf(x.rule)} held by ${x.holders.join(', ')}` })),
    'cluster',
  );

const defaultServiceAccount = (workloads: Workload[]): Finding =>
  control(
    {
      id: 'cis-5.1.5-default-sa',
      title: 'workloads do not use the default service account',
      severity: 'warning',
      remedy: 'Give each workload its own ServiceAccount (spec.serviceAccountName) with only the rights it needs.',
    },
    workloads
      .filter(usesDefaultServiceAccount)
      .map((w) => ({ resource: workloadRef(w), detail: 'runs as the default service account' })),
    'cluster',
  );

const tokenMount = (workloads: Workload[]): Finding =>
  control(
    {
      id: 'cis-5.1.6-token-mount',
      title: 'service-account tokens mounted only where needed',
      severity: 'warning',
      remedy: 'Set automountServiceAccountToken: false on pods that do not call the Kubernetes API.',
    },
    workloads
      .filter((w) => podSpecOf(w).automountServiceAccountToken !== false && usesDefaultServiceAccount(w))
      .map((w) => ({ resource: workloadRef(w), detail: 'mounts the default service account token' })),
    'cluster',
  );

/** CIS 5.1: who holds cluster-admin, wildcards, secrets, pod creation, exec, escalation; service accounts and tokens. */
export function accessControls(state: ClusterState): Finding[] {
  const rules = heldRules(state);
  return [
    clusterAdmin(state),
    wildcards(rules),
    secretReaders(rules),
    podCreators(rules),
    execAttach(rules),
    escalation(rules),
    defaultServiceAccount(state.workloads),
    tokenMount(state.workloads),
  ];
}
