/**
 * Pod security: Polaris' security checks on every container (init containers too: they run
 * with the same rights) and its host checks on every pod template, of every workload kind
 * (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs, bare Pods); then NetworkPolicy
 * coverage (network.ts) and secrets left in plain sight (sensitive.ts).
 */
import type { Finding } from '../../model.js';
import {
  podSpecOf,
  workloadRef,
  workloadsOf,
  type ClusterState,
  type SecurityContext,
  type Workload,
} from './cluster.js';
import { containersOf, type PlacedContainer } from './containers.js';
import { control } from './control.js';
import { hostPort, imageTag, pullPolicy, seccomp } from './container-checks.js';
import { networkPolicyCoverage } from './network.js';
import { sensitiveValues } from './sensitive.js';

/** The container's own setting, else the pod's default (runAsNonRoot and runAsUser may be set on either). */
const effective = (x: PlacedContainer, key: 'runAsNonRoot' | 'runAsUser') =>
  x.c.securityContext?.[key] ?? x.spec.securityContext?.[key];

const context = (x: PlacedContainer): SecurityContext => x.c.securityContext ?? {};

const HOST_NAMESPACES = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

const runAsNonRoot = (containers: PlacedContainer[]): Finding =>
  control(
    {
      id: 'polaris-run-as-non-root',
      title: 'containers run as non-root',
      severity: 'warning',
      remedy: 'Set securityContext.runAsNonRoot: true (and a runAsUser other than 0).',
    },
    containers
      .filter((x) => effective(x, 'runAsNonRoot') !== true && !(Number(effective(x, 'runAsUser')) > 0))
      .map((x) => ({ resource: x.at, detail: 'may run as root' })),
    'cluster',
  );

const privileged = (containers: PlacedContainer[]): Finding =>
  control(
    {
      id: 'polaris-privileged',
      title: 'no privileged containers',
      severity: 'critical',
      remedy: 'Remove securityContext.privileged: true; add only the capability the container needs.',
    },
    containers.filter((x) => context(x).privileged === true).map((x) => ({ resource: x.at, detail: 'privileged' })),
    'cluster',
  );

const privilegeEscalation = (containers: PlacedContainer[]): Finding =>
  control(
    {
      id: 'polaris-privilege-escalation',
      title: 'privilege escalation disallowed',
      severity: 'warning',
      remedy: 'Set securityContext.allowPrivilegeEscalation: false.',
    },
    containers
      .filter((x) => context(x).allowPrivilegeEscalation !== false)
      .map((x) => ({ resource: x.at, detail: 'allowPrivilegeEscalation not false' })),
    'cluster',
  );

const hostNamespaces = (workloads: Workload[]): Finding =>
  control(
    {
      id: 'polaris-host-namespaces',
      title: 'no host network, PID or IPC',
      severity: 'critical',
      remedy: 'Remove hostNetwork, hostPID and hostIPC from the pod spec.',
    },
    workloads
      .map((w) => ({ w, shared: HOST_NAMESPACES.filter((k) => podSpecOf(w)[k] === true) }))
      .filter(({ shared }) => shared.length)
      .map(({ w, shared }) => ({ resource: workloadRef(w), detail: shared.join(', ') })),
    'cluster',
  );

const hostPath = (workloads: Workload[]): Finding =>
  control(
    {
      id: 'polaris-host-path',
      title: 'no hostPath volumes',
      severity: 'warning',
      remedy: 'Use a PersistentVolumeClaim, emptyDir or ConfigMap instead of hostPath.',
    },
    workloads.flatMap((w) =>
      (podSpecOf(w).volumes ?? [])
        .filter((v) => v.hostPath)
        .map((v) => ({ resource: workloadRef(w), detail: `hostPath ${v.hostPath?.path}` })),
    ),
    'cluster',
  );

const capabilities = (containers: PlacedContainer[]): Finding =>
  control(
    {
      id: 'polaris-capabilities',
      title: 'no added capabilities, ALL dropped',
      severity: 'warning',
      remedy: 'securityContext.capabilities: {drop: [ALL]} and add back only what is needed (e.g. NET_BIND_SERVICE).',
    },
    containers
      .map((x) => ({
        at: x.at,
        added: context(x).capabilities?.add ?? [],
        dropped: context(x).capabilities?.drop ?? [],
      }))
      .filter(({ added, dropped }) => added.length || !dropped.includes('ALL'))
      .map(({ at, added }) => ({
        resource: at,
        detail: added.length ? `adds ${added.join(',')}` : 'does not drop ALL',
      })),
    'cluster',
  );

const readOnlyRoot = (containers: PlacedContainer[]): Finding =>
  control(
    {
      id: 'polaris-read-only-root',
      title: 'read-only root filesystem',
      severity: 'warning',
      remedy: 'Set securityContext.readOnlyRootFilesystem: true and mount an emptyDir where the app writes.',
    },
    containers
      .filter((x) => context(x).readOnlyRootFilesystem !== true)
      .map((x) => ({ resource: x.at, detail: 'writable root filesystem' })),
    'cluster',
  );

/** Polaris' pod-security checks, NetworkPolicy coverage, then secrets in ConfigMaps and env values. */
export function securityControls(state: ClusterState): Finding[] {
  const workloads = workloadsOf(state);
  const containers = containersOf(workloads);
  return [
    runAsNonRoot(containers),
    privileged(containers),
    privilegeEscalation(containers),
    hostNamespaces(workloads),
    hostPath(workloads),
    hostPort(containers),
    capabilities(containers),
    readOnlyRoot(containers),
    seccomp(containers),
    imageTag(containers),
    pullPolicy(containers),
    networkPolicyCoverage(workloads, state.networkPolicies),
    ...sensitiveValues(state.configMaps, containers),
  ];
}
