/**
 * What restoring a backed-up ConfigMap or Secret would change in the cluster, in words:
 * its `data`, `binaryData`, labels and annotations — everything a restore puts back. Secret
 * values (and a Secret's annotation values) are never shown; binary values by size only.
 */
import type { BackedUpObject, KubeObject } from './config-backup.js';

/** Written by `kubectl apply` and stripped from every backup: never a difference. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Show = (value: string) => string;

const quoted: Show = (v) => JSON.stringify(v).slice(0, 60);
const hidden: Show = () => '';
const binarySize: Show = (v) => `${Buffer.from(v, 'base64').length} bytes`;

/** One map of the object compared: what the backup holds, what the cluster holds, and how a value may be shown. */
interface Field {
  label: string;
  backup: Record<string, string>;
  current: Record<string, string>;
  show: Show;
}

const asMap = (value: unknown): Record<string, string> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, string>) : {};

function withoutLastApplied(map: Record<string, string>): Record<string, string> {
  const { [LAST_APPLIED]: _last, ...rest } = map;
  return rest;
}

/** "k will be added", "k will change", "k will be removed", with values where they may be shown. */
function mapChanges(name: string, f: Field): string[] {
  const out: string[] = [];
  const a = f.backup;
  const b = f.current;
  const at = (k: string) => `${name}: ${f.label}${k}`;
  const paren = (v: string) => (f.show(v) ? ` (${f.show(v)})` : '');
  for (const k of Object.keys(a).sort()) {
    if (!(k in b)) out.push(`${at(k)} will be added${paren(a[k]!)}`);
    else if (a[k] !== b[k]) {
      const from = f.show(b[k]!);
      out.push(`${at(k)} will change${from ? ` from ${from} to ${f.show(a[k]!)}` : ''}`);
    }
  }
  for (const k of Object.keys(b).sort()) if (!(k in a)) out.push(`${at(k)} will be removed`);
  return out;
}

/** What applying `backup` over `current` would change, in words; secret values are never shown. */
export function diffObject(backup: BackedUpObject, current: KubeObject | undefined): string[] {
  const name = `${backup.kind.toLowerCase()}/${backup.metadata.namespace}/${backup.metadata.name}`;
  if (!current) return [`${name}: missing in the cluster, will be created`];
  const secret = backup.kind === 'Secret';
  const fields: Field[] = [
    { label: '', backup: asMap(backup.data), current: asMap(current.data), show: secret ? hidden : quoted },
    {
      label: 'binaryData ',
      backup: asMap(backup.binaryData),
      current: asMap(current.binaryData),
      show: binarySize,
    },
    { label: 'label ', backup: asMap(backup.metadata.labels), current: asMap(current.metadata.labels), show: quoted },
    {
      label: 'annotation ',
      backup: withoutLastApplied(asMap(backup.metadata.annotations)),
      current: withoutLastApplied(asMap(current.metadata.annotations)),
      show: secret ? hidden : quoted,
    },
  ];
  return fields.flatMap((f) => mapChanges(name, f));
}
