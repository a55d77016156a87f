/**
 * What an Alertmanager payload does, alert by alert: a firing alert that is news fails its
 * signal (opening or joining the service's incident, with its remediation as any incident
 * has), a repeat changes nothing, a resolved alert recovers its signal once none of its
 * alerts fires. An alert is kept (by fingerprint) only once applied, so one whose
 * application failed is news when Alertmanager retries it. Refused alerts (no such service,
 * no signal label) are said, not applied.
 */
import type { Clock } from '../clock.js';
import type { OpscronConfig } from '../config/schema.js';
import type { Store } from '../store/index.js';
import { planAlert, type AlertmanagerPayload } from './alertmanager.js';
import type { IncidentManager } from './manager.js';

export interface AlertsInDeps {
  config: OpscronConfig;
  store: Pick<Store, 'externalAlerts'>;
  incidents: Pick<IncidentManager, 'observeExternal'>;
  clock: Pick<Clock, 'now'>;
}

export interface AlertOutcome {
  fingerprint: string;
  service?: string;
  signal?: string;
  /** applied: it moved its signal; repeat: nothing new; refused: see reason. */
  result: 'applied' | 'repeat' | 'refused';
  reason?: string;
}

export async function receiveAlerts(deps: AlertsInDeps, payload: AlertmanagerPayload): Promise<AlertOutcome[]> {
  const out: AlertOutcome[] = [];
  for (const [i, alert] of payload.alerts.entries()) {
    const plan = planAlert(deps.config, alert, i);
    if (!plan.ok) {
      out.push({ fingerprint: plan.fingerprint, result: 'refused', reason: plan.reason });
      continue;
    }
    const now = new Date(deps.clock.now());
    const { service, signal } = plan;
    const observation = {
      at: now,
      runId: null,
      source: 'alertmanager',
      summary: plan.summary,
      findings: [],
      severity: plan.severity,
      immediate: true,
    };
    const kept = await deps.store.externalAlerts.get(plan.fingerprint);
    let applied = false;
    if (plan.status === 'firing') {
      applied =
        kept?.status !== 'firing' ||
        kept.severity !== plan.severity ||
        kept.service !== service ||
        kept.signal !== signal;
      // Applied first, kept after: if applying fails, Alertmanager's retry is news again.
      if (applied) {
        await deps.incidents.observeExternal(service, signal, {
          ...observation,
          verdict: 'bad',
          status: plan.severity,
        });
        await deps.store.externalAlerts.firing(plan, now);
      }
    } else if (kept?.status === 'firing') {
      applied = true;
      // Where it fired: its signal recovers once no other alert of it fires.
      if ((await deps.store.externalAlerts.othersFiring(kept.service, kept.signal, plan.fingerprint)) === 0)
        await deps.incidents.observeExternal(kept.service, kept.signal, {
          ...observation,
          verdict: 'good',
          status: 'resolved',
        });
      await deps.store.externalAlerts.resolved(plan.fingerprint, now);
    }
    out.push({ fingerprint: plan.fingerprint, service, signal, result: applied ? 'applied' : 'repeat' });
  }
  return out;
}
