/**
 * The runbook's Kubernetes YAML (pure): Deployment resources → the audit-review policy; HPA,
 * ServiceMonitor and PrometheusRule settings → chart values to carry over. Bounded: at most
 * 50 documents a block, no alias expansion beyond 10.
 */
import { parseAllDocuments } from 'yaml';

const QUANTITY = /^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;

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

/** What the YAML blocks say; later blocks add to earlier ones. */
export function readKubeYaml(text: string, facts: KubeFacts): void {
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
        facts.chartValues.push(
          `worker.autoscaling: { enabled: true, minReplicas: ${String(min)}, maxReplicas: ${String(max)}, targetCPUUtilizationPercentage: ${String(cpu)} }`,
        );
      return;
    }
    case 'ServiceMonitor': {
      const interval = at(value, 'spec', 'endpoints', 0, 'interval');
      if (typeof interval === 'string' && /^\d{1,4}[smh]$/.test(interval))
        facts.chartValues.push(`serviceMonitor.interval: ${interval}`);
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
    facts.chartValues.push(
      `prometheusRule.errorRateThreshold: ${Number(threshold)}  # the runbook's ${alert.replace(/[^\w .-]/g, '').slice(0, 60)}`,
    );
}
