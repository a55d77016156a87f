/**
 * The cluster as the audit reads it: the Kubernetes API objects as plain JSON (what
 * `kubectl get -o json` prints), typed down to the fields the controls look at. Every field
 * is optional because the audit judges whatever the API returned, however incomplete.
 */

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  ownerReferences?: Array<{ kind?: string; name?: string; controller?: boolean }>;
}

/** What every API object has: its kind (lists leave it out, so the audit may add it) and metadata. */
export interface KubeObject {
  kind?: string;
  metadata?: ObjectMeta;
}

/** A user, group or service account named in a binding. */
export interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

/** A ClusterRoleBinding or RoleBinding. */
export interface Binding extends KubeObject {
  roleRef?: { kind?: string; name?: string };
  subjects?: Subject[];
}

export interface PolicyRule {
  apiGroups?: string[];
  verbs?: string[];
  resources?: string[];
  resourceNames?: string[];
}

/** A ClusterRole or Role. */
export interface Role extends KubeObject {
  rules?: PolicyRule[];
}

/** A Kubernetes label selector: matchLabels and matchExpressions, all of which must hold. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key?: string; operator?: string; values?: string[] }>;
}

export interface SeccompProfile {
  type?: string;
  localhostProfile?: string;
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  seccompProfile?: SeccompProfile;
}

export interface Container {
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  ports?: Array<{ name?: string; containerPort?: number; hostPort?: number }>;
  /** Only `name` and `value` are read: `valueFrom` references a Secret or ConfigMap and is fine. */
  env?: Array<{ name?: string; value?: string }>;
  securityContext?: SecurityContext;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  readinessProbe?: object;
  livenessProbe?: object;
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  /** The pod-level defaults a container's own securityContext overrides. */
  securityContext?: Pick<SecurityContext, 'runAsNonRoot' | 'runAsUser' | 'seccompProfile'>;
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Array<{ hostPath?: { path?: string } }>;
}

export interface PodTemplate {
  metadata?: ObjectMeta;
  spec?: PodSpec;
}

/**
 * Anything that stamps out pods: a Deployment, StatefulSet, DaemonSet or Job (spec.template),
 * a CronJob (spec.jobTemplate.spec.template), or a bare Pod the audit wraps as its own template.
 */
export interface Workload extends KubeObject {
  spec?: {
    replicas?: number;
    template?: PodTemplate;
    jobTemplate?: { spec?: { template?: PodTemplate } };
  };
}

/** A Pod as listed: only bare pods (no controller owns them) are audited, as workloads of kind Pod. */
export interface Pod extends KubeObject {
  spec?: PodSpec;
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export interface HorizontalPodAutoscaler extends KubeObject {
  spec?: { scaleTargetRef?: { kind?: string; name?: string }; minReplicas?: number };
}

export interface PodDisruptionBudget extends KubeObject {
  spec?: { selector?: LabelSelector };
}

export interface NetworkPolicy extends KubeObject {
  spec?: { podSelector?: LabelSelector; policyTypes?: string[] };
}

export interface ClusterState {
  clusterRoleBindings: Binding[];
  clusterRoles: Role[];
  roleBindings: Binding[];
  roles: Role[];
  /** Deployments, StatefulSets, DaemonSets, Jobs and CronJobs (anything with a pod template). */
  workloads: Workload[];
  /** Every Pod listed; those a controller owns are judged through their controller. */
  pods: Pod[];
  configMaps: ConfigMap[];
  hpas: HorizontalPodAutoscaler[];
  pdbs: PodDisruptionBudget[];
  networkPolicies: NetworkPolicy[];
}

/** How evidence names an object: `kind/namespace/name`, or `kind/name` when cluster-scoped. */
export const ref = (o: KubeObject, kind: string): string =>
  `${kind.toLowerCase()}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/** A workload by its own kind; the list calls that read it may leave kind out, and Deployments are the usual. */
export const workloadRef = (w: Workload): string => ref(w, w.kind ?? 'Deployment');

const templateOf = (w: Workload): PodTemplate | undefined =>
  w.kind === 'CronJob' ? w.spec?.jobTemplate?.spec?.template : w.spec?.template;

/** The pod spec a workload stamps out (empty when the object has none). */
export const podSpecOf = (w: Workload): PodSpec => templateOf(w)?.spec ?? {};

/** The labels of the pods a workload stamps out: what PDBs and NetworkPolicies select on. */
export const podLabelsOf = (w: Workload): Record<string, string> => templateOf(w)?.metadata?.labels ?? {};

/** Owned by a controller of the given kind (any kind when none is given). */
const controlledBy = (o: KubeObject, kind?: string) =>
  (o.metadata?.ownerReferences ?? []).some((r) => r.controller === true && (kind === undefined || r.kind === kind));

/**
 * Every workload the pod controls judge: the controllers read — all of them, an operator's
 * StatefulSet too, less the Jobs a CronJob made (judged through its jobTemplate) — and bare
 * Pods, which no controller owns: nothing recreates them, so nothing else would show their spec.
 */
export function workloadsOf(state: ClusterState): Workload[] {
  return [
    ...state.workloads.filter((w) => !(w.kind === 'Job' && controlledBy(w, 'CronJob'))),
    ...state.pods
      .filter((p) => !controlledBy(p))
      .map((p): Workload => ({ kind: 'Pod', metadata: p.metadata, spec: { template: p } })),
  ];
}
