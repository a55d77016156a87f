/**
 * The runbook's `kubectl top pods`, judged: each container's usage (metrics.k8s.io)
 * against its requests and limits, containers without limits, and pods that restart
 * (OOMKilled, CrashLoopBackOff). Pure: takes the API objects, returns findings.
 */
import type { Finding } from '../model.js';
import { runbookPolicy } from './audit/reliability.js';
import { formatBytes, formatCpu, parseQuantity } from './quantity.js';

/** The parts of a v1 Pod this reads. */
export interface PodLike {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    containers?: Array<{
      name: string;
      resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    }>;
  };
  status?: {
    phase?: string;
    containerStatuses?: Array<{
      name: string;
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
  /** The limits the remedy for a missing one recommends (default: the runbook's policy, 2 CPU / 4Gi). */
  limits?: { cpu: string; memory: string };
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
  containers: ContainerUsage[];
  metrics: Record<string, number>;
}

/** Usage shares keep one decimal, without trailing zeros: 0.977 → "97.7 %", 0.5 → "50 %". */
const pct = (v: number) => `${Math.round(v * 1000) / 10} %`;

type PodContainer = NonNullable<NonNullable<PodLike['spec']>['containers']>[number];
type ContainerStatus = NonNullable<NonNullable<PodLike['status']>['containerStatuses']>[number];

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

function missingLimits(resource: string, row: ContainerUsage, limits = runbookPolicy.limits): Finding[] {
  const missing = [row.cpuLimit === null && 'cpu', row.memoryLimit === null && 'memory'].filter(Boolean);
  if (!missing.length) return [];
  return [
    {
      severity: 'warning',
      check: 'resources.no-limits',
      resource,
      message: `container ${row.container} has no ${missing.join(' or ')} limit`,
      remedy: `Set resources.limits.${missing.join(' and ')} on ${row.container} (the policy: limits cpu ${limits.cpu} / memory ${limits.memory}) so one pod cannot starve its node.`,
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

/** Why a container restarts, by the most telling sign: crash-looping now, OOM-killed last, or just often. */
function restartFinding(namespace: string, pod: string, s: ContainerStatus, t: ResourceThresholds): Finding | null {
  const resource = `pod/${namespace}/${pod}`;
  const terminated = s.lastState?.terminated?.reason;
  if (s.state?.waiting?.reason === 'CrashLoopBackOff')
    return {
      severity: 'critical',
      check: 'pod.crashloop',
      resource,
      message: `container ${s.name} is in CrashLoopBackOff (${s.restartCount ?? 0} restarts${terminated ? `, last exit: ${terminated}` : ''})`,
      remedy: `kubectl logs ${pod} -c ${s.name} --previous -n ${namespace} shows why it exits; roll back (rollout undo) if a new version brought it.`,
    };
  if (terminated === 'OOMKilled')
    return {
      severity: 'critical',
      check: 'pod.oomkilled',
      resource,
      message: `container ${s.name} was OOMKilled (${s.restartCount ?? 0} restarts)`,
      remedy: `Raise ${s.name}'s memory limit or fix its memory use; it will be killed again at the same limit.`,
    };
  if ((s.restartCount ?? 0) >= t.restartsWarn)
    return {
      severity: 'warning',
      check: 'pod.restarts',
      resource,
      message: `container ${s.name} restarted ${s.restartCount} times${terminated ? ` (last: ${terminated})` : ''}`,
      remedy: `kubectl describe pod ${pod} -n ${namespace} and its previous logs say why.`,
    };
  return null;
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
 * The namespace's running pods judged: limits missing, usage near limits (or over requests),
 * restarts by cause; with each container's usage and the figures the performance report charts.
 */
export function analyzeResources(
  namespace: string,
  pods: PodLike[],
  podMetrics: PodMetricsLike[],
  t: ResourceThresholds,
): ResourceAnalysis {
  const findings: Finding[] = [];
  const containers: ContainerUsage[] = [];
  const usageOf = usageByContainer(podMetrics);
  let restarts = 0;
  let withoutMetrics = 0;
  for (const pod of pods) {
    const name = pod.metadata?.name ?? '?';
    const resource = `pod/${namespace}/${name}`;
    if (pod.status?.phase && pod.status.phase !== 'Running') continue; // finished or not yet started: nothing to use
    for (const c of pod.spec?.containers ?? []) {
      const usage = usageOf.get(`${name}/${c.name}`);
      if (!usage) withoutMetrics++;
      const row = containerUsage(name, c, usage);
      containers.push(row);
      findings.push(...missingLimits(resource, row, t.limits), ...usageFindings(resource, row, t));
    }
    for (const s of pod.status?.containerStatuses ?? []) {
      restarts += s.restartCount ?? 0;
      const finding = restartFinding(namespace, name, s, t);
      if (finding) findings.push(finding);
    }
  }
  if (pods.length && withoutMetrics === containers.length && containers.length) findings.push(noMetrics(namespace));
  const maxCpu = maxShare(containers.map((c) => [c.cpu, c.cpuLimit]));
  const maxMemory = maxShare(containers.map((c) => [c.memory, c.memoryLimit]));
  return {
    findings,
    containers,
    metrics: {
      pods: pods.length,
      containers: containers.length,
      maxCpuOfLimit: Math.round(maxCpu * 1000) / 1000,
      maxMemoryOfLimit: Math.round(maxMemory * 1000) / 1000,
      restarts,
    },
  };
}
