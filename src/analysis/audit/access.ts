/**
 * Access control: the CIS Kubernetes Benchmark 5.1 RBAC checks that kube-bench leaves
 * manual. Who counts and what a rule allows is rbac.ts's: Kubernetes' own components are
 * out of scope, the controls ask what people and apps can do — through any role, built-in
 * ones (admin, edit, cluster-admin) included.
 */
import type { Finding } from '../../model.js';
import { podSpecOf, ref, workloadRef, workloadsOf, type Binding, type ClusterState, type Workload } from './cluster.js';
import { control } from './control.js';
import { privilegeControls } from './privileges.js';
import {
  asViolation,
  heldGrants,
  heldRules,
  holdersOf,
  isSystemSubject,
  namedOnly,
  violationsOf,
  type HeldRule,
} from './rbac.js';

const core = (resource: string) => ({ group: '', resource });
const RBAC = 'rbac.authorization.k8s.io';

/** Pods run as the default service account when the workload names none (or names it). */
const usesDefaultServiceAccount = (w: Workload) => {
  const account = podSpecOf(w).serviceAccountName;
  return !account || account === 'default';
};

/** Where a binding grants: cluster-wide, or in its namespace. */
const where = (b: Binding) => (b.metadata?.namespace ? ` in namespace ${b.metadata.namespace}` : '');
const bindingRef = (b: Binding) => ref(b, b.metadata?.namespace ? 'RoleBinding' : 'ClusterRoleBinding');

const clusterAdmin = (bindings: Binding[]): Finding =>
  control(
    {
      id: 'cis-5.1.1-cluster-admin',
      title: 'cluster-admin bound only to system subjects',
      severity: 'critical',
      remedy:
        'Bind a narrower ClusterRole (or a namespaced Role) instead of cluster-admin; keep cluster-admin for break-glass groups.',
    },
    // A RoleBinding to the cluster-admin ClusterRole gives full control of its namespace, Roles and Secrets included.
    bindings
      .filter((b) => b.roleRef?.kind === 'ClusterRole' && b.roleRef.name === 'cluster-admin' && holdersOf(b).length)
      .map((b) => ({ resource: bindingRef(b), detail: `cluster-admin${where(b)} to ${holdersOf(b).join(', ')}` })),
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
      // Kubernetes' own roles (cluster-admin is * on *) are judged by who holds them, in the other controls.
      .filter((x) => !x.builtIn && ((x.rule.verbs ?? []).includes('*') || (x.rule.resources ?? []).includes('*')))
      .map((x) => ({
        resource: ref(x.role, x.kind),
        detail: `verbs ${(x.rule.verbs ?? []).join(',')} on ${(x.rule.resources ?? []).join(',')}`,
      })),
    'cluster',
  );

/** kube-bench's remedy names resourceNames as the way out: a rule limited to named secrets reads those only, so it passes, noted. */
const secretReaders = (rules: HeldRule[]): Finding => {
  const readers = heldGrants(rules, ['get', 'list', 'watch'], [core('secrets')]);
  return control(
    {
      id: 'cis-5.1.2-secrets',
      title: 'secrets readable only by system subjects',
      severity: 'warning',
      remedy: 'Remove get/list/watch on secrets from the role, or name the secrets it needs (resourceNames).',
    },
    readers.filter((x) => !namedOnly(x.rule)).map(asViolation),
    'cluster',
    { label: 'limited to named secrets', items: readers.filter((x) => namedOnly(x.rule)).map(asViolation) },
  );
};

const podCreators = (rules: HeldRule[]): Finding =>
  control(
    {
      id: 'cis-5.1.4-create-pods',
      title: 'pod creation limited to system subjects',
      severity: 'warning',
      remedy: 'Let controllers create pods; remove create on pods from people and apps.',
    },
    violationsOf(rules, ['create'], [core('pods')]),
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
    violationsOf(rules, ['create', 'get'], [core('pods/exec'), core('pods/attach')]),
    'cluster',
  );

/** system:masters bypasses RBAC altogether: the bootstrapped cluster-admin binding is the only one it should appear in. */
const systemMasters = (bindings: Binding[]): Finding =>
  control(
    {
      id: 'cis-5.1.7-system-masters',
      title: 'system:masters not used',
      severity: 'warning',
      remedy:
        'Bind a named group to a narrower role instead of system:masters, and issue no client certificates with O=system:masters: its members pass every authorization check and cannot be revoked by RBAC.',
    },
    bindings
      .filter((b) =>
        (b.subjects ?? []).some((s) => s.kind === 'Group' && s.name === 'system:masters' && !isSystemSubject(s, b)),
      )
      .map((b) => ({ resource: bindingRef(b), detail: `${b.roleRef?.name}${where(b)} to Group system:masters` })),
    'cluster',
  );

/** A `*` verb includes bind, escalate and impersonate; each needs the resource it acts on. */
const escalation = (rules: HeldRule[]): Finding =>
  control(
    {
      id: 'cis-5.1.8-escalation',
      title: 'no bind, escalate or impersonate',
      severity: 'critical',
      remedy: 'Remove bind, escalate and impersonate: each lets the holder grant itself more than it has.',
    },
    heldGrants(
      rules,
      ['bind', 'escalate'],
      [
        { group: RBAC, resource: 'roles' },
        { group: RBAC, resource: 'clusterroles' },
      ],
    )
      .concat(
        heldGrants(
          rules,
          ['impersonate'],
          [
            core('users'),
            core('groups'),
            core('serviceaccounts'),
            { group: 'authentication.k8s.io', resource: 'userextras' },
            { group: 'authentication.k8s.io', resource: 'uids' },
          ],
        ),
      )
      .filter((x, i, all) => all.indexOf(x) === i)
      .map(asViolation),
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

/** CIS 5.1.1–5.1.13: cluster-admin, wildcards, secrets, pod creation, exec, system:masters, escalation, service accounts, then 5.1.9–5.1.13. */
export function accessControls(state: ClusterState): Finding[] {
  const rules = heldRules(state);
  const bindings = [...state.clusterRoleBindings, ...state.roleBindings];
  const workloads = workloadsOf(state);
  return [
    clusterAdmin(bindings),
    wildcards(rules),
    secretReaders(rules),
    podCreators(rules),
    execAttach(rules),
    systemMasters(bindings),
    escalation(rules),
    defaultServiceAccount(workloads),
    tokenMount(workloads),
    ...privilegeControls(rules),
  ];
}
