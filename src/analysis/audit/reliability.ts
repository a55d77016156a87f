/**
 * Reliability: the runbook's resource policy on every container, probes, and for each
 * Deployment what keeps one pod going away from being an outage (replicas, an HPA, a PDB).
 */
import type { Finding } from '../../model.js';
import { parseQuantity } from '../quantity.js';
import {
  podLabelsOf,
  podSpecOf,
  ref,
  workloadRef,
  workloadsOf,
  type ClusterState,
  type Container,
  type HorizontalPodAutoscaler,
  type PodDisruptionBudget,
  type Workload,
} from './cluster.js';
import { control, type Violation } from './control.js';
import { selects } from './selector.js';

/** Kubernetes quantities (500m, 1Gi) each container should request and not exceed as limits. */
export interface ResourcePolicy {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** The runbook's policy: requests 500m / 1Gi, limits 2 CPU / 4Gi. */
export const runbookPolicy: ResourcePolicy = {
  requests: { cpu: '500m', memory: '1Gi' },
  limits: { cpu: '2', memory: '4Gi' },
};

const RESOURCE_FIELDS = [
  ['requests', 'cpu'],
  ['requests', 'memory'],
  ['limits', 'cpu'],
  ['limits', 'memory'],
] as const;

/** Over the maximum; an unreadable value is not over, an unreadable maximum caps nothing. */
const over = (value: string | undefined, max: string) => (parseQuantity(value) ?? 0) > (parseQuantity(max) ?? Infinity);

const SINGULAR = { requests: 'request', limits: 'limit' } as const;

/** What a container does wrong against the policy: fields missing, requests or limits above it. */
function policyProblems(c: Container, policy: ResourcePolicy): string[] {
  const res = c.resources ?? {};
  const missing = RESOURCE_FIELDS.filter(([group, name]) => !res[group]?.[name]).map(([g, n]) => `${g}.${n}`);
  // A request over the policy reserves more of the node than the runbook allows, as a limit over it may use more.
  const overPolicy = RESOURCE_FIELDS.filter(([group, name]) => over(res[group]?.[name], policy[group][name])).map(
    ([group, name]) => `${name} ${SINGULAR[group]} ${res[group]?.[name]} over ${policy[group][name]}`,
  );
  return [...(missing.length ? [`missing ${missing.join(', ')}`] : []), ...overPolicy];
}

const resourcesPolicy = (workloads: Workload[], policy: ResourcePolicy): Finding =>
  control(
    {
      id: 'resources-policy',
      title: `requests and limits set, within policy (requests cpu ${policy.requests.cpu} / memory ${policy.requests.memory}, limits cpu ${policy.limits.cpu} / memory ${policy.limits.memory})`,
      severity: 'warning',
      remedy: `Set resources like the runbook: requests cpu ${policy.requests.cpu} / memory ${policy.requests.memory}, limits cpu ${policy.limits.cpu} / memory ${policy.limits.memory}.`,
    },
    workloads.flatMap((w) =>
      (podSpecOf(w).containers ?? []).flatMap((c): Violation[] => {
        const problems = policyProblems(c, policy);
        return problems.length ? [{ resource: `${workloadRef(w)}/${c.name}`, detail: problems.join('; ') }] : [];
      }),
    ),
    'cluster',
  );

/** Jobs and CronJobs run to completion: nothing routes traffic to them or waits for them to be ready (Polaris skips them too). */
const BATCH = new Set(['Job', 'CronJob']);

const probes = (workloads: Workload[]): Finding =>
  control(
    {
      id: 'probes',
      title: 'readiness and liveness probes',
      severity: 'warning',
      remedy: 'Add a readinessProbe (traffic only when ready) and a livenessProbe (restart when stuck).',
    },
    workloads
      .filter((w) => !BATCH.has(w.kind ?? 'Deployment'))
      .flatMap((w) =>
        (podSpecOf(w).containers ?? [])
          .filter((c) => !c.readinessProbe || !c.livenessProbe)
          .map((c) => ({
            resource: `${workloadRef(w)}/${c.name}`,
            detail: [!c.readinessProbe && 'no readinessProbe', !c.livenessProbe && 'no livenessProbe']
              .filter(Boolean)
              .join(', '),
          })),
      ),
    'cluster',
  );

/** The HPA that scales this Deployment, if any. */
const hpaFor = (hpas: HorizontalPodAutoscaler[], d: Workload) =>
  hpas.find(
    (h) =>
      h.metadata?.namespace === d.metadata?.namespace &&
      h.spec?.scaleTargetRef?.kind === 'Deployment' &&
      h.spec?.scaleTargetRef?.name === d.metadata?.name,
  );

const hpaMinReplicas = (deployments: Workload[], hpas: HorizontalPodAutoscaler[]): Finding =>
  control(
    {
      id: 'hpa-min-replicas',
      title: 'a HorizontalPodAutoscaler with minReplicas ≥ 2',
      severity: 'warning',
      remedy: "Add an autoscaling/v2 HPA: minReplicas 2, maxReplicas 10, CPU utilisation 70 % (the runbook's).",
    },
    deployments
      .map((d) => ({ d, hpa: hpaFor(hpas, d) }))
      .filter(({ hpa }) => !hpa || (hpa.spec?.minReplicas ?? 1) < 2) // an HPA's minReplicas defaults to 1
      .map(({ d, hpa }) => ({
        resource: ref(d, 'Deployment'),
        detail: hpa ? `HPA minReplicas ${hpa.spec?.minReplicas ?? 1}` : 'no HPA',
      })),
    'cluster',
  );

const disruptionBudget = (deployments: Workload[], pdbs: PodDisruptionBudget[]): Finding =>
  control(
    {
      id: 'pdb',
      title: 'a PodDisruptionBudget covers each deployment',
      severity: 'warning',
      remedy: "Add a PodDisruptionBudget (minAvailable 1 or maxUnavailable 1) selecting the deployment's pods.",
    },
    deployments
      .filter(
        (d) =>
          !pdbs.some(
            (p) => p.metadata?.namespace === d.metadata?.namespace && selects(p.spec?.selector, podLabelsOf(d)),
          ),
      )
      .map((d) => ({ resource: ref(d, 'Deployment'), detail: 'no PodDisruptionBudget' })),
    'cluster',
  );

/** An HPA's minReplicas counts as replicas: it keeps at least that many running. */
const replicas = (deployments: Workload[], hpas: HorizontalPodAutoscaler[]): Finding =>
  control(
    {
      id: 'replicas',
      title: 'at least 2 replicas',
      severity: 'warning',
      remedy:
        'Run at least 2 replicas (or let an HPA with minReplicas 2 do it) so one pod going away is not an outage.',
    },
    deployments
      .filter((d) => Math.max(d.spec?.replicas ?? 1, hpaFor(hpas, d)?.spec?.minReplicas ?? 0) < 2)
      .map((d) => ({ resource: ref(d, 'Deployment'), detail: `replicas ${d.spec?.replicas ?? 1}` })),
    'cluster',
  );

/** The resource policy on every workload, probes on all but Jobs and CronJobs; HPA, PDB and replicas on Deployments. */
export function reliabilityControls(state: ClusterState, policy: ResourcePolicy): Finding[] {
  const workloads = workloadsOf(state);
  const deployments = workloads.filter((w) => (w.kind ?? 'Deployment') === 'Deployment');
  return [
    resourcesPolicy(workloads, policy),
    probes(workloads),
    hpaMinReplicas(deployments, state.hpas),
    disruptionBudget(deployments, state.pdbs),
    replicas(deployments, state.hpas),
  ];
}
