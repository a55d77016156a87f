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
import { kubeCall, kubeFor, PatchStrategy } from '../integrations/kube.js';
import { kubeTarget } from './service.js';
import { defineJob } from './types.js';

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
    await kubeCall(`patch ${resource}`, () =>
      kube.core.patchNamespacedConfigMap(
        {
          name: params.configMap,
          namespace,
          body: {
            metadata: { resourceVersion: current.metadata?.resourceVersion },
            data: { [params.key]: params.level },
          },
        },
        kube.patchAs(PatchStrategy.MergePatch),
      ),
    );
    if (params.restart) {
      const body = {
        spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': now.toISOString() } } } },
      };
      await kubeCall(`restart deployment/${namespace}/${service!.deployment}`, () =>
        kube.apps.patchNamespacedDeployment(
          { name: service!.deployment!, namespace, body },
          kube.patchAs(PatchStrategy.StrategicMergePatch),
        ),
      );
    }
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
