/**
 * Conditions on a health answer's body, as Gatus writes them (`[BODY].queue.depth < 100`,
 * `len([BODY].items) > 0`, `[BODY].version == pat(2.*)`) but kept structured: a dot path
 * and the comparisons it must pass. Pure: the body as it arrived in, findings out. The body
 * is untrusted: a value of the wrong kind is a finding, never a crash, and patterns run in
 * linear time (RE2, the same engine as expectHeaders).
 */
import type { Finding } from '../model.js';
import { linearPattern } from './pattern.js';

/** Numeric comparisons a value (or a length) must pass; all that are given must hold. */
export interface Comparisons {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

/** A field of the JSON body (or `$`, the whole body as text) and what it must be. */
export interface JsonCondition extends Comparisons {
  /** Dot path into the JSON body: `status`, `checks.db.status`, `items.0.id`; `$` is the body text itself. */
  path: string;
  equals?: string | number | boolean | null;
  notEquals?: string | number | boolean | null;
  /** The length of the string or array there (of the body text for `$`): exact, or compared. */
  length?: number | (Comparisons & { equals?: number });
  /** RE2 syntax (linear time), validated with `linearRegex` before it gets here. */
  matches?: string;
}

/** The path that names the body text itself rather than a field of its JSON. */
export const WHOLE_BODY = '$';

/** The value at a dot path of a parsed JSON body; `found` tells a missing field from a null one. */
export function fieldAt(body: unknown, path: string): { found: boolean; value?: unknown } {
  let node = body;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, part)) return { found: false };
    node = (node as Record<string, unknown>)[part];
  }
  return { found: true, value: node };
}

const SYMBOL = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** The comparisons `value` fails, written as `> 5`, `<= 10`; empty when it passes them all. */
export function failedComparisons(value: number, limits: Comparisons & { equals?: number }): string[] {
  const failed: string[] = [];
  if (limits.equals !== undefined && value !== limits.equals) failed.push(`== ${limits.equals}`);
  if (limits.gt !== undefined && !(value > limits.gt)) failed.push(`> ${limits.gt}`);
  if (limits.gte !== undefined && !(value >= limits.gte)) failed.push(`>= ${limits.gte}`);
  if (limits.lt !== undefined && !(value < limits.lt)) failed.push(`< ${limits.lt}`);
  if (limits.lte !== undefined && !(value <= limits.lte)) failed.push(`<= ${limits.lte}`);
  return failed;
}

const hasComparison = (c: Comparisons) => Object.keys(SYMBOL).some((k) => c[k as keyof Comparisons] !== undefined);

/** A number, or a string holding one in plain decimal (a JSON field often carries "42"); else null. */
function numberOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(value)) return Number(value);
  return null;
}

/** How a value reads in a message: JSON, cut to 100 characters (the body is untrusted and may be huge). */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}

/** The text a pattern is matched against: strings as they are, other values as JSON. */
const textOf = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));

/** Everything `value` fails of `condition`, in words (empty: it passes). */
export function conditionProblems(value: unknown, condition: JsonCondition): string[] {
  const problems: string[] = [];
  const name = condition.path === WHOLE_BODY ? 'the body' : condition.path;
  if (condition.equals !== undefined && value !== condition.equals)
    problems.push(`${name} is ${shown(value)}, expected ${JSON.stringify(condition.equals)}`);
  if (condition.notEquals !== undefined && value === condition.notEquals)
    problems.push(`${name} is ${shown(value)}, expected anything else`);
  if (hasComparison(condition)) {
    const n = numberOf(value);
    const failed = n === null ? [] : failedComparisons(n, { ...condition, equals: undefined });
    if (n === null) problems.push(`${name} is ${shown(value)}, not a number`);
    else if (failed.length) problems.push(`${name} is ${n}, expected ${failed.join(' and ')}`);
  }
  if (condition.length !== undefined) {
    const limits = typeof condition.length === 'number' ? { equals: condition.length } : condition.length;
    const length = typeof value === 'string' || Array.isArray(value) ? value.length : null;
    const failed = length === null ? [] : failedComparisons(length, limits);
    if (length === null) problems.push(`${name} is ${shown(value)}, which has no length (not a string or list)`);
    else if (failed.length) problems.push(`${name} has length ${length}, expected ${failed.join(' and ')}`);
  }
  if (condition.matches !== undefined && !linearPattern(condition.matches).test(textOf(value)))
    problems.push(`${name} is ${shown(value)}, expected to match /${condition.matches}/`);
  return problems;
}

/** The body's conditions: JSON needed but not there is one finding; else one per condition missed or failed. */
export function bodyFindings(body: string, conditions: readonly JsonCondition[], resource: string): Finding[] {
  if (!conditions.length) return [];
  let parsed: unknown;
  const needsJson = conditions.some((c) => c.path !== WHOLE_BODY);
  try {
    parsed = needsJson ? JSON.parse(body) : undefined;
  } catch {
    return [
      {
        severity: 'critical',
        check: 'http.body-json',
        resource,
        message: 'body is not JSON',
        evidence: { body: body.slice(0, 200) },
        remedy:
          'Something other than the service answered (an error page, a proxy): check the route and the health path.',
      },
    ];
  }
  return conditions.flatMap((condition) => fieldFindings(body, parsed, condition, resource));
}

/** One condition on the body: the field is missing, or fails what the condition asks. */
function fieldFindings(text: string, body: unknown, condition: JsonCondition, resource: string): Finding[] {
  const field = condition.path === WHOLE_BODY ? { found: true, value: text } : fieldAt(body, condition.path);
  const finding = { severity: 'critical', check: 'http.body-field', resource } as const;
  if (!field.found)
    return [
      {
        ...finding,
        message: `body has no field ${condition.path}`,
        remedy: `The health answer changed shape: check the deployed version, or update the json condition on ${condition.path}.`,
      },
    ];
  return conditionProblems(field.value, condition).map((message) => ({
    ...finding,
    message,
    remedy:
      condition.path === WHOLE_BODY
        ? 'The service answered with another body than expected: check what answered (version, proxy) and what it reports.'
        : `The service reports ${condition.path} = ${shown(field.value)}: the part it names is degraded; check it (and its dependency probes) first.`,
  }));
}
