/**
 * Pod security: Polaris' security checks on every container (init containers too: they run
 * with the same rights), its host checks on every pod template, and secrets left in plain
 * ConfigMaps.
 */
import type { Finding } from '../../model.js';
import {
  podSpecOf,
  ref,
  workloadRef,
  type ClusterState,
  type ConfigMap,
  type Container,
  type PodSpec,
  type SecurityContext,
  type Workload,
} from './cluster.js';
import { control } from './control.js';

/** A container with the pod spec around it, named `kind/namespace/workload/container` in evidence. */
interface PlacedContainer {
  spec: PodSpec;
  c: Container;
  at: string;
}

function containersOf(workloads: Workload[]): PlacedContainer[] {
  return workloads.flatMap((w) => {
    const spec = podSpecOf(w);
    return [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => ({
      spec,
      c,
      at: `${workloadRef(w)}/${c.name}`,
    }));
  });
}

/** The container's own setting, else the pod's default (runAsNonRoot and runAsUser may be set on either). */
const effective = (x: PlacedContainer, key: 'runAsNonRoot' | 'runAsUser') =>
  x.c.securityContext?.[key] ?? x.spec.securityContext?.[key];

const context = (x: PlacedContainer): SecurityContext => x.c.securityContext ?? {};

/** What is wrong with an image reference, or null: a digest pins it, so does any tag but latest. */
function unpinned(image: string): 'no tag' | ':latest' | null {
  const last = image.split('/').pop() ?? image; // a registry's port (host:5000/app) is not a tag
  if (last.includes('@')) return null;
  const tag = last.includes(':') ? last.split(':').pop() : null;
  return !tag ? 'no tag' : tag === 'latest' ? ':latest' : null;
}

const HOST_NAMESPACES = ['hostNetwork', 'hostPID', 'hostIPC'] as const;

/** Keys that name a credential; their values belong in a Secret. */
const SENSITIVE = /pass(word)?|secret|token|api[-_]?key|private[-_]?key|credential/i;

/** `${VAR}` is a placeholder filled from a Secret at deploy time, not the secret itself. */
const isPlaceholder = (value: string) => /^\$\{.*\}$/.test(value);

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

const imageTag = (containers: PlacedContainer[]): Finding =>
  control(
    {
      id: 'polaris-image-tag',
      title: 'images pinned to a tag other than latest',
      severity: 'warning',
      remedy: 'Pin the image to a version tag or digest, so a restart cannot change what runs.',
    },
    containers
      .filter((x) => unpinned(String(x.c.image ?? '')))
      .map((x) => ({ resource: x.at, detail: `${x.c.image}: ${unpinned(String(x.c.image))}` })),
    'cluster',
  );

/** The evidence names the key only: the value is a secret, and the finding is stored and mailed. */
const configMapSecrets = (configMaps: ConfigMap[]): Finding =>
  control(
    {
      id: 'configmap-sensitive-values',
      title: 'no secrets in plain ConfigMaps',
      severity: 'critical',
      remedy:
        'Move the value to a Secret (referenced with secretKeyRef) and rotate it: it has been readable by anyone who can read ConfigMaps.',
    },
    configMaps.flatMap((cm) =>
      Object.entries(cm.data ?? {})
        .filter(([k, v]) => SENSITIVE.test(k) && String(v).trim() !== '' && !isPlaceholder(String(v)))
        .map(([k]) => ({ resource: ref(cm, 'ConfigMap'), detail: `key ${k}` })),
    ),
    'cluster',
  );

/** Polaris' pod-security checks, then secrets in ConfigMaps. */
export function securityControls(state: ClusterState): Finding[] {
  const containers = containersOf(state.workloads);
  return [
    runAsNonRoot(containers),
    privileged(containers),
    privilegeEscalation(containers),
    hostNamespaces(state.workloads),
    hostPath(state.workloads),
    capabilities(containers),
    readOnlyRoot(containers),
    imageTag(containers),
    configMapSecrets(state.configMaps),
  ];
}
