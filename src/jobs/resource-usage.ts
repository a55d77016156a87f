/**
 * resource-usage: the runbook's `kubectl top pods`, judged — pod usage from the
 * metrics.k8s.io API against each container's requests and limits (findings at 80 % and
 * 95 % of a limit), containers without limits, pods restarting (OOMKilled, CrashLoopBackOff),
 * and pods that do not run (Pending and why, images that will not pull, missing config,
 * Failed, Unknown) — counted apart from the pods measured.
 */
import { z } from 'zod';
import { parseQuantity } from '../analysis/quantity.js';
import { analyzeResources } from '../analysis/resources.js';
import { restartBaselineOf, type RestartBaseline } from '../analysis/restarts.js';
import { kubeCall, kubeFor } from '../integrations/kube.js';
import { serviceOf } from './service.js';
import { defineJob, statusOf, type Finding } from './types.js';

export const resourceUsageParams = z.strictObject({
  /** A service: its namespace, and its deployment's pods (label app=<deployment>) unless labelSelector says otherwise. */
  service: z.string().optional(),
  namespace: z.string().optional(),
  labelSelector: z.string().optional(),
  warnPercent: z.number().min(1).max(100).default(80),
  criticalPercent: z.number().min(1).max(100).default(95),
  /** A container restarted at least this often is a warning even without a known cause. */
  restartsWarn: z.number().int().min(1).default(3),
  /** The limits a container without them should get (Kubernetes quantities); without it the advice comes from measured usage. */
  limitPolicy: z.strictObject({ cpu: quantity('cpu').optional(), memory: quantity('memory').optional() }).optional(),
});

function quantity(field: string) {
  return z.string().refine((v) => (parseQuantity(v) ?? 0) > 0, {
    error: (issue) =>
      `limitPolicy.${field}: ${JSON.stringify(issue.input)} is not a Kubernetes quantity above zero (e.g. ${field === 'cpu' ? '500m or 2' : '512Mi or 4Gi'})`,
  });
}

export const resourceUsage = defineJob({
  type: 'resource-usage',
  summary: 'kubectl top pods, judged: usage against requests and limits, missing limits, restarts',
  params: resourceUsageParams,
  feeds: { signal: 'resources', performanceSection: 'resources', incidentEvidence: true },
  overridable: ['warnPercent', 'criticalPercent', 'restartsWarn', 'limitPolicy'],
  async run(ctx, params) {
    const kube = await kubeFor(ctx.config);
    const service = params.service === undefined ? undefined : serviceOf(ctx, params.service);
    const namespaces = params.namespace
      ? [params.namespace]
      : service?.namespace
        ? [service.namespace]
        : ctx.config.kubernetes!.namespaces;
    const labelSelector = params.labelSelector ?? (service?.deployment ? `app=${service.deployment}` : undefined);
    const previous = restartBaselineOf((await ctx.state.get('restarts'))?.value);
    const restartCounts: Record<string, number> = {};
    const findings: Finding[] = [];
    const notMeasured: Record<string, number> = {};
    const metrics: Record<string, number> = {
      pods: 0,
      notMeasured: 0,
      containers: 0,
      maxCpuOfLimit: 0,
      maxMemoryOfLimit: 0,
      restarts: 0,
    };
    for (const [i, namespace] of namespaces.entries()) {
      ctx.progress(i / namespaces.length, `namespace ${namespace}`);
      const { pods, usage } = await readNamespace(kube, namespace, labelSelector, findings);
      const result = analyzeResources(
        namespace,
        pods.items as never,
        usage.items as never,
        params,
        ctx.now(),
        previous,
      );
      findings.push(...result.findings);
      Object.assign(restartCounts, result.restartCounts);
      for (const [phase, n] of Object.entries(result.notMeasured)) notMeasured[phase] = (notMeasured[phase] ?? 0) + n;
      metrics.pods! += result.metrics.pods!;
      metrics.notMeasured! += result.metrics.notMeasured!;
      metrics.containers! += result.metrics.containers!;
      metrics.restarts! += result.metrics.restarts!;
      metrics.maxCpuOfLimit = Math.max(metrics.maxCpuOfLimit!, result.metrics.maxCpuOfLimit!);
      metrics.maxMemoryOfLimit = Math.max(metrics.maxMemoryOfLimit!, result.metrics.maxMemoryOfLimit!);
    }
    // The counts of the containers running now: a pod gone since is forgotten, so this stays as big as the fleet.
    await ctx.state.put('restarts', { at: ctx.now().toISOString(), restarts: restartCounts } satisfies RestartBaseline);
    const scope = `${namespaces.join(', ')}${labelSelector ? ` (${labelSelector})` : ''}`;
    return { status: statusOf(findings), summary: summaryOf(findings, metrics, notMeasured, scope), findings, metrics };
  },
});

/** A namespace's pods and their usage; without the metrics API, a finding saying so and no usage. */
async function readNamespace(
  kube: Awaited<ReturnType<typeof kubeFor>>,
  namespace: string,
  labelSelector: string | undefined,
  findings: Finding[],
) {
  const pods = await kubeCall(`list pods in ${namespace}`, () =>
    kube.core.listNamespacedPod({ namespace, labelSelector }),
  );
  const usage = await kubeCall(`pod metrics in ${namespace} (metrics.k8s.io)`, () =>
    kube.metrics.getPodMetrics(namespace),
  ).catch((error: Error) => {
    findings.push({
      severity: 'warning',
      check: 'resources.metrics-api',
      resource: `namespace/${namespace}`,
      message: error.message,
      remedy: 'Install or fix metrics-server: kubectl top pods needs the same metrics.k8s.io API.',
    });
    return { items: [] };
  });
  return { pods, usage };
}

/** The findings that matter first; otherwise what was measured. Either way, how many pods were measured and how many not. */
function summaryOf(
  findings: Finding[],
  metrics: Record<string, number>,
  notMeasured: Record<string, number>,
  scope: string,
): string {
  const counted = findings.filter((f) => f.severity !== 'info');
  const notRun = Object.entries(notMeasured)
    .map(([phase, n]) => `${n} ${phase}`)
    .join(', ');
  const judged = `${metrics.pods} pod${metrics.pods === 1 ? '' : 's'} measured${notRun ? `, ${metrics.notMeasured} not running (${notRun})` : ''}`;
  if (counted.length)
    return `${counted.length} finding${counted.length === 1 ? '' : 's'} in ${scope} (${judged}): ${counted
      .slice(0, 3)
      .map((f) => f.message)
      .join('; ')}`;
  return `${judged} in ${scope}: highest CPU ${Math.round(metrics.maxCpuOfLimit! * 100)} % and memory ${Math.round(metrics.maxMemoryOfLimit! * 100)} % of limits`;
}
