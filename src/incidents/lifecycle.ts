/**
 * What people do to an incident: acknowledge it ("I'm on it"), resolve it by hand, add a
 * note. The same from the API and the CLI; each is an event on the incident's timeline
 * (with who) and an entry in the audit log. Resolving by hand builds the incident report as
 * a recovery does.
 */
import type { Clock } from '../clock.js';
import type { OpscronConfig } from '../config/schema.js';
import { OpscronError } from '../errors.js';
import type { Feeds } from '../feeds.js';
import type { AuditSource } from '../model.js';
import type { Logger } from '../observability/logger.js';
import type { ActionResult } from '../store/incidents.js';
import type { Store } from '../store/index.js';
import { Notifier } from './notify.js';

export const INCIDENT_ACTIONS = ['ack', 'resolve', 'note'] as const;
export type IncidentActionKind = (typeof INCIDENT_ACTIONS)[number];

export interface LifecycleDeps {
  config: OpscronConfig;
  store: Store;
  feeds: Feeds;
  logger: Logger;
  clock: Clock;
  onMailQueued?: () => void;
}

export interface IncidentRequest {
  action: IncidentActionKind;
  id: string;
  actor: string;
  source: Exclude<AuditSource, 'scheduler' | 'queue'>;
  /** Required for a note; optional words for ack and resolve. */
  note?: string;
}

/** Does what was asked, or throws saying why nothing changed (unknown incident, already resolved or acknowledged). */
export async function actOnIncident(deps: LifecycleDeps, r: IncidentRequest): Promise<void> {
  const note = r.note?.trim() || undefined;
  if (note && note.length > 2000)
    throw new OpscronError('OPSCRON_BAD_ARGUMENT', `note: ${note.length} characters; at most 2000 are kept`);
  r = { ...r, note };
  const at = new Date(deps.clock.now());
  const who = { actor: r.actor, source: r.source, at, note: r.note ?? null };
  const incidents = deps.store.incidents;
  let result: ActionResult;
  switch (r.action) {
    case 'ack':
      result = await incidents.acknowledge(r.id, who);
      break;
    case 'resolve':
      result = await incidents.resolveByHand(r.id, who);
      break;
    case 'note':
      if (!r.note) throw new OpscronError('OPSCRON_BAD_ARGUMENT', 'note: the text of the note is required');
      result = await incidents.note(r.id, { ...who, note: r.note });
      break;
  }
  if (result === 'missing') throw new OpscronError('OPSCRON_NOT_FOUND', `no incident "${r.id}"`);
  if (result === 'resolved')
    throw new OpscronError('OPSCRON_INCIDENT_STATE', `incident "${r.id}" is already resolved; nothing was changed`);
  if (result === 'already')
    throw new OpscronError('OPSCRON_INCIDENT_STATE', `incident "${r.id}" is already acknowledged; nothing was changed`);
  await deps.store.audit.write({
    actor: r.actor,
    source: r.source,
    action: `incident-${r.action}`,
    params: { incident: r.id },
    reason: r.note ?? null,
  });
  const notifier = new Notifier(deps);
  const told = { actor: r.actor, ...(r.note ? { note: r.note } : {}) };
  if (r.action === 'ack') await notifier.settled(r.id, 'acknowledged', told);
  if (r.action === 'resolve') {
    await notifier.settled(r.id, 'resolved', told);
    await notifier.report(r.id);
  }
}
