/**
 * The cluster as the audit reads it: the Kubernetes API objects as plain JSON (what
 * `kubectl get -o json` prints), typed down to the fields the controls look at. Every field
 * is optional because the audit judges whatever the API returned, however incomplete.
 */

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
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
  verbs?: string[];
  resources?: string[];
  resourceNames?: string[];
}

/** A ClusterRole or Role. */
export interface Role extends KubeObject {
  rules?: PolicyRule[];
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
}

export interface Container {
  name?: string;
  image?: string;
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
  securityContext?: Pick<SecurityContext, 'runAsNonRoot' | 'runAsUser'>;
  containers?: Container[];
  initContainers?: Container[];
  volumes?: Array<{ hostPath?: { path?: string } }>;
}

/** A Deployment, StatefulSet or DaemonSet: anything with a pod template. */
export interface Workload extends KubeObject {
  spec?: { replicas?: number; template?: { metadata?: ObjectMeta; spec?: PodSpec } };
}

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

export interface HorizontalPodAutoscaler extends KubeObject {
  spec?: { scaleTargetRef?: { kind?: string; name?: string }; minReplicas?: number };
}

export interface PodDisruptionBudget extends KubeObject {
  spec?: { selector?: { matchLabels?: Record<string, string> } };
}

export interface ClusterState {
  clusterRoleBindings: Binding[];
  clusterRoles: Role[];
  roleBindings: Binding[];
  roles: Role[];
  /** Deployments, StatefulSets and DaemonSets (anything with spec.template). */
  workloads: Workload[];
  configMaps: ConfigMap[];
  hpas: HorizontalPodAutoscaler[];
  pdbs: PodDisruptionBudget[];
}

/** How evidence names an object: `kind/namespace/name`, or `kind/name` when cluster-scoped. */
export const ref = (o: KubeObject, kind: string): string =>
  `${kind.toLowerCase()}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name}`;

/** A workload by its own kind; the list calls that read it may leave kind out, and Deployments are the usual. */
export const workloadRef = (w: Workload): string => ref(w, w.kind ?? 'Deployment');

/** The pod spec a workload stamps out (empty when the object has none). */
export const podSpecOf = (w: Workload): PodSpec => w.spec?.template?.spec ?? {};
