/**
 * Label selectors as the API server applies them (apimachinery's LabelSelectorAsSelector):
 * every matchLabels pair and every matchExpressions term must hold. An empty selector `{}`
 * selects every pod (a NetworkPolicy's podSelector, a policy/v1 PodDisruptionBudget); a
 * missing one selects none. A term the API would reject (an unknown operator, In or NotIn
 * without values, Exists with values) makes the selector select nothing rather than guess.
 */
import type { LabelSelector } from './cluster.js';

type Expression = NonNullable<LabelSelector['matchExpressions']>[number];

function holds(term: Expression, labels: Record<string, string>): boolean {
  // A key that is not a string the API would have refused (and reading it could run its toString).
  if (typeof term.key !== 'string') return false;
  const key = term.key;
  const values = Array.isArray(term.values) ? term.values : [];
  const has = Object.hasOwn(labels, key);
  switch (term.operator) {
    case 'In':
      return values.length > 0 && has && values.includes(labels[key]!);
    case 'NotIn':
      // A pod without the label is not in the set, so NotIn selects it (as Kubernetes does).
      return values.length > 0 && (!has || !values.includes(labels[key]!));
    case 'Exists':
      return values.length === 0 && has;
    case 'DoesNotExist':
      return values.length === 0 && !has;
    default:
      return false;
  }
}

/** Whether `selector` selects a pod with these labels (a missing selector selects nothing). */
export function selects(selector: LabelSelector | undefined | null, labels: Record<string, string> = {}): boolean {
  if (!selector || typeof selector !== 'object') return false;
  const { matchLabels = {}, matchExpressions = [] } = selector;
  // Shapes the API would have refused select nothing, rather than throw.
  if (typeof matchLabels !== 'object' || matchLabels === null || !Array.isArray(matchExpressions)) return false;
  if (!Object.entries(matchLabels).every(([k, v]) => Object.hasOwn(labels, k) && labels[k] === v)) return false;
  return matchExpressions.every((term) => typeof term === 'object' && term !== null && holds(term, labels));
}
