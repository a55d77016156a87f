/**
 * log-analysis: the runbook's "collect logs, analyse error patterns" — the last `tail`
 * lines (the runbook's --tail=1000) of each container of a service's pods, error lines
 * mined into templates with Drain, reported as the top templates with counts and an
 * example, the templates new since the previous run, and the ones whose count jumped.
 */
import { z } from 'zod';
import { Drain } from '../analysis/drain.js';
import { linearPattern, linearRegex } from '../analysis/pattern.js';
import { InvalidRunError } from '../errors.js';
import { kubeCall, kubeFor } from '../integrations/kube.js';
import { kubeTarget } from './service.js';
import { defineJob, statusOf, type Finding } from './types.js';

const DEFAULT_ERROR_PATTERN =
  '\\b(error|err|exception|fatal|fail(ed|ure)?|panic|critical|traceback|refused|timeout|denied)\\b';

export const logAnalysisParams = z.strictObject({
  service: z.string().optional(),
  namespace: z.string().optional(),
  labelSelector: z.string().optional(),
  tail: z.number().int().min(1).max(100_000).default(1000),
  /** Lines that count as errors (case-insensitive; RE2 syntax, which runs in linear time). */
  errorPattern: linearRegex.default(DEFAULT_ERROR_PATTERN),
  similarity: z.number().min(0).max(1).default(0.4),
  depth: z.number().int().min(3).max(10).default(4),
  top: z.number().int().min(1).max(100).default(10),
  /** A template whose count grew this many times (and by at least minSpike) since the last run is a warning. */
  spikeFactor: z.number().min(1).default(3),
  minSpike: z.number().int().min(1).default(10),
});

interface Seen {
  template: string;
  count: number;
  example: string;
}

export const logAnalysis = defineJob({
  type: 'log-analysis',
  summary: 'Tail the pods of a service, mine error templates (Drain), report new ones and spikes',
  params: logAnalysisParams,
  feeds: { logTimeline: true, errorLogs: 'errors' },
  overridable: ['tail', 'errorPattern', 'similarity', 'depth', 'top', 'spikeFactor', 'minSpike'],
  async run(ctx, params) {
    const kube = await kubeFor(ctx.config);
    const { namespace, service } = kubeTarget(ctx, params);
    const labelSelector = params.labelSelector ?? (service?.deployment ? `app=${service.deployment}` : undefined);
    if (!labelSelector && !params.namespace)
      throw new InvalidRunError(
        'name the pods: params.service (with services[].deployment), or namespace and labelSelector',
      );
    const resource = service ? `service/${service.name}` : `namespace/${namespace}`;
    const pods = (
      await kubeCall(`list pods in ${namespace}`, () => kube.core.listNamespacedPod({ namespace, labelSelector }))
    ).items.filter((p) => p.status?.phase !== 'Succeeded');
    // The default pattern is opscron's own and safe for V8's faster engine; any other runs in linear time.
    const errorLine =
      params.errorPattern === DEFAULT_ERROR_PATTERN
        ? new RegExp(params.errorPattern, 'i')
        : linearPattern(params.errorPattern, { ignoreCase: true });
    const drain = new Drain({ similarity: params.similarity, depth: params.depth });
    let lines = 0;
    let errors = 0;
    for (const [i, pod] of pods.entries()) {
      for (const container of pod.spec?.containers ?? []) {
        ctx.progress(i / Math.max(1, pods.length), `${pod.metadata?.name}/${container.name}`);
        const text = await kubeCall(`logs of ${pod.metadata?.name}/${container.name}`, () =>
          kube.core.readNamespacedPodLog({
            name: pod.metadata!.name!,
            namespace,
            container: container.name,
            tailLines: params.tail,
          }),
        );
        for (const line of String(text).split('\n')) {
          if (!line) continue;
          lines++;
          if (!errorLine.test(line)) continue;
          errors++;
          drain.add(line);
        }
      }
    }
    const current: Seen[] = drain.top(50).map((t) => ({ template: Drain.text(t), count: t.count, example: t.example }));
    const previous =
      ((await ctx.history.previousFindings())?.find((f) => f.check === 'logs.templates')?.evidence as
        Seen[] | undefined) ?? null;
    const findings: Finding[] = [
      {
        severity: 'info',
        check: 'logs.templates',
        resource,
        message: `${errors} error lines of ${lines} in ${pods.length} pods: ${drain.templates.length} templates${current[0] ? `; most frequent (${current[0].count}×): ${current[0].template}` : ''}`,
        evidence: current,
      },
    ];
    if (previous) {
      const before = new Map(previous.map((p) => [p.template, p.count]));
      for (const t of current) {
        const was = before.get(t.template);
        if (was === undefined) {
          findings.push({
            severity: 'warning',
            check: 'logs.new-template',
            resource,
            message: `new error (${t.count}×): ${t.template}`,
            evidence: t,
            remedy: `New since the last run: look at the first occurrence (example: ${t.example.slice(0, 200)}) and what changed then (a deploy, a dependency).`,
          });
        } else if (t.count >= was * params.spikeFactor && t.count - was >= params.minSpike) {
          findings.push({
            severity: 'warning',
            check: 'logs.template-spike',
            resource,
            message: `${t.count}× (was ${was}×): ${t.template}`,
            evidence: { ...t, previous: was },
            remedy:
              'An error that grew this fast usually has one cause: check the newest deploy and the dependencies this error names.',
          });
        }
      }
    }
    return {
      status: statusOf(findings),
      summary: `${resource}: ${errors} error lines of ${lines}, ${drain.templates.length} templates${previous ? `, ${findings.filter((f) => f.check === 'logs.new-template').length} new, ${findings.filter((f) => f.check === 'logs.template-spike').length} spiking` : ' (first run: the baseline)'}`,
      findings,
      metrics: { pods: pods.length, lines, errors, templates: drain.templates.length },
    };
  },
});
