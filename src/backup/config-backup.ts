/**
 * Kubernetes configuration backups: the runbook's `kubectl get configmaps,secrets -o yaml
 * > backup/`, with the server-side fields stripped so a restore applies cleanly, secrets
 * only ever written encrypted (AES-256-GCM, ./crypto.ts), and a manifest with checksums.
 */
import { Readable } from 'node:stream';
import YAML from 'yaml';
import type { Storage } from '../integrations/storage.js';
import { decryptedStream, encryptor } from './crypto.js';

/** An object's metadata as plain JSON: the fields a backup and a restore read, and whatever else it holds. */
export interface ObjectMeta {
  /** Every object the API returns has one. */
  name: string;
  namespace?: string;
  resourceVersion?: string;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/**
 * A ConfigMap or Secret as plain JSON (the API's answer passed through JSON, or a backup
 * file's item): the fields opscron reads are named, the rest is carried along untouched.
 */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  data?: Record<string, string>;
  [field: string]: unknown;
}

/** An object as a backup file holds it: what `strip` made of it. */
export interface BackedUpObject extends KubeObject {
  apiVersion: string;
  kind: 'ConfigMap' | 'Secret';
}

/** What one namespace's config backup holds, stored as `manifest.json` in its directory. */
export interface ConfigManifest {
  version: 1;
  kind: 'config';
  namespace: string;
  createdAt: string;
  /** Storage key of the directory this manifest describes. */
  prefix: string;
  files: Array<{
    key: string;
    kind: 'ConfigMap' | 'Secret';
    encrypted: boolean;
    objects: string[];
    bytes: number;
    sha256: string;
  }>;
}

const SERVER_FIELDS = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'managedFields',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
];

/** What a ConfigMap or Secret holds besides its metadata (status and the rest are the server's). */
const KEPT_FIELDS: readonly string[] = ['type', 'immutable', 'data', 'binaryData', 'stringData'];

/** The object as `kubectl apply` would want it back: no status, no server-set metadata. */
export function strip(obj: KubeObject, kind: 'ConfigMap' | 'Secret'): BackedUpObject {
  const metadata: ObjectMeta = { ...obj.metadata };
  for (const f of SERVER_FIELDS) delete metadata[f];
  if (metadata.annotations) {
    const { 'kubectl.kubernetes.io/last-applied-configuration': _last, ...rest } = metadata.annotations;
    metadata.annotations = Object.keys(rest).length ? rest : undefined;
  }
  const out: BackedUpObject = { apiVersion: 'v1', kind, metadata: JSON.parse(JSON.stringify(metadata)) as ObjectMeta };
  for (const k of KEPT_FIELDS) if (obj[k] !== undefined && obj[k] !== null) out[k] = obj[k];
  return out;
}

const listYaml = (items: BackedUpObject[]) => YAML.stringify({ apiVersion: 'v1', kind: 'List', items });

/** Writes `items` as one YAML List to `key` (encrypted when given a passphrase); returns its manifest entry. */
export async function writeConfigFile(
  storage: Storage,
  key: string,
  kind: 'ConfigMap' | 'Secret',
  items: BackedUpObject[],
  passphrase?: string,
): Promise<ConfigManifest['files'][number]> {
  const text = Buffer.from(listYaml(items));
  const source = passphrase ? Readable.from([text]).pipe(encryptor(passphrase)) : Readable.from([text]);
  const stored = await storage.put(key, source);
  return {
    key,
    kind,
    encrypted: Boolean(passphrase),
    objects: items.map((o) => o.metadata.name).sort(),
    bytes: stored.bytes,
    sha256: stored.sha256,
  };
}

/** The objects of one backed-up file (decrypted with the key if it is encrypted). */
export async function readConfigFile(
  storage: Storage,
  file: ConfigManifest['files'][number],
  passphrase?: string,
): Promise<BackedUpObject[]> {
  const text = file.encrypted
    ? Buffer.concat(await (await decryptedStream(await storage.read(file.key), file.key, passphrase)).toArray())
    : await storage.readBuffer(file.key);
  const doc = YAML.parse(text.toString('utf8')) as { items?: BackedUpObject[] };
  return doc.items ?? [];
}
