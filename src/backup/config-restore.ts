/**
 * Restoring ConfigMaps and Secrets from a config backup: first every file to be read is
 * checked against the SHA-256 its manifest recorded (a changed or damaged file is refused,
 * by name, before anything is compared or applied); then a dry run by default, listing
 * what would change (data, binaryData, labels, annotations; secret values never shown);
 * applied, each object is replaced at the resourceVersion just read (a concurrent edit
 * fails instead of being overwritten) or created if it is gone.
 */
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { OpscronError } from '../errors.js';
import { kubeCall, type Kube } from '../integrations/kube.js';
import type { Storage } from '../integrations/storage.js';
import { readConfigFile, type BackedUpObject, type ConfigManifest, type KubeObject } from './config-backup.js';
import { diffObject } from './config-diff.js';
import { BackupCheckError } from './restore.js';

/** The manifest of a config backup, given its directory or the manifest's own key. */
export async function readConfigManifest(storage: Storage, key: string): Promise<ConfigManifest> {
  const manifestKey = key.endsWith('manifest.json') ? key : `${key.replace(/\/$/, '')}/manifest.json`;
  const manifest = await storage.readJson<ConfigManifest>(manifestKey);
  if (!manifest)
    throw new OpscronError('OPSCRON_BACKUP_CHECK', `no config backup manifest ${manifestKey} in ${storage.location}`);
  return manifest;
}

/**
 * Compares each object of the backup (or only `object`, `kind/name`) with the cluster and,
 * with `apply`, puts back the ones that differ. `changes` says what differs, `applied` which
 * objects were written.
 */
export async function restoreConfig(o: {
  storage: Storage;
  manifest: ConfigManifest;
  kube: Kube;
  passphrase?: string;
  object?: string;
  apply: boolean;
}): Promise<{ changes: string[]; applied: string[] }> {
  const changes: string[] = [];
  const applied: string[] = [];
  let matched = 0;
  const files = o.manifest.files.filter(
    (f) => !o.object || f.objects.some((n) => `${f.kind.toLowerCase()}/${n}` === o.object!.toLowerCase()),
  );
  for (const file of files) await checkFile(o.storage, file);
  for (const file of files) {
    for (const obj of await readConfigFile(o.storage, file, o.passphrase)) {
      const ref = `${obj.kind.toLowerCase()}/${obj.metadata.name}`;
      if (o.object && o.object.toLowerCase() !== ref) continue;
      matched++;
      const target = { kube: o.kube, ref, namespace: o.manifest.namespace, name: obj.metadata.name };
      const current = await readCurrent(target, obj.kind === 'Secret');
      const diff = diffObject({ ...obj, metadata: { ...obj.metadata, namespace: target.namespace } }, current);
      changes.push(...diff);
      if (!o.apply || !diff.length) continue;
      await putBack(target, obj, current);
      applied.push(ref);
    }
  }
  if (o.object && !matched)
    throw new OpscronError(
      'OPSCRON_NOT_FOUND',
      `${o.object} is not in this backup (${o.manifest.files.flatMap((f) => f.objects.map((n) => `${f.kind.toLowerCase()}/${n}`)).join(', ')})`,
    );
  return { changes, applied };
}

/** Throws unless the stored file has the SHA-256 its manifest recorded. */
async function checkFile(storage: Storage, file: ConfigManifest['files'][number]): Promise<void> {
  const hash = createHash('sha256');
  try {
    await pipeline(await storage.read(file.key), hash);
  } catch (error) {
    if (error instanceof OpscronError) throw error;
    throw new BackupCheckError(
      `cannot read ${file.key}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  const sha256 = hash.digest('hex');
  if (sha256 !== file.sha256)
    throw new BackupCheckError(
      `refused: ${file.key} does not match its manifest (SHA-256 ${sha256}, the manifest recorded ${file.sha256}): changed or damaged since the backup, so nothing was restored`,
    );
}

/** Where one backed-up object goes back: `ref` is `kind/name`, for messages. */
interface Target {
  kube: Kube;
  ref: string;
  namespace: string;
  name: string;
}

/** The object as the cluster has it now (plain JSON), or undefined when it is gone. */
async function readCurrent(t: Target, isSecret: boolean): Promise<KubeObject | undefined> {
  const { name, namespace } = t;
  return kubeCall(
    `get ${t.ref}`,
    () =>
      (isSecret
        ? t.kube.core.readNamespacedSecret({ name, namespace })
        : t.kube.core.readNamespacedConfigMap({ name, namespace })) as Promise<unknown>,
  )
    .then((c) => JSON.parse(JSON.stringify(c)) as KubeObject)
    .catch((e: { httpStatus?: number }) => {
      if (e.httpStatus === 404) return undefined;
      throw e;
    });
}

/**
 * Replaces the object at the resourceVersion just read (a concurrent edit then fails instead of
 * being overwritten), or creates it if it is gone.
 */
async function putBack(t: Target, obj: BackedUpObject, current: KubeObject | undefined): Promise<void> {
  const { name, namespace } = t;
  const isSecret = obj.kind === 'Secret';
  const body = {
    ...obj,
    metadata: {
      ...obj.metadata,
      namespace,
      ...(current ? { resourceVersion: current.metadata.resourceVersion } : {}),
    },
  };
  if (current) {
    await kubeCall(
      `replace ${t.ref}`,
      () =>
        (isSecret
          ? t.kube.core.replaceNamespacedSecret({ name, namespace, body })
          : t.kube.core.replaceNamespacedConfigMap({ name, namespace, body })) as Promise<unknown>,
    );
  } else {
    await kubeCall(
      `create ${t.ref}`,
      () =>
        (isSecret
          ? t.kube.core.createNamespacedSecret({ namespace, body })
          : t.kube.core.createNamespacedConfigMap({ namespace, body })) as Promise<unknown>,
    );
  }
}
