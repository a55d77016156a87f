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
  if (use && !ctx.config.prometheus) throw new InvalidRunError('source: prometheus, but no prometheus.url is configured');
  return use;
}

/** A PromQL range like `300s` for a window in ms. */
export const promRange = (ms: number) => `${Math.max(1, Math.round(ms / 1000))}s`;
