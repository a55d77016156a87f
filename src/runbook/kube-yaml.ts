/**
 * The runbook's Kubernetes YAML (pure): Deployment resources → the audit-review policy; HPA,
 * ServiceMonitor and PrometheusRule settings → chart values to carry over. Bounded: at most
 * 50 documents a block, no alias expansion beyond 10.
 */
import { parseAllDocuments } from 'yaml';

const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;

/** Adds a values line unless one for the same key is there: the runbook's first says it. */
function chartValue(facts: KubeFacts, line: string): void {
  const key = line.slice(0, line.indexOf(':'));
  if (!facts.chartValues.some((v) => v.startsWith(`${key}:`))) facts.chartValues.push(line);
}

export interface KubeFacts {
  policy?: { requests: { cpu: string; memory: string }; limits: { cpu: string; memory: string } };
  /** values.yaml lines for charts/opscron, each with where it came from. */
  chartValues: string[];
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const at = (v: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((node, key) => (typeof key === 'number' ? arr(node)[key] : obj(node)?.[key]), v);

/** A YAML block larger than this, or nested deeper, is not read (the parser slows down on them). */
export const MAX_YAML_BLOCK = 64 * 1024;
const MAX_FLOW_DEPTH = 64;

/** The deepest `[`/`{` nesting in the text, counted without regard to quotes (an upper bound). */
function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  for (const ch of text) {
    if (ch === '[' || ch === '{') max = Math.max(max, ++depth);
    else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return max;
}

/** What the YAML blocks say; later blocks add to earlier ones. A block beyond the limits is skipped. */
export function readKubeYaml(text: string, facts: KubeFacts): void {
  if (text.length > MAX_YAML_BLOCK || flowDepth(text) > MAX_FLOW_DEPTH) return;
  let docs;
  try {
    docs = parseAllDocuments(text, { uniqueKeys: false });
  } catch {
    return;
  }
  if (!Array.isArray(docs)) return;
  for (const doc of docs.slice(0, 50)) {
    if (doc.errors.length) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 10 });
    } catch {
      continue;
    }
    readObject(value, facts);
  }
}

function readObject(value: unknown, facts: KubeFacts): void {
  switch (at(value, 'kind')) {
    case 'Deployment':
    case 'StatefulSet': {
      const resources = at(value, 'spec', 'template', 'spec', 'containers', 0, 'resources');
      const q = (k: string, r: string) => String(at(resources, k, r) ?? '');
      const all = [q('requests', 'cpu'), q('requests', 'memory'), q('limits', 'cpu'), q('limits', 'memory')];
      if (!facts.policy && all.every((v) => QUANTITY.test(v)))
        facts.policy = { requests: { cpu: all[0]!, memory: all[1]! }, limits: { cpu: all[2]!, memory: all[3]! } };
      return;
    }
    case 'HorizontalPodAutoscaler': {
      const min = at(value, 'spec', 'minReplicas');
      const max = at(value, 'spec', 'maxReplicas');
      const cpu =
        at(value, 'spec', 'targetCPUUtilizationPercentage') ??
        arr(at(value, 'spec', 'metrics'))
          .map((m) => at(m, 'resource', 'target', 'averageUtilization'))
          .find((v) => typeof v === 'number');
      if ([min, max, cpu].every((v) => typeof v === 'number'))
        chartValue(
          facts,
          `worker.autoscaling: { enabled: true, minReplicas: ${String(min)}, maxReplicas: ${String(max)}, targetCPUUtilizationPercentage: ${String(cpu)} }`,
        );
      return;
    }
    case 'ServiceMonitor': {
      const interval = at(value, 'spec', 'endpoints', 0, 'interval');
      if (typeof interval === 'string' && /^\d{1,4}[smh]$/.test(interval))
        chartValue(facts, `serviceMonitor.interval: ${interval}`);
      return;
    }
    case 'PrometheusRule':
      for (const group of arr(at(value, 'spec', 'groups')).slice(0, 50))
        for (const rule of arr(at(group, 'rules')).slice(0, 200)) errorRateRule(rule, facts);
      return;
  }
}

function errorRateRule(rule: unknown, facts: KubeFacts): void {
  const expr = at(rule, 'expr');
  const alert = at(rule, 'alert');
  if (typeof expr !== 'string' || typeof alert !== 'string' || !/error/i.test(alert)) return;
  const threshold = /[>]=?\s*(0?\.\d+|\d+(\.\d+)?)\s*$/.exec(expr.trim())?.[1];
  if (threshold && Number(threshold) > 0 && Number(threshold) < 1)
    chartValue(
      facts,
      `prometheusRule.errorRateThreshold: ${Number(threshold)}  # the runbook's ${alert.replace(/[^\w .-]/g, '').slice(0, 60)}`,
    );
}
