/**
 * Who holds which RBAC rule, and what a rule allows — read as the API server's authorizer
 * reads it (rbac/v1 VerbMatches, APIGroupMatches, ResourceMatches). The controls in
 * access.ts and privileges.ts ask these questions of every role someone holds.
 *
 * Whose grants count: every subject except Kubernetes' own components (the identities its
 * components authenticate as — COMPONENTS below, `system:node:<name>`, the bootstrappers'
 * groups — and `kube-*` service accounts). Any other `system:` name counts: an
 * authenticator can hand one out, and a binding of cluster-admin to User `system:evil` is
 * nobody's component. The groups that stand for people or for everyone
 * — system:masters, system:authenticated, system:unauthenticated, system:anonymous,
 * system:serviceaccounts — count like any group, except as the subjects of the bindings
 * Kubernetes itself bootstraps (bootstrap.ts: name, role and subjects must all be the
 * bootstrapped ones — the `rbac-defaults` label alone is anyone's to set). Built-in roles
 * (cluster-admin, admin, edit, system:*) count like any other when such a subject holds them.
 */
import { isBootstrapRole, isBootstrapSubject } from './bootstrap.js';
import { ref, type Binding, type PolicyRule, type Role, type Subject } from './cluster.js';
import type { Violation } from './control.js';

/** Groups named system: that stand for people or for everyone, not for a Kubernetes component. */
const BROAD_GROUPS = new Set([
  'system:masters',
  'system:authenticated',
  'system:unauthenticated',
  'system:anonymous',
  'system:serviceaccounts',
]);

/** Users and groups Kubernetes' own components authenticate as (kubeadm's certificates, k3s's, the node authorizer's). */
const COMPONENTS = new Set([
  'system:kube-controller-manager',
  'system:kube-scheduler',
  'system:kube-proxy',
  'system:apiserver',
  'system:volume-scheduler',
  'system:nodes',
  'system:monitoring',
]);
const COMPONENT_NAMES = /^system:(node:[^:]+|bootstrappers(:.+)?)$/;

/** A service-account namespace that is Kubernetes' own. */
const kubeNamespace = (namespace: string | undefined) => (namespace ?? '').startsWith('kube-');

/** Kubernetes' own identity in this binding: out of the audit's scope. */
export function isSystemSubject(s: Subject, b: Binding): boolean {
  const name = s.name ?? '';
  if (isBootstrapSubject(s, b)) return true;
  if (s.kind === 'ServiceAccount') return kubeNamespace(s.namespace);
  // A service account named as a user (system:serviceaccount:ns:name) or all of a namespace's (system:serviceaccounts:ns).
  const account = /^system:serviceaccounts?:([^:]+)/.exec(name);
  if (account) return kubeNamespace(account[1]);
  return !BROAD_GROUPS.has(name) && (COMPONENTS.has(name) || COMPONENT_NAMES.test(name));
}

/** A role Kubernetes ships (cluster-admin, admin, edit, view, system:…), by its bootstrap name and label: unbound, it is nobody's business. */
export const isBuiltInRole = (r: Role, kind: 'ClusterRole' | 'Role'): boolean => isBootstrapRole(r, kind);

/** The binding's subjects that are not Kubernetes' own, as `Kind namespace/name`. */
export const holdersOf = (b: Binding): string[] =>
  (b.subjects ?? [])
    .filter((s) => !isSystemSubject(s, b))
    .map((s) => `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`);

/** A rule of a role, with who holds it (maybe nobody). */
export interface HeldRule {
  role: Role;
  kind: 'ClusterRole' | 'Role';
  rule: PolicyRule;
  holders: string[];
  builtIn: boolean;
}

export interface RbacObjects {
  clusterRoleBindings: Binding[];
  clusterRoles: Role[];
  roleBindings: Binding[];
  roles: Role[];
}

/** Roles (by kind/namespace/name) with who holds them; a RoleBinding's holders hold it in its namespace only. */
function boundRoles(state: RbacObjects): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const b of [...state.clusterRoleBindings, ...state.roleBindings]) {
    const namespace = b.metadata?.namespace;
    const who = holdersOf(b).map((h) => (namespace ? `${h} in namespace ${namespace}` : h));
    if (!who.length) continue;
    // A RoleBinding may grant a ClusterRole: its holders hold the cluster-wide role's rules (in its namespace).
    const key =
      b.roleRef?.kind === 'ClusterRole' ? `ClusterRole//${b.roleRef.name}` : `Role/${namespace}/${b.roleRef?.name}`;
    out.set(key, [...(out.get(key) ?? []), ...who]);
  }
  return out;
}

/** Every rule of every ClusterRole and Role, with its holders. */
export function heldRules(state: RbacObjects): HeldRule[] {
  const bound = boundRoles(state);
  const out: HeldRule[] = [];
  for (const [kind, list] of [
    ['ClusterRole', state.clusterRoles],
    ['Role', state.roles],
  ] as const) {
    for (const role of list) {
      const holders =
        bound.get(`${kind}/${kind === 'Role' ? role.metadata?.namespace : ''}/${role.metadata?.name}`) ?? [];
      for (const rule of role.rules ?? []) out.push({ role, kind, rule, holders, builtIn: isBuiltInRole(role, kind) });
    }
  }
  return out;
}

/** A resource as a request names it: its API group and `resource` or `resource/subresource`. */
export interface Target {
  group: string;
  resource: string;
}

/** rbac/v1 ResourceMatches: `*`, the exact resource, or `*\/subresource`. */
function resourceMatches(ruleResource: string, target: string): boolean {
  if (ruleResource === '*' || ruleResource === target) return true;
  const sub = target.includes('/') ? target.slice(target.indexOf('/') + 1) : '';
  return sub !== '' && ruleResource === `*/${sub}`;
}

/** Whether the rule allows any of `verbs` on `target`. A rule without apiGroups (recorded fixtures) matches any group. */
export const allows = (rule: PolicyRule, verbs: string[], target: Target): boolean =>
  (rule.verbs ?? []).some((v) => v === '*' || verbs.includes(v)) &&
  (rule.apiGroups === undefined || rule.apiGroups.some((g) => g === '*' || g === target.group)) &&
  (rule.resources ?? []).some((r) => resourceMatches(r, target.resource));

/** A rule restricted to named objects (resourceNames) grants those objects only. */
export const namedOnly = (rule: PolicyRule): boolean => (rule.resourceNames ?? []).length > 0;

const verbsOf = (rule: PolicyRule) => (rule.verbs ?? []).join(',');
const resourcesOf = (rule: PolicyRule) => (rule.resources ?? []).join(',');

/** How evidence describes a held rule: `verbs on resources[ named …], held by …`. */
export const heldDetail = (x: HeldRule): string =>
  `${verbsOf(x.rule)} on ${resourcesOf(x.rule)}${namedOnly(x.rule) ? ` named ${x.rule.resourceNames!.join(',')}` : ''}, held by ${x.holders.join(', ')}`;

/** Held rules that allow any of the verbs on any of the targets, as violations. */
export const heldGrants = (rules: HeldRule[], verbs: string[], targets: Target[]): HeldRule[] =>
  rules.filter((x) => x.holders.length && targets.some((t) => allows(x.rule, verbs, t)));

export const asViolation = (x: HeldRule): Violation => ({ resource: ref(x.role, x.kind), detail: heldDetail(x) });

export const violationsOf = (rules: HeldRule[], verbs: string[], targets: Target[]): Violation[] =>
  heldGrants(rules, verbs, targets).map(asViolation);
