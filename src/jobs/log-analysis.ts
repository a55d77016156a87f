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
import { kubeCall, kubeFor, type Kube } from '../integrations/kube.js';
import { kubeTarget } from './service.js';
import { defineJob, statusOf, type Finding, type JobContext } from './types.js';

const DEFAULT_ERROR_PATTERN =
  '\\b(error|err|exception|fatal|fail(ed|ure)?|panic|critical|traceback|refused|timeout|denied)\\b';

/** Which pods to read, what counts as an error line, and how templates are mined and compared. */
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

/** One template as a run recorded it in its logs.templates finding; read back, it is parsed, not trusted. */
const seen = z.object({ template: z.string(), count: z.number(), example: z.string() });
type Seen = z.output<typeof seen>;

type LogAnalysisParams = z.output<typeof logAnalysisParams>;
type Pod = Awaited<ReturnType<Kube['core']['listNamespacedPod']>>['items'][number];

/** A service's error log lines as templates: the most frequent, the new ones and the ones that jumped since the last run. */
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
    const drain = new Drain({ similarity: params.similarity, depth: params.depth });
    const { lines, errors } = await mineErrors(ctx, kube, namespace, pods, params, drain);
    const current: Seen[] = drain.top(50).map((t) => ({ template: Drain.text(t), count: t.count, example: t.example }));
    const recorded = (await ctx.history.previousFindings())?.find((f) => f.check === 'logs.templates')?.evidence;
    // A history row from another version, or damaged, is no baseline: compare next time instead.
    const parsed = z.array(seen).safeParse(recorded);
    const previous = parsed.success ? parsed.data : null;
    const findings: Finding[] = [
      {
        severity: 'info',
        check: 'logs.templates',
        resource,
        message: `${errors} error lines of ${lines} in ${pods.length} pods: ${drain.templates.length} templates${current[0] ? `; most frequent (${current[0].count}×): ${current[0].template}` : ''}`,
        evidence: current,
      },
    ];
    if (previous) findings.push(...changeFindings(current, previous, params, resource));
    return {
      status: statusOf(findings),
      summary: `${resource}: ${errors} error lines of ${lines}, ${drain.templates.length} templates${previous ? `, ${findings.filter((f) => f.check === 'logs.new-template').length} new, ${findings.filter((f) => f.check === 'logs.template-spike').length} spiking` : ' (first run: the baseline)'}`,
      findings,
      metrics: { pods: pods.length, lines, errors, templates: drain.templates.length },
    };
  },
});

/** Reads the last `tail` lines of every container of `pods` and adds the error lines to `drain`. */
async function mineErrors(
  ctx: JobContext,
  kube: Kube,
  namespace: string,
  pods: readonly Pod[],
  params: LogAnalysisParams,
  drain: Drain,
): Promise<{ lines: number; errors: number }> {
  // The default pattern is opscron's own and safe for V8's faster engine; any other runs in linear time.
  const errorLine =
    params.errorPattern === DEFAULT_ERROR_PATTERN
      ? new RegExp(params.errorPattern, 'i')
      : linearPattern(params.errorPattern, { ignoreCase: true });
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
  return { lines, errors };
}

/** Against the previous run's templates: a template not seen then, or one whose count jumped (by spikeFactor and minSpike). */
function changeFindings(
  current: readonly Seen[],
  previous: readonly Seen[],
  params: LogAnalysisParams,
  resource: string,
): Finding[] {
  const before = new Map(previous.map((p) => [p.template, p.count]));
  const findings: Finding[] = [];
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
  return findings;
}
