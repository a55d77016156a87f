/** `--set key=value` → params. Values read as YAML scalars (numbers, booleans, [lists]); dotted keys nest. */
import YAML from 'yaml';
import { OpscronError } from '../errors.js';

export function parseSets(sets: readonly string[]): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new OpscronError('OPSCRON_BAD_ARGUMENT', `--set ${JSON.stringify(set)}: expected key=value`);
    const path = set.slice(0, eq).split('.');
    if (
      path.some((p) => !/^[A-Za-z0-9_-]+$/.test(p) || p === '__proto__' || p === 'constructor' || p === 'prototype')
    ) {
      throw new OpscronError(
        'OPSCRON_BAD_ARGUMENT',
        `--set ${JSON.stringify(set)}: key must be letters, digits, - and _ (dots nest)`,
      );
    }
    const raw = set.slice(eq + 1);
    let value: unknown;
    try {
      value = raw === '' ? '' : YAML.parse(raw);
    } catch {
      value = raw;
    }
    let node = params;
    for (const part of path.slice(0, -1)) {
      if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
      node = node[part] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return params;
}
