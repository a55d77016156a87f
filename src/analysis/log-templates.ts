/**
 * Log templates across runs (Drain3's persisted state): what a run of log-analysis keeps —
 * its templates with their stable ids, counts and when each was first and last seen — and
 * how the next run judges against it. A template is "new" only if its id was never kept;
 * one that merely dropped out of the most frequent is not. A spike compares this window's
 * count with what is usual: the previous run's, scaled by the two windows' lengths when both
 * are known, or — when higher — the template's peak rate over the past week (PEAK_MS), so an
 * error a nightly batch logs every night is not a spike each night the run before saw none.
 * Pure: what is kept is read back untrusted (parsed, not assumed).
 */
import { z } from 'zod';
import type { Finding } from '../model.js';
import type { Template } from './drain.js';
import { span } from './format.js';

/** At most this many templates are kept: the most recently seen, then the most frequent. */
export const MAX_KEPT_TEMPLATES = 1000;
/** And at most this much JSON, under the store's 1 MiB per job and scope. */
const KEPT_BUDGET_BYTES = 900 * 1024;
/** A template's peak rate counts as usual for this long after the window it was seen in. */
export const PEAK_MS = 7 * 86_400_000;

const keptTemplate = z.object({
  id: z.number().int().positive(),
  tokens: z.array(z.string()),
  route: z.array(z.string()).min(1).max(12),
  example: z.string(),
  total: z.number().nonnegative(),
  last: z.number().nonnegative(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  /** Its highest rate (lines per hour) in one run's window within PEAK_MS, and when. */
  peak: z.object({ perHour: z.number().nonnegative(), at: z.string() }).optional(),
});
const keptState = z.object({
  version: z.literal(1),
  /** Depth and masks the templates were mined with: with others, the tree and the tokens differ. */
  settings: z.string(),
  windowSeconds: z.number().nonnegative().nullable(),
  /**
   * When that run started reading (ISO 8601): the next window starts here, not when the
   * state was written after every pod was read — lines logged in between are read next time.
   */
  readFrom: z.iso.datetime().optional(),
  templates: z.array(keptTemplate).max(MAX_KEPT_TEMPLATES),
});
export type KeptLogState = z.output<typeof keptState>;

/** The kept state if it can be used, or why this run is a baseline instead. */
export function readKept(
  value: unknown,
  settings: string,
): { kept: KeptLogState; baseline: null } | { kept: null; baseline: string } {
  if (value === null || value === undefined) return { kept: null, baseline: 'first run: the baseline' };
  const parsed = keptState.safeParse(value);
  if (!parsed.success) return { kept: null, baseline: 'the kept templates were unreadable: a new baseline' };
  if (parsed.data.settings !== settings)
    return { kept: null, baseline: 'depth or masks changed since the previous run: a new baseline' };
  return { kept: parsed.data, baseline: null };
}

/** The window this run reads, and how findings name it. */
export interface LogWindowSpan {
  /** For the API's sinceSeconds; undefined: only `tail` bounds it. */
  sinceSeconds?: number;
  seconds: number | null;
  text: string;
}

/** `since` if given; else since the previous run, at most `capMs`; else (first run) the last `tail` lines. */
export function logWindow(o: {
  sinceMs?: number;
  previousAt: Date | null;
  now: Date;
  tail: number;
  capMs: number;
}): LogWindowSpan {
  const bounded = (seconds: number, text: string): LogWindowSpan => ({
    sinceSeconds: Math.max(1, Math.ceil(seconds)),
    seconds,
    text,
  });
  if (o.sinceMs !== undefined) return bounded(o.sinceMs / 1000, `in the last ${span(o.sinceMs / 1000)}`);
  if (o.previousAt) {
    const elapsed = Math.max(0, (o.now.getTime() - o.previousAt.getTime()) / 1000);
    if (elapsed * 1000 > o.capMs)
      return bounded(
        o.capMs / 1000,
        `in the last ${span(o.capMs / 1000)} (the most read at once; the previous run was ${span(elapsed)} ago)`,
      );
    return bounded(elapsed, `since the previous run ${span(elapsed)} ago`);
  }
  return { seconds: null, text: `in the last ${o.tail} lines of each container` };
}

/** What to keep for the next run: every template the Drain holds, with its history, bounded in number and bytes. */
export function keepTemplates(
  templates: readonly Template[],
  kept: KeptLogState | null,
  o: { at: string; readFrom: string; settings: string; windowSeconds: number | null },
): KeptLogState {
  const before = new Map((kept?.templates ?? []).map((t) => [t.id, t]));
  const all = templates.map((t) => {
    const was = before.get(t.id);
    const peak = peakOf(was?.peak, o.windowSeconds ? { perHour: (t.count / o.windowSeconds) * 3600, at: o.at } : null);
    return {
      ...(peak && { peak }),
      id: t.id,
      tokens: t.tokens,
      route: t.route,
      example: t.example,
      total: (was?.total ?? 0) + t.count,
      last: t.count,
      firstSeen: was?.firstSeen ?? o.at,
      lastSeen: t.count > 0 ? o.at : (was?.lastSeen ?? o.at),
    };
  });
  all.sort((a, b) => b.lastSeen.localeCompare(a.lastSeen) || b.total - a.total || a.id - b.id);
  const chosen: typeof all = [];
  let bytes = 200;
  for (const t of all) {
    if (chosen.length >= MAX_KEPT_TEMPLATES) break;
    const size = Buffer.byteLength(JSON.stringify(t)) + 1;
    if (bytes + size > KEPT_BUDGET_BYTES) break;
    bytes += size;
    chosen.push(t);
  }
  chosen.sort((a, b) => a.id - b.id); // restored in id order, so ties in counts keep their order
  return { version: 1, settings: o.settings, windowSeconds: o.windowSeconds, readFrom: o.readFrom, templates: chosen };
}

/** The higher of the kept peak (if within PEAK_MS of this run) and this window's rate. */
function peakOf(
  kept: { perHour: number; at: string } | undefined,
  now: { perHour: number; at: string } | null,
): { perHour: number; at: string } | undefined {
  const recent = kept && (!now || Date.parse(now.at) - Date.parse(kept.at) <= PEAK_MS) ? kept : undefined;
  if (!now || now.perHour === 0) return recent;
  return recent && recent.perHour >= now.perHour
    ? recent
    : { perHour: Math.round(now.perHour * 1000) / 1000, at: now.at };
}

/** A template as a run reports it. */
export interface SeenTemplate {
  id: number;
  template: string;
  count: number;
  /** Lines of it read from previous (crashed) container instances. */
  fromPrevious: number;
  example: string;
}

export interface ChangeRules {
  spikeFactor: number;
  minSpike: number;
}

/** New templates each get a finding up to this many; the rest are counted in one. */
const MAX_NEW_FINDINGS = 20;

/** What a kept template's count is expected to be over `window`, and how the finding says so. */
function usualCount(
  was: KeptLogState['templates'][number],
  scale: number,
  window: LogWindowSpan,
): { expected: number; against: string } {
  const previous = was.last * scale;
  const usual = was.peak && window.seconds !== null ? (was.peak.perHour * window.seconds) / 3600 : 0;
  const round = (n: number) => Math.round(n * 10) / 10;
  if (usual > previous)
    return {
      expected: usual,
      against: `was ${was.last}× in the previous run; up to ${round(usual)}× for a window this long in the past week`,
    };
  return {
    expected: previous,
    against: `was ${was.last}× in the previous run${scale !== 1 ? `, ${round(previous)}× for a window this long` : ''}`,
  };
}

/** New templates (never kept before) and spikes against the previous run, over the windows named; `seen` by count, highest first. */
export function changeFindings(
  seen: readonly SeenTemplate[],
  kept: KeptLogState,
  window: LogWindowSpan,
  rules: ChangeRules,
  resource: string,
): Finding[] {
  const before = new Map(kept.templates.map((t) => [t.id, t]));
  const scale = window.seconds !== null && kept.windowSeconds ? window.seconds / kept.windowSeconds : 1;
  const crashed = (t: SeenTemplate) =>
    t.fromPrevious ? `, ${t.fromPrevious} from a crashed container's previous logs` : '';
  const findings: Finding[] = [];
  let named = 0;
  let unnamed = 0;
  for (const t of seen) {
    const was = before.get(t.id);
    if (!was) {
      if (named++ >= MAX_NEW_FINDINGS) {
        unnamed++;
        continue;
      }
      findings.push({
        severity: 'warning',
        check: 'logs.new-template',
        resource,
        message: `new error (${t.count}× ${window.text}${crashed(t)}): ${t.template}`,
        evidence: t,
        remedy: `Never seen before: look at the first occurrence (example: ${t.example.slice(0, 200)}) and what changed then (a deploy, a dependency).`,
      });
      continue;
    }
    const { expected, against } = usualCount(was, scale, window);
    if (t.count >= expected * rules.spikeFactor && t.count - expected >= rules.minSpike)
      findings.push({
        severity: 'warning',
        check: 'logs.template-spike',
        resource,
        message: `${t.count}× ${window.text}${crashed(t)} (${against}): ${t.template}`,
        evidence: { ...t, previous: was.last, expected, firstSeen: was.firstSeen, peak: was.peak ?? null },
        remedy:
          'An error that grew this fast usually has one cause: check the newest deploy and the dependencies this error names.',
      });
  }
  if (unnamed)
    findings.push({
      severity: 'warning',
      check: 'logs.new-template',
      resource,
      message: `and ${unnamed} more new error templates ${window.text}, each rarer than the ${MAX_NEW_FINDINGS} named`,
      evidence: { more: unnamed },
      remedy:
        'So many new shapes at once usually means a new version or a new failure mode: look at the newest deploy.',
    });
  return findings;
}
