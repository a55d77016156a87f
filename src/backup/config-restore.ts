/**
 * Restoring ConfigMaps and Secrets from a config backup: a dry run by default, listing
 * what would change (secret values never shown); applied, each object is replaced at the
 * resourceVersion just read (a concurrent edit fails instead of being overwritten) or
 * created if it is gone.
 */
import { OpscronError } from '../errors.js';
import { kubeCall, type Kube } from '../integrations/kube.js';
import type { FileStorage } from '../integrations/storage.js';
import { diffObject, readConfigFile, type ConfigManifest } from './config-backup.js';

type Obj = Record<string, any>;

export async function readConfigManifest(storage: FileStorage, key: string): Promise<ConfigManifest> {
  const manifestKey = key.endsWith('manifest.json') ? key : `${key.replace(/\/$/, '')}/manifest.json`;
  const manifest = await storage.readJson<ConfigManifest>(manifestKey);
  if (!manifest)
    throw new OpscronError('OPSCRON_BACKUP_CHECK', `no config backup manifest ${manifestKey} in ${storage.root}`);
  return manifest;
}

export async function restoreConfig(o: {
  storage: FileStorage;
  manifest: ConfigManifest;
  kube: Kube;
  passphrase?: string;
  object?: string;
  apply: boolean;
}): Promise<{ changes: string[]; applied: string[] }> {
  const changes: string[] = [];
  const applied: string[] = [];
  let matched = 0;
  for (const file of o.manifest.files) {
    for (const obj of await readConfigFile(o.storage, file, o.passphrase)) {
      const ref = `${obj.kind.toLowerCase()}/${obj.metadata.name}`;
      if (o.object && o.object.toLowerCase() !== ref) continue;
      matched++;
      const namespace = o.manifest.namespace;
      const name = obj.metadata.name as string;
      const isSecret = obj.kind === 'Secret';
      const current: Obj | undefined = await kubeCall(
        `get ${ref}`,
        () =>
          (isSecret
            ? o.kube.core.readNamespacedSecret({ name, namespace })
            : o.kube.core.readNamespacedConfigMap({ name, namespace })) as Promise<Obj>,
      )
        .then((c) => JSON.parse(JSON.stringify(c)))
        .catch((e: { httpStatus?: number }) => {
          if (e.httpStatus === 404) return undefined;
          throw e;
        });
      const diff = diffObject({ ...obj, metadata: { ...obj.metadata, namespace } }, current);
      changes.push(...diff);
      if (!o.apply || !diff.length) continue;
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
          `replace ${ref}`,
          () =>
            (isSecret
              ? o.kube.core.replaceNamespacedSecret({ name, namespace, body })
              : o.kube.core.replaceNamespacedConfigMap({ name, namespace, body })) as Promise<unknown>,
        );
      } else {
        await kubeCall(
          `create ${ref}`,
          () =>
            (isSecret
              ? o.kube.core.createNamespacedSecret({ namespace, body })
              : o.kube.core.createNamespacedConfigMap({ namespace, body })) as Promise<unknown>,
        );
      }
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
