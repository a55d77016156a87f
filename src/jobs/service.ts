/** What jobs about one service share: finding it in the config, and choosing Prometheus or the service itself. */
import type { ServiceConfig } from '../config/schema.js';
import { InvalidRunError } from '../errors.js';
import type { JobContext } from './types.js';

export function serviceOf(ctx: JobContext, name: string): ServiceConfig {
  const service = ctx.config.services.find((s) => s.name === name);
  if (!service) throw new InvalidRunError(`service "${name}" is not in config.services`);
  return service;
}

/** `auto` uses Prometheus when one is configured; `prometheus` insists on it. */
export function usesPrometheus(ctx: JobContext, source: string): boolean {
  const use = source === 'prometheus' || (source === 'auto' && ctx.config.prometheus !== undefined);
  if (use && !ctx.config.prometheus)
    throw new InvalidRunError('source: prometheus, but no prometheus.url is configured');
  return use;
}

/** A PromQL range like `300s` for a window in ms. */
export const promRange = (ms: number) => `${Math.max(1, Math.round(ms / 1000))}s`;

/** Where a Kubernetes job acts: params.namespace, the service's, or the first configured one; and the service, if named. */
export function kubeTarget(
  ctx: JobContext,
  params: { service?: string; namespace?: string },
): { namespace: string; service: ServiceConfig | undefined } {
  const service = params.service === undefined ? undefined : serviceOf(ctx, params.service);
  const namespace = params.namespace ?? service?.namespace ?? ctx.config.kubernetes?.namespaces[0];
  if (!namespace)
    throw new InvalidRunError('name a namespace: params.namespace, services[].namespace or kubernetes.namespaces');
  return { namespace, service };
}

/** The deployment a Kubernetes job acts on: a service's namespace and deployment, or given directly. */
export function deploymentOf(
  ctx: JobContext,
  params: { service?: string; namespace?: string; deployment?: string },
): { namespace: string; name: string; resource: string } {
  const { namespace, service } = kubeTarget(ctx, params);
  const name = params.deployment ?? service?.deployment;
  if (!name)
    throw new InvalidRunError(
      params.service
        ? `service "${params.service}" has no deployment (services[].deployment)`
        : 'name a deployment: params.deployment, or params.service with services[].deployment',
    );
  return { namespace, name, resource: `deployment/${namespace}/${name}` };
}
