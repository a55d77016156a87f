/**
 * POST /api/alerts/alertmanager: Alertmanager's webhook receiver. A token of trigger scope
 * (Alertmanager sends it with http_config.authorization); the payload is untrusted — bounded
 * in bytes, alerts and label sizes, refused with 400 naming the field.
 */
import type { FastifyInstance } from 'fastify';
import { payloadSchema } from '../../incidents/alertmanager.js';
import { receiveAlerts } from '../../incidents/alerts-in.js';
import { IncidentManager } from '../../incidents/manager.js';
import { BadRequest, need, parse, type ApiDeps } from '../common.js';

/** A payload of 100 alerts with their labels and annotations stays far below this. */
export const ALERTMANAGER_BODY_LIMIT = 1024 * 1024;

export async function alertRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  // A process that runs no jobs (the scheduler role) applies alerts with a manager of its own.
  let own: IncidentManager | null = null;
  const incidents = () =>
    deps.incidents ??
    (own ??= new IncidentManager({
      config: deps.config,
      store: deps.store,
      queue: deps.queue,
      logger: deps.logger,
      feeds: deps.feeds,
      clock: { now: deps.now, setTimeout, clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    }));
  app.addHook('onClose', async () => own?.stop());

  app.post('/api/alerts/alertmanager', { bodyLimit: ALERTMANAGER_BODY_LIMIT }, async (request, reply) => {
    if (!need(request, reply, 'trigger')) return;
    const payload = parse(payloadSchema, request.body, 'body');
    const max = deps.config.alertmanager.maxAlerts;
    if (payload.alerts.length > max)
      throw new BadRequest(
        `body.alerts: ${payload.alerts.length} alerts; at most ${max} (alertmanager.maxAlerts — set max_alerts on the Alertmanager receiver)`,
      );
    const alerts = await receiveAlerts(
      { config: deps.config, store: deps.store, incidents: incidents(), clock: { now: deps.now } },
      payload,
    );
    const refused = alerts.filter((a) => a.result === 'refused');
    // Every alert refused: a 4xx, which Alertmanager does not retry (it would be refused again).
    return reply.code(refused.length === alerts.length ? 422 : 200).send({
      groupKey: payload.groupKey.slice(0, 200),
      applied: alerts.filter((a) => a.result === 'applied').length,
      repeats: alerts.filter((a) => a.result === 'repeat').length,
      refused: refused.length,
      alerts,
    });
  });
}
