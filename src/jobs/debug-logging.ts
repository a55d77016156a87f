/**
 * debug-logging: the runbook's `kubectl patch configmap … LOG_LEVEL=debug`, undone by
 * itself: the previous value is recorded in the store with the time to put it back (ttl,
 * default 30 minutes) and reverted by the worker processes then — also if opscron
 * restarted in between. Asking again while it is on extends the time and keeps the
 * original value. With restart: true the deployment is restarted after each change, for
 * services that read their config only at start.
 */
import { z } from 'zod';
import { duration } from '../config/schema.js';
import { InvalidRunError } from '../errors.js';
import { kubeCall, kubeFor, PatchStrategy, type Kube } from '../integrations/kube.js';
import { kubeTarget } from './service.js';
import { defineJob } from './types.js';

/** The ConfigMap key to set, to what, for how long, and whether to restart the deployment. */
export const debugLoggingParams = z.strictObject({
  service: z.string().optional(),
  namespace: z.string().optional(),
  configMap: z.string().min(1),
  key: z.string().min(1).default('LOG_LEVEL'),
  level: z.string().min(1).default('debug'),
  /** How long until the previous value is put back: at most a day, so a forgotten debug level does not stay. */
  ttl: duration
    .refine((ms) => ms >= 1000 && ms <= 86_400_000, { error: 'must be from 1s to 24h' })
    .default(30 * 60_000),
  restart: z.boolean().default(false),
});

/** Turns a service's debug logging on for a while; the worker turns it back (store-recorded revert). */
export const debugLogging = defineJob({
  type: 'debug-logging',
  summary:
    "Set LOG_LEVEL=debug in a service's ConfigMap and put it back automatically after a TTL (also across restarts)",
  params: debugLoggingParams,
  overridable: ['level', 'ttl', 'restart'],
  // It writes to the cluster (a ConfigMap, and with restart a rollout): admin and confirm, audited.
  destructive: true,
  async run(ctx, params) {
    const kube = await kubeFor(ctx.config);
    const { namespace, service } = kubeTarget(ctx, params);
    if (params.restart && !service?.deployment)
      throw new InvalidRunError('restart: true needs params.service with services[].deployment');
    const resource = `configmap/${namespace}/${params.configMap}`;
    const current = await kubeCall(`get ${resource}`, () =>
      kube.core.readNamespacedConfigMap({ name: params.configMap, namespace }),
    );
    const before = current.data?.[params.key] ?? null;
    const now = ctx.now();
    const revertAt = new Date(now.getTime() + params.ttl);
    // Recorded before the change: if opscron dies right after patching, the revert still happens.
    const { previous, extended } = await ctx.reverts.schedule({
      namespace,
      configmap: params.configMap,
      key: params.key,
      previous: before,
      value: params.level,
      revertAt,
      restartDeployment: params.restart ? service!.deployment! : null,
    });
    await setKey(kube, namespace, params, current.metadata?.resourceVersion);
    if (params.restart) await restartDeployment(kube, namespace, service!.deployment!, now);
    const was = previous === null ? 'unset' : previous;
    return {
      status: 'ok',
      summary: `${params.key}=${params.level} on ${resource} until ${revertAt.toISOString()} (${extended ? 'extended; ' : ''}then back to ${was})${params.restart ? `; ${service!.deployment} restarted` : ''}`,
      findings: [
        {
          severity: 'info',
          check: 'debug-logging.on',
          resource,
          message: `${params.key} set to ${params.level} until ${revertAt.toISOString()}, then back to ${was}`,
          evidence: { previous, revertAt: revertAt.toISOString(), extended },
        },
      ],
      metrics: { ttlMs: params.ttl },
    };
  },
});

/**
 * Sets the key in the ConfigMap, guarded by the resourceVersion read before the revert was
 * recorded: a concurrent edit fails the patch instead of being overwritten.
 */
async function setKey(
  kube: Kube,
  namespace: string,
  params: { configMap: string; key: string; level: string },
  resourceVersion: string | undefined,
): Promise<void> {
  await kubeCall(`patch configmap/${namespace}/${params.configMap}`, () =>
    kube.core.patchNamespacedConfigMap(
      {
        name: params.configMap,
        namespace,
        body: { metadata: { resourceVersion }, data: { [params.key]: params.level } },
      },
      kube.patchAs(PatchStrategy.MergePatch),
    ),
  );
}

/** `kubectl rollout restart`: the annotation patch that rolls the pods, for services that read config only at start. */
async function restartDeployment(kube: Kube, namespace: string, deployment: string, now: Date): Promise<void> {
  const body = {
    spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': now.toISOString() } } } },
  };
  await kubeCall(`restart deployment/${namespace}/${deployment}`, () =>
    kube.apps.patchNamespacedDeployment(
      { name: deployment, namespace, body },
      kube.patchAs(PatchStrategy.StrategicMergePatch),
    ),
  );
}
