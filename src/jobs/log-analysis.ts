/**
 * log-analysis: the runbook's "collect logs, analyse error patterns" — the logs of each
 * container of a service's pods (and of its previous instance when it restarted: the lines
 * before a crash), over a window (`since`, or since the previous run, capped; and at most
 * `tail` lines), error lines mined into templates with Drain. Templates are kept between
 * runs with stable ids (ctx.state), so a template is "new" only when it was never seen,
 * and a spike is judged against the previous run's window.
 */
import { z } from 'zod';
import { Drain } from '../analysis/drain.js';
import { compileMasks, logMask } from '../analysis/log-masks.js';
import {
  changeFindings,
  keepTemplates,
  logWindow,
  readKept,
  type LogWindowSpan,
  type SeenTemplate,
} from '../analysis/log-templates.js';
import { linearPattern, linearRegex } from '../analysis/pattern.js';
import { duration } from '../config/schema.js';
import { InvalidRunError } from '../errors.js';
import { kubeCall, kubeFor, type Kube } from '../integrations/kube.js';
import { podLogs } from '../integrations/pod-logs.js';
import { kubeTarget } from './service.js';
import { defineJob, statusOf, type Finding, type JobContext } from './types.js';

const DEFAULT_ERROR_PATTERN =
  '\\b(error|err|exception|fatal|fail(ed|ure)?|panic|critical|traceback|refused|timeout|denied)\\b';

/** Without `since`, a run reads back to the previous run, but never more than this. */
const MAX_WINDOW_MS = 24 * 3_600_000;
/** Lines longer than this are mined by their start: a template is a line's shape, not its payload. */
const MAX_LINE = 2000;
/** Bytes read from each container's log at most (kubectl logs --limit-bytes). */
const LIMIT_BYTES = 16 * 2 ** 20;

/** Which pods to read, over which window, what counts as an error line, and how templates are mined and compared. */
export const logAnalysisParams = z.strictObject({
  service: z.string().optional(),
  namespace: z.string().optional(),
  labelSelector: z.string().optional(),
  tail: z.number().int().min(1).max(100_000).default(1000),
  /** Only lines from this long ago (e.g. 1h); default: since the previous run, at most 24 h. */
  since: duration.refine((ms) => ms >= 1000 && ms <= 7 * 86_400_000, { error: 'must be from 1s to 7d' }).optional(),
  /** Lines that count as errors (case-insensitive; RE2 syntax, which runs in linear time). */
  errorPattern: linearRegex.default(DEFAULT_ERROR_PATTERN),
  /** Extra masks before mining, e.g. {pattern: 'user=\\S+', name: USER} → user=<USER>; configuration only. */
  masks: z.array(logMask).max(20).default([]),
  similarity: z.number().min(0).max(1).default(0.4),
  depth: z.number().int().min(3).max(10).default(4),
  /** How many templates, most frequent first, the logs.templates finding lists (all are judged and kept). */
  top: z.number().int().min(1).max(100).default(10),
  /** A template whose count grew this many times (and by at least minSpike) since the last run is a warning. */
  spikeFactor: z.number().min(1).default(3),
  minSpike: z.number().int().min(1).default(10),
});

type LogAnalysisParams = z.output<typeof logAnalysisParams>;
type Pod = Awaited<ReturnType<Kube['core']['listNamespacedPod']>>['items'][number];

/** Which pods a run reads (a service's deployment, or namespace and selector), what findings name, and the state's scope. */
function podsOf(ctx: JobContext, params: LogAnalysisParams) {
  const { namespace, service } = kubeTarget(ctx, params);
  const labelSelector = params.labelSelector ?? (service?.deployment ? `app=${service.deployment}` : undefined);
  if (!labelSelector && !params.namespace)
    throw new InvalidRunError(
      'name the pods: params.service (with services[].deployment), or namespace and labelSelector',
    );
  const resource = service ? `service/${service.name}` : `namespace/${namespace}`;
  return { namespace, labelSelector, resource, scope: `${namespace}/${labelSelector ?? '*'}` };
}

/** A service's error log lines as templates: the most frequent, the never-seen ones and the ones that jumped since the last run. */
export const logAnalysis = defineJob({
  type: 'log-analysis',
  summary:
    'Read the logs of a service (and its crashed containers), mine error templates (Drain), report new ones and spikes',
  params: logAnalysisParams,
  feeds: { logTimeline: true, errorLogs: 'errors' },
  overridable: ['tail', 'since', 'errorPattern', 'similarity', 'depth', 'top', 'spikeFactor', 'minSpike'],
  async run(ctx, params) {
    const kube = await kubeFor(ctx.config);
    const { namespace, labelSelector, resource, scope } = podsOf(ctx, params);
    const settings = JSON.stringify({ depth: params.depth, masks: params.masks });
    const startedAt = ctx.now();
    const stored = await ctx.state.get(scope);
    const { kept, baseline } = readKept(stored?.value, settings);
    const window = logWindow({
      sinceMs: params.since,
      previousAt: kept ? (kept.readFrom ? new Date(kept.readFrom) : stored!.at) : null,
      now: startedAt,
      tail: params.tail,
      capMs: MAX_WINDOW_MS,
    });
    const pods = (
      await kubeCall(`list pods in ${namespace}`, () => kube.core.listNamespacedPod({ namespace, labelSelector }))
    ).items.filter((p) => p.status?.phase !== 'Succeeded');
    const drain = new Drain({ similarity: params.similarity, depth: params.depth, masks: compileMasks(params.masks) });
    for (const t of kept?.templates ?? []) drain.restore(t);
    const mined = await mineErrors(ctx, kube, namespace, pods, params, window, drain);
    const seen: SeenTemplate[] = drain.top(Infinity).map((t) => ({
      id: t.id,
      template: Drain.text(t),
      count: t.count,
      fromPrevious: mined.fromPrevious.get(t.id) ?? 0,
      example: t.example,
    }));
    await ctx.state.put(
      scope,
      keepTemplates(drain.templates, kept, {
        at: ctx.now().toISOString(),
        readFrom: startedAt.toISOString(),
        settings,
        windowSeconds: window.seconds,
      }),
    );
    const templates = seen.length;
    const findings: Finding[] = [
      templatesFinding(resource, seen.slice(0, params.top), mined, pods.length, templates, window),
    ];
    if (kept) findings.push(...changeFindings(seen, kept, window, params, resource));
    const keptIds = new Set(kept?.templates.map((t) => t.id));
    const fresh = seen.filter((t) => !keptIds.has(t.id)).length;
    const spiking = findings.filter((f) => f.check === 'logs.template-spike').length;
    return {
      status: statusOf(findings),
      summary: `${resource}: ${mined.errors} error lines of ${mined.lines} ${window.text}, ${templates} templates${kept ? `, ${fresh} new, ${spiking} spiking` : ` (${baseline})`}`,
      findings,
      metrics: {
        pods: pods.length,
        lines: mined.lines,
        errors: mined.errors,
        templates,
        previousLines: mined.previousLines,
      },
    };
  },
});

interface Mined {
  lines: number;
  errors: number;
  /** Lines read from previous container instances (crashed or restarted). */
  previousLines: number;
  /** Template id → its lines from previous instances. */
  fromPrevious: Map<number, number>;
}

function templatesFinding(
  resource: string,
  seen: SeenTemplate[],
  mined: Mined,
  pods: number,
  templates: number,
  window: LogWindowSpan,
): Finding {
  const previous = mined.previousLines
    ? ` (${mined.previousLines} from previous, crashed or restarted, containers)`
    : '';
  return {
    severity: 'info',
    check: 'logs.templates',
    resource,
    message: `${mined.errors} error lines of ${mined.lines}${previous} in ${pods} pods ${window.text}: ${templates} templates${seen[0] ? `; most frequent (${seen[0].count}×): ${seen[0].template}` : ''}`,
    evidence: seen,
  };
}

/** Reads every container's logs (and its previous instance's) over the window and adds the error lines to `drain`. */
async function mineErrors(
  ctx: JobContext,
  kube: Kube,
  namespace: string,
  pods: readonly Pod[],
  params: LogAnalysisParams,
  window: LogWindowSpan,
  drain: Drain,
): Promise<Mined> {
  // The default pattern is opscron's own and safe for V8's faster engine; any other runs in linear time.
  const errorLine =
    params.errorPattern === DEFAULT_ERROR_PATTERN
      ? new RegExp(params.errorPattern, 'i')
      : linearPattern(params.errorPattern, { ignoreCase: true });
  const mined: Mined = { lines: 0, errors: 0, previousLines: 0, fromPrevious: new Map() };
  for (const [i, pod] of pods.entries()) {
    ctx.progress(i / Math.max(1, pods.length), `${pod.metadata?.name}`);
    const logs = await podLogs(kube, namespace, pod, {
      tailLines: params.tail,
      sinceSeconds: window.sinceSeconds,
      limitBytes: LIMIT_BYTES,
    });
    for (const log of logs) {
      for (const raw of log.text.split('\n')) {
        if (!raw) continue;
        const line = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw;
        mined.lines++;
        if (log.previous) mined.previousLines++;
        if (!errorLine.test(line)) continue;
        mined.errors++;
        const t = drain.add(line);
        if (t && log.previous) mined.fromPrevious.set(t.id, (mined.fromPrevious.get(t.id) ?? 0) + 1);
      }
    }
  }
  return mined;
}
