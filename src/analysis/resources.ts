/**
 * The runbook's `kubectl top pods`, judged: each running container's usage (metrics.k8s.io)
 * against its requests and limits, containers without limits, pods that restart
 * (OOMKilled, CrashLoopBackOff), and pods that do not run at all (./pod-state.ts) —
 * counted apart, since there is no usage to measure. Pure: takes the API objects.
 */
import type { Finding } from '../model.js';
import { podState, type PodStateLike } from './pod-state.js';
import { formatBytes, formatCpu, parseQuantity } from './quantity.js';
import { restartFinding, restartWindow, type RestartBaseline } from './restarts.js';

export type { RestartBaseline } from './restarts.js';

/** The parts of a v1 Pod this reads. */
export interface PodLike extends PodStateLike {
  metadata?: { name?: string; namespace?: string; creationTimestamp?: string | Date };
  spec?: {
    nodeName?: string;
    containers?: Array<{
      image?: string;
      name: string;
      resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    }>;
  };
  status?: PodStateLike['status'] & {
    containerStatuses?: Array<{
      name: string;
      image?: string;
      restartCount?: number;
      state?: { waiting?: { reason?: string; message?: string } };
      lastState?: { terminated?: { reason?: string; exitCode?: number; finishedAt?: string | Date } };
    }>;
  };
}

/** A metrics.k8s.io/v1beta1 PodMetrics. */
export interface PodMetricsLike {
  metadata?: { name?: string; namespace?: string };
  containers?: Array<{ name: string; usage?: Record<string, string> }>;
}

export interface ResourceThresholds {
  warnPercent: number;
  criticalPercent: number;
  restartsWarn: number;
  /** The limits the configuration sets as policy, if it does: what a no-limits finding tells to set. */
  limitPolicy?: { cpu?: string; memory?: string };
}

export interface ContainerUsage {
  pod: string;
  container: string;
  cpu: number | null;
  memory: number | null;
  cpuLimit: number | null;
  memoryLimit: number | null;
  cpuRequest: number | null;
  memoryRequest: number | null;
}

export interface ResourceAnalysis {
  findings: Finding[];
  /** The restart count now of each running container that has restarted, for the next run's baseline. */
  restartCounts: Record<string, number>;
  containers: ContainerUsage[];
  /** `pods` counts the pods measured (Running); `notMeasured` the others. */
  metrics: Record<string, number>;
  /** Pods not measured, by phase (Pending, Failed, Unknown, Succeeded). */
  notMeasured: Record<string, number>;
}

/** Usage shares keep one decimal, without trailing zeros: 0.977 → "97.7 %", 0.5 → "50 %". */
const pct = (v: number) => `${Math.round(v * 1000) / 10} %`;

type PodContainer = NonNullable<NonNullable<PodLike['spec']>['containers']>[number];

/** Usage by `pod/container`, as metrics-server reports it. */
function usageByContainer(podMetrics: PodMetricsLike[]): Map<string, Record<string, string>> {
  const usageOf = new Map<string, Record<string, string>>();
  for (const m of podMetrics)
    for (const c of m.containers ?? []) usageOf.set(`${m.metadata?.name}/${c.name}`, c.usage ?? {});
  return usageOf;
}

function containerUsage(pod: string, c: PodContainer, usage: Record<string, string> | undefined): ContainerUsage {
  return {
    pod,
    container: c.name,
    cpu: parseQuantity(usage?.cpu),
    memory: parseQuantity(usage?.memory),
    cpuLimit: parseQuantity(c.resources?.limits?.cpu),
    memoryLimit: parseQuantity(c.resources?.limits?.memory),
    cpuRequest: parseQuantity(c.resources?.requests?.cpu),
    memoryRequest: parseQuantity(c.resources?.requests?.memory),
  };
}

/** What to set a missing limit to: the configured policy, else twice the usage measured now (as a start). */
function limitAdvice(kind: 'cpu' | 'memory', row: ContainerUsage, policy: ResourceThresholds['limitPolicy']): string {
  const set = policy?.[kind];
  if (set) return `${kind} ${set} (the configured policy)`;
  const used = kind === 'cpu' ? row.cpu : row.memory;
  const fmt = kind === 'cpu' ? formatCpu : formatBytes;
  if (used === null || used <= 0)
    return `${kind} above its peak usage (no usage measured yet: kubectl top pod over a busy day)`;
  return `${kind} above its peak usage — it uses ${fmt(used)} now, so at least ${fmt(used * 2)} as a start, checked against its peak over a busy day`;
}

function missingLimits(resource: string, row: ContainerUsage, t: ResourceThresholds): Finding[] {
  const missing = (['cpu', 'memory'] as const).filter((k) => (k === 'cpu' ? row.cpuLimit : row.memoryLimit) === null);
  if (!missing.length) return [];
  return [
    {
      severity: 'warning',
      check: 'resources.no-limits',
      resource,
      message: `container ${row.container} has no ${missing.join(' or ')} limit`,
      remedy: `Set resources.limits on ${row.container} so one pod cannot starve its node: ${missing.map((k) => limitAdvice(k, row, t.limitPolicy)).join('; ')}.`,
    },
  ];
}

/** CPU then memory, each as used, limit and request (null: not reported or not set). */
const usageKinds = (row: ContainerUsage) =>
  [
    ['cpu', row.cpu, row.cpuLimit, row.cpuRequest, formatCpu],
    ['memory', row.memory, row.memoryLimit, row.memoryRequest, formatBytes],
  ] as const;

/** Usage near the limit (throttling, OOM kills ahead); without a limit, usage far over the request. */
function usageFindings(resource: string, row: ContainerUsage, t: ResourceThresholds): Finding[] {
  const f: Finding[] = [];
  const name = row.container;
  for (const [kind, used, limit, request, fmt] of usageKinds(row)) {
    if (used === null) continue;
    if (limit) {
      const share = used / limit;
      const severity = share >= t.criticalPercent / 100 ? 'critical' : share >= t.warnPercent / 100 ? 'warning' : null;
      if (severity)
        f.push({
          severity,
          check: `resources.${kind}-limit`,
          resource,
          message: `${name} uses ${fmt(used)} of its ${fmt(limit)} ${kind} limit (${pct(share)})`,
          evidence: { used, limit, request, share },
          remedy:
            kind === 'memory'
              ? `Near the memory limit the kernel OOM-kills ${name}: raise resources.limits.memory or find the leak (heap profile).`
              : `At its CPU limit ${name} is throttled: raise resources.limits.cpu, or scale out (HPA) to spread the load.`,
        });
    } else if (request && used > request * 1.5) {
      f.push({
        severity: 'info',
        check: `resources.${kind}-over-request`,
        resource,
        message: `${name} uses ${fmt(used)} ${kind}, ${pct(used / request)} of its request, with no limit`,
        evidence: { used, request },
      });
    }
  }
  return f;
}

/** The highest usage-to-limit share among containers that have both (0 when none has). */
const maxShare = (shares: Array<[number | null, number | null]>) =>
  Math.max(0, ...shares.filter(([used, limit]) => used !== null && limit).map(([used, limit]) => used! / limit!));

const noMetrics = (namespace: string): Finding => ({
  severity: 'warning',
  check: 'resources.no-metrics',
  resource: `namespace/${namespace}`,
  message: 'no pod in the namespace has usage metrics',
  remedy: 'Install or fix metrics-server: kubectl top pods needs the same metrics.k8s.io API.',
});

/**
 * The namespace's pods judged: those not running by their state (and counted apart); the
 * running ones for limits missing, usage near limits (or over requests), restarts by cause;
 * with each container's usage and the figures the performance report charts.
 */
export function analyzeResources(
  namespace: string,
  pods: PodLike[],
  podMetrics: PodMetricsLike[],
  t: ResourceThresholds,
  now: Date,
  previous: RestartBaseline | null = null,
): ResourceAnalysis {
  const findings: Finding[] = [];
  const restartCounts: Record<string, number> = {};
  const containers: ContainerUsage[] = [];
  const notMeasured: Record<string, number> = {};
  const usageOf = usageByContainer(podMetrics);
  let restarts = 0;
  let withoutMetrics = 0;
  let measured = 0;
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '?';
    const resource = `pod/${namespace}/${name}`;
    const state = podState(namespace, pod, now);
    findings.push(...state.findings);
    if (!state.measured) {
      const phase = state.notMeasured ?? 'Unknown';
      notMeasured[phase] = (notMeasured[phase] ?? 0) + 1;
      continue; // nothing running to measure
    }
    measured++;
    for (const c of pod.spec?.containers ?? []) {
      const usage = usageOf.get(`${name}/${c.name}`);
      if (!usage) withoutMetrics++;
      const row = containerUsage(name, c, usage);
      containers.push(row);
      findings.push(...missingLimits(resource, row, t), ...usageFindings(resource, row, t));
    }
    const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp) : null;
    for (const s of pod.status?.containerStatuses ?? []) {
      const window = restartWindow(`${namespace}/${name}/${s.name}`, s.restartCount ?? 0, previous, now, created);
      if (s.restartCount) restartCounts[window.key] = s.restartCount;
      restarts += window.count;
      findings.push(...restartFinding(namespace, name, s, t, window));
    }
  }
  if (withoutMetrics === containers.length && containers.length) findings.push(noMetrics(namespace));
  const maxCpu = maxShare(containers.map((c) => [c.cpu, c.cpuLimit]));
  const maxMemory = maxShare(containers.map((c) => [c.memory, c.memoryLimit]));
  return {
    findings,
    restartCounts,
    containers,
    notMeasured,
    metrics: {
      pods: measured,
      notMeasured: pods.length - measured,
      containers: containers.length,
      maxCpuOfLimit: Math.round(maxCpu * 1000) / 1000,
      maxMemoryOfLimit: Math.round(maxMemory * 1000) / 1000,
      restarts,
    },
  };
}
