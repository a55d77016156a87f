/**
 * The runbook's `kubectl top pods`, judged: each container's usage (metrics.k8s.io)
 * against its requests and limits, containers without limits, and pods that restart
 * (OOMKilled, CrashLoopBackOff). Pure: takes the API objects, returns findings.
 */
import type { Finding } from '../model.js';
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

const pct = (v: number) => `${Math.round(v * 1000) / 10} %`;

export function analyzeResources(
  namespace: string,
  pods: PodLike[],
  podMetrics: PodMetricsLike[],
  t: ResourceThresholds,
): ResourceAnalysis {
  const findings: Finding[] = [];
  const containers: ContainerUsage[] = [];
  const usageOf = new Map<string, Record<string, string>>();
  for (const m of podMetrics)
    for (const c of m.containers ?? []) usageOf.set(`${m.metadata?.name}/${c.name}`, c.usage ?? {});
  let maxCpu = 0;
  let maxMemory = 0;
  let restarts = 0;
  let withoutMetrics = 0;

  for (const pod of pods) {
    const name = pod.metadata?.name ?? '?';
    const resource = `pod/${namespace}/${name}`;
    if (pod.status?.phase && pod.status.phase !== 'Running') continue;
    for (const c of pod.spec?.containers ?? []) {
      const usage = usageOf.get(`${name}/${c.name}`);
      if (!usage) withoutMetrics++;
      const row: ContainerUsage = {
        pod: name,
        container: c.name,
        cpu: parseQuantity(usage?.cpu),
        memory: parseQuantity(usage?.memory),
        cpuLimit: parseQuantity(c.resources?.limits?.cpu),
        memoryLimit: parseQuantity(c.resources?.limits?.memory),
        cpuRequest: parseQuantity(c.resources?.requests?.cpu),
        memoryRequest: parseQuantity(c.resources?.requests?.memory),
      };
      containers.push(row);
      const missing = [row.cpuLimit === null && 'cpu', row.memoryLimit === null && 'memory'].filter(Boolean);
      if (missing.length) {
        findings.push({
          severity: 'warning',
          check: 'resources.no-limits',
          resource,
          message: `container ${c.name} has no ${missing.join(' or ')} limit`,
          remedy: `Set resources.limits.${missing.join(' and ')} on ${c.name} (the runbook's policy: limits 2 CPU / 4Gi) so one pod cannot starve its node.`,
        });
      }
      for (const [kind, used, limit, request, fmt] of [
        ['cpu', row.cpu, row.cpuLimit, row.cpuRequest, formatCpu],
        ['memory', row.memory, row.memoryLimit, row.memoryRequest, formatBytes],
      ] as const) {
        if (used === null) continue;
        if (limit) {
          const share = used / limit;
          if (kind === 'cpu') maxCpu = Math.max(maxCpu, share);
          else maxMemory = Math.max(maxMemory, share);
          const severity =
            share >= t.criticalPercent / 100 ? 'critical' : share >= t.warnPercent / 100 ? 'warning' : null;
          if (severity) {
            findings.push({
              severity,
              check: `resources.${kind}-limit`,
              resource,
              message: `${c.name} uses ${fmt(used)} of its ${fmt(limit)} ${kind} limit (${pct(share)})`,
              evidence: { used, limit, request, share },
              remedy:
                kind === 'memory'
                  ? `Near the memory limit the kernel OOM-kills ${c.name}: raise resources.limits.memory or find the leak (heap profile).`
                  : `At its CPU limit ${c.name} is throttled: raise resources.limits.cpu, or scale out (HPA) to spread the load.`,
            });
          }
        } else if (request && used > request * 1.5) {
          findings.push({
            severity: 'info',
            check: `resources.${kind}-over-request`,
            resource,
            message: `${c.name} uses ${fmt(used)} ${kind}, ${pct(used / request)} of its request, with no limit`,
            evidence: { used, request },
          });
        }
      }
    }
    for (const s of pod.status?.containerStatuses ?? []) {
      restarts += s.restartCount ?? 0;
      const waiting = s.state?.waiting?.reason;
      const terminated = s.lastState?.terminated?.reason;
      if (waiting === 'CrashLoopBackOff') {
        findings.push({
          severity: 'critical',
          check: 'pod.crashloop',
          resource,
          message: `container ${s.name} is in CrashLoopBackOff (${s.restartCount ?? 0} restarts${terminated ? `, last exit: ${terminated}` : ''})`,
          remedy: `kubectl logs ${name} -c ${s.name} --previous -n ${namespace} shows why it exits; roll back (rollout undo) if a new version brought it.`,
        });
      } else if (terminated === 'OOMKilled') {
        findings.push({
          severity: 'critical',
          check: 'pod.oomkilled',
          resource,
          message: `container ${s.name} was OOMKilled (${s.restartCount ?? 0} restarts)`,
          remedy: `Raise ${s.name}'s memory limit or fix its memory use; it will be killed again at the same limit.`,
        });
      } else if ((s.restartCount ?? 0) >= t.restartsWarn) {
        findings.push({
          severity: 'warning',
          check: 'pod.restarts',
          resource,
          message: `container ${s.name} restarted ${s.restartCount} times${terminated ? ` (last: ${terminated})` : ''}`,
          remedy: `kubectl describe pod ${name} -n ${namespace} and its previous logs say why.`,
        });
      }
    }
  }
  if (pods.length && withoutMetrics === containers.length && containers.length) {
    findings.push({
      severity: 'warning',
      check: 'resources.no-metrics',
      resource: `namespace/${namespace}`,
      message: 'no pod in the namespace has usage metrics',
      remedy: 'Install or fix metrics-server: kubectl top pods needs the same metrics.k8s.io API.',
    });
  }
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
