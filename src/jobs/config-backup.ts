/**
 * config-backup: configmaps and secrets of the configured namespaces to storage, as
 * `kubectl get -o yaml` would, minus server-side fields; secrets only encrypted — without
 * OPSCRON_ENCRYPTION_KEY they are refused, not written in plaintext. A manifest with
 * checksums beside them; grandfather-father-son retention per namespace.
 */
import { z } from 'zod';
import { retain } from '../analysis/retention.js';
import { strip, writeConfigFile, type ConfigManifest } from '../backup/config-backup.js';
import { encryptionKey } from '../backup/crypto.js';
import { kubeCall, kubeFor, type Kube } from '../integrations/kube.js';
import { openStorage } from '../integrations/storage-open.js';
import type { Storage } from '../integrations/storage.js';
import { defineJob, statusOf, type Finding } from './types.js';
import { compactUtc, utcDatePath } from '../clock.js';

/** Which namespaces and kinds to back up (default: the configured namespaces, both kinds). */
export const configBackupParams = z.strictObject({
  namespaces: z.array(z.string()).optional(),
  kinds: z
    .array(z.enum(['configmaps', 'secrets']))
    .min(1)
    .default(['configmaps', 'secrets']),
  labelSelector: z.string().optional(),
});

type ConfigBackupParams = z.output<typeof configBackupParams>;

/** ConfigMaps and Secrets of each namespace to storage, with a manifest, then the namespace's retention. */
export const configBackup = defineJob({
  type: 'config-backup',
  summary:
    'ConfigMaps and Secrets to storage (secrets only encrypted), server fields stripped, with a manifest and retention',
  params: configBackupParams,
  feeds: { backup: 'config' },
  overridable: ['kinds'],
  async run(ctx, params) {
    const kube = await kubeFor(ctx.config);
    const storage = openStorage(ctx.config, 'backups');
    const passphrase = encryptionKey();
    const namespaces = params.namespaces ?? ctx.config.kubernetes!.namespaces;
    const at = ctx.now();
    const findings: Finding[] = [];
    let objects = 0;
    let removed = 0;
    for (const [i, namespace] of namespaces.entries()) {
      ctx.progress(i / namespaces.length, `backing up ${namespace}`);
      const backup = await backupNamespace({ kube, storage, passphrase, params, namespace, at });
      findings.push(...backup.findings);
      objects += backup.objects;
      removed += await pruneOldBackups(storage, namespace, ctx.config.backups.keep);
    }
    return {
      status: statusOf(findings),
      summary: `${objects} objects from ${namespaces.join(', ')} backed up${findings.some((f) => f.check === 'config-backup.secrets-refused') ? '; secrets refused: no OPSCRON_ENCRYPTION_KEY' : ''}${removed ? `; ${removed} old backups removed` : ''}`,
      findings,
      metrics: { objects, namespaces: namespaces.length, removed },
    };
  },
});

/** One namespace's backup run: where it goes and what it may write. */
interface NamespaceBackup {
  kube: Kube;
  storage: Storage;
  passphrase: string | undefined;
  params: ConfigBackupParams;
  namespace: string;
  at: Date;
}

/** The asked-for kinds of one namespace, each to its own file, and the manifest beside them. */
async function backupNamespace(b: NamespaceBackup): Promise<{ findings: Finding[]; objects: number }> {
  const { kube, storage, passphrase, params, namespace, at } = b;
  const prefix = `config/${namespace}/${utcDatePath(at)}/${compactUtc(at)}`;
  const files: ConfigManifest['files'] = [];
  const findings: Finding[] = [];
  let objects = 0;
  if (params.kinds.includes('configmaps')) {
    const items = (
      await kubeCall(`list configmaps in ${namespace}`, () =>
        kube.core.listNamespacedConfigMap({ namespace, labelSelector: params.labelSelector }),
      )
    ).items;
    files.push(
      await writeConfigFile(
        storage,
        `${prefix}/configmaps.yaml`,
        'ConfigMap',
        items.map((o) => strip(JSON.parse(JSON.stringify(o)), 'ConfigMap')),
      ),
    );
    objects += items.length;
  }
  if (params.kinds.includes('secrets')) {
    if (!passphrase) findings.push(secretsRefused(namespace));
    else {
      const items = (
        await kubeCall(`list secrets in ${namespace}`, () =>
          kube.core.listNamespacedSecret({ namespace, labelSelector: params.labelSelector }),
        )
      ).items.filter((s) => s.type !== 'kubernetes.io/service-account-token'); // recreated by the cluster, never restored
      files.push(
        await writeConfigFile(
          storage,
          `${prefix}/secrets.yaml.enc`,
          'Secret',
          items.map((o) => strip(JSON.parse(JSON.stringify(o)), 'Secret')),
          passphrase,
        ),
      );
      objects += items.length;
    }
  }
  findings.push(await writeManifest(storage, namespace, at, prefix, files));
  return { findings, objects };
}

/** Secrets are never written in plaintext: without the key they are left out, loudly. */
function secretsRefused(namespace: string): Finding {
  return {
    severity: 'critical',
    check: 'config-backup.secrets-refused',
    resource: `namespace/${namespace}`,
    message: 'secrets not backed up: OPSCRON_ENCRYPTION_KEY is not set, and secrets are never written in plaintext',
    remedy:
      'Set OPSCRON_ENCRYPTION_KEY (from a secret store, kept apart from the backups) and run config-backup again.',
  };
}

/** Writes the manifest of one namespace's backup; the finding carries it as evidence. */
async function writeManifest(
  storage: Storage,
  namespace: string,
  at: Date,
  prefix: string,
  files: ConfigManifest['files'],
): Promise<Finding> {
  const manifest: ConfigManifest = {
    version: 1,
    kind: 'config',
    namespace,
    createdAt: at.toISOString(),
    prefix,
    files,
  };
  await storage.put(`${prefix}/manifest.json`, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  return {
    severity: 'info',
    check: 'config-backup.created',
    resource: `namespace/${namespace}`,
    message: `${prefix}: ${files.map((f) => `${f.objects.length} ${f.kind}s${f.encrypted ? ' (encrypted)' : ''}`).join(', ')}`,
    evidence: manifest,
  };
}

/** Grandfather-father-son retention over the namespace's backups (one per manifest); returns how many went. */
async function pruneOldBackups(
  storage: Storage,
  namespace: string,
  keep: { daily: number; weekly: number; monthly: number },
): Promise<number> {
  const runs = [
    ...new Set(
      (await storage.list(`config/${namespace}`))
        .filter((k) => k.endsWith('/manifest.json'))
        .map((k) => k.slice(0, -'/manifest.json'.length)),
    ),
  ];
  const { remove } = retain(
    runs.map((key) => ({
      key,
      // The run's directory is its time, compact: 20261126T031500Z.
      at: new Date(
        key
          .split('/')
          .pop()!
          .replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'),
      ),
    })),
    keep,
  );
  // One prefix per backup: in a bucket, a listing and a delete of each object under it.
  for (const old of remove) await storage.removeUnder(old.key);
  return remove.length;
}
