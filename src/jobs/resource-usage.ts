/**
 * resource-usage: the runbook's `kubectl top pods`, judged — pod usage from the
 * metrics.k8s.io API against each container's requests and limits (findings at 80 % and
 * 95 % of a limit), containers without limits, pods restarting (OOMKilled, CrashLoopBackOff).
 */
import { z } from 'zod';
import { analyzeResources } from '../analysis/resources.js';
import { runbookPolicy } from '../analysis/audit.js';
import { kubeCall, kubeFor } from '../integrations/kube.js';
import { quantity } from './audit-review.js';
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
  /** What the remedy for a missing limit recommends: the policy audit-review checks (the runbook's 2 CPU / 4Gi by default). */
  limits: z.strictObject({ cpu: quantity, memory: quantity }).default(runbookPolicy.limits),
});

export const resourceUsage = defineJob({
  type: 'resource-usage',
  summary: 'kubectl top pods, judged: usage against requests and limits, missing limits, restarts',
  params: resourceUsageParams,
  feeds: { signal: 'resources', performanceSection: 'resources', incidentEvidence: true },
  overridable: ['warnPercent', 'criticalPercent', 'restartsWarn', 'limits'],
  async run(ctx, params) {
    const kube = await kubeFor(ctx.config);
    const service = params.service === undefined ? undefined : serviceOf(ctx, params.service);
    const namespaces = params.namespace
      ? [params.namespace]
      : service?.namespace
        ? [service.namespace]
        : ctx.config.kubernetes!.namespaces;
    const labelSelector = params.labelSelector ?? (service?.deployment ? `app=${service.deployment}` : undefined);
    const findings: Finding[] = [];
    const metrics: Record<string, number> = {
      pods: 0,
      containers: 0,
      maxCpuOfLimit: 0,
      maxMemoryOfLimit: 0,
      restarts: 0,
    };
    for (const [i, namespace] of namespaces.entries()) {
      ctx.progress(i / namespaces.length, `namespace ${namespace}`);
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
      const result = analyzeResources(namespace, pods.items as never, usage.items as never, params);
      findings.push(...result.findings);
      metrics.pods! += result.metrics.pods!;
      metrics.containers! += result.metrics.containers!;
      metrics.restarts! += result.metrics.restarts!;
      metrics.maxCpuOfLimit = Math.max(metrics.maxCpuOfLimit!, result.metrics.maxCpuOfLimit!);
      metrics.maxMemoryOfLimit = Math.max(metrics.maxMemoryOfLimit!, result.metrics.maxMemoryOfLimit!);
    }
    const status = statusOf(findings);
    const scope = `${namespaces.join(', ')}${labelSelector ? ` (${labelSelector})` : ''}`;
    const counted = findings.filter((f) => f.severity !== 'info').length;
    const summary = counted
      ? `${counted} finding${counted === 1 ? '' : 's'} in ${scope}: ${findings
          .filter((f) => f.severity !== 'info')
          .slice(0, 3)
          .map((f) => f.message)
          .join('; ')}`
      : `${metrics.pods} pods in ${scope}: highest CPU ${Math.round(metrics.maxCpuOfLimit! * 100)} % and memory ${Math.round(metrics.maxMemoryOfLimit! * 100)} % of limits`;
    return { status, summary, findings, metrics };
  },
});
