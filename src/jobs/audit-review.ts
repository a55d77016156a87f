/**
 * audit-review: the runbook's audit procedures (access control, security compliance,
 * performance audit, service logs review) as controls with ids, pass/fail, evidence and a
 * remedy — read from the cluster and from opscron's own store — for the compliance report.
 */
import { z } from 'zod';
import {
  accessControls,
  operationsControls,
  reliabilityControls,
  runbookPolicy,
  securityControls,
  type ClusterState,
} from '../analysis/audit.js';
import { duration } from '../config/schema.js';
import { MAX_REPORT_PERIOD_MS } from '../limits.js';
import { kubeCall, kubeFor, type Kube } from '../integrations/kube.js';
import { defineJob, statusOf, type Finding, type JobContext } from './types.js';

/** A Kubernetes quantity as a param (resource-usage's `limits` too). */
export const quantity = z
  .string()
  .regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/, { error: 'must be a Kubernetes quantity such as 500m, 2, 1Gi' });

/** Which sections to audit, over which namespaces, against which resource policy and targets. */
export const auditReviewParams = z.strictObject({
  /** Namespaces to audit (default kubernetes.namespaces); cluster-wide RBAC is always read. */
  namespaces: z.array(z.string()).optional(),
  sections: z
    .array(z.enum(['access', 'security', 'reliability', 'operations']))
    .default(['access', 'security', 'reliability', 'operations']),
  policy: z
    .strictObject({
      requests: z.strictObject({ cpu: quantity, memory: quantity }),
      limits: z.strictObject({ cpu: quantity, memory: quantity }),
    })
    .default(runbookPolicy),
  /** The period the operations controls look back over. */
  period: duration
    .refine((ms) => ms <= MAX_REPORT_PERIOD_MS, { error: 'must be at most 366d (like a report period)' })
    .default(7 * 86_400_000),
  /** How old the last successful backup may be. */
  backupTarget: duration.default(26 * 3_600_000),
});

type AuditReviewParams = z.output<typeof auditReviewParams>;

/** The compliance report's controls: pass (info) or fail, each with its id, evidence and remedy. */
export const auditReview = defineJob({
  type: 'audit-review',
  summary:
    'Audit controls with ids and evidence: RBAC (CIS 5.1), pod security (Polaris), resources and availability, operations',
  params: auditReviewParams,
  feeds: { complianceControls: true },
  overridable: ['sections', 'policy', 'period', 'backupTarget'],
  async run(ctx, params) {
    const findings: Finding[] = [];
    if (params.sections.some((s) => s !== 'operations')) findings.push(...(await clusterControls(ctx, params)));
    if (params.sections.includes('operations')) {
      // What opscron itself recorded: backups, failing jobs, destructive actions, error logs.
      findings.push(
        ...operationsControls({
          ...(await ctx.history.operations(params.period, params.backupTarget)),
          now: ctx.now(),
        }),
      );
    }
    const failed = findings.filter((f) => f.severity !== 'info');
    return {
      status: statusOf(findings),
      summary: `${findings.length - failed.length} of ${findings.length} controls pass${failed.length ? `; failing: ${failed.map((f) => f.check).join(', ')}` : ''}`,
      findings,
      metrics: { controls: findings.length, passed: findings.length - failed.length, failed: failed.length },
    };
  },
});

/** The sections judged on the cluster (access, security, reliability), from one read of it. */
async function clusterControls(ctx: JobContext, params: AuditReviewParams): Promise<Finding[]> {
  const kube = await kubeFor(ctx.config);
  const namespaces = params.namespaces ?? ctx.config.kubernetes!.namespaces;
  const state = await readCluster(ctx, kube, namespaces);
  const plain = JSON.parse(JSON.stringify(state)) as ClusterState; // the client's model classes as plain API objects
  const findings: Finding[] = [];
  if (params.sections.includes('access')) findings.push(...accessControls(plain));
  if (params.sections.includes('security')) findings.push(...securityControls(plain));
  if (params.sections.includes('reliability')) findings.push(...reliabilityControls(plain, params.policy));
  return findings;
}

/** Cluster-wide RBAC, then each namespace's RBAC, workloads, pods, configmaps, autoscalers, budgets and network policies. */
async function readCluster(ctx: JobContext, kube: Kube, namespaces: readonly string[]): Promise<ClusterState> {
  const state: ClusterState = {
    clusterRoleBindings: [],
    clusterRoles: [],
    roleBindings: [],
    roles: [],
    workloads: [],
    pods: [],
    configMaps: [],
    hpas: [],
    pdbs: [],
    networkPolicies: [],
  };
  state.clusterRoleBindings = (
    await kubeCall('list clusterrolebindings', () => kube.rbac.listClusterRoleBinding())
  ).items;
  state.clusterRoles = (await kubeCall('list clusterroles', () => kube.rbac.listClusterRole())).items;
  for (const [i, namespace] of namespaces.entries()) {
    ctx.progress(i / namespaces.length, `reading ${namespace}`);
    await readNamespace(kube, namespace, state);
  }
  return state;
}

type Listing = { items: object[] };

/** What each namespace is read for: the list call, and where its items go (workloads get their kind: lists leave it out). */
const namespaceReads = (kube: Kube, namespace: string) =>
  [
    ['rolebindings', 'roleBindings', () => kube.rbac.listNamespacedRoleBinding({ namespace })],
    ['roles', 'roles', () => kube.rbac.listNamespacedRole({ namespace })],
    ['deployments', 'Deployment', () => kube.apps.listNamespacedDeployment({ namespace })],
    ['statefulsets', 'StatefulSet', () => kube.apps.listNamespacedStatefulSet({ namespace })],
    ['daemonsets', 'DaemonSet', () => kube.apps.listNamespacedDaemonSet({ namespace })],
    ['jobs', 'Job', () => kube.batch.listNamespacedJob({ namespace })],
    ['cronjobs', 'CronJob', () => kube.batch.listNamespacedCronJob({ namespace })],
    ['pods', 'pods', () => kube.core.listNamespacedPod({ namespace })],
    ['configmaps', 'configMaps', () => kube.core.listNamespacedConfigMap({ namespace })],
    ['horizontalpodautoscalers', 'hpas', () => kube.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace })],
    ['poddisruptionbudgets', 'pdbs', () => kube.policy.listNamespacedPodDisruptionBudget({ namespace })],
    ['networkpolicies', 'networkPolicies', () => kube.networking.listNamespacedNetworkPolicy({ namespace })],
  ] as Array<
    [
      string,
      keyof ClusterState | 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'Job' | 'CronJob',
      () => Promise<Listing>,
    ]
  >;

/** Adds one namespace's objects to `state`, in the order the controls were written against. */
async function readNamespace(kube: Kube, namespace: string, state: ClusterState): Promise<void> {
  for (const [plural, into, list] of namespaceReads(kube, namespace)) {
    const { items } = await kubeCall(`list ${plural} in ${namespace}`, list);
    if (into in state) (state[into as keyof ClusterState] as object[]).push(...items);
    else state.workloads.push(...items.map((w) => ({ ...w, kind: into })));
  }
}
