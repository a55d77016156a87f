/**
 * One observation's effect on its signal and the service's incident, inside the signal's
 * transaction: the signal steps (./signal.ts); failing opens the incident or joins it,
 * recovered resolves it once every signal is healthy. An observation is a finished run of a
 * check, or an alert Alertmanager sent (which fails and recovers at once: it has its own
 * `for:`). A silence muting the signal at the opening is written on the timeline; the
 * manager then tells nobody and runs no remediation.
 */
import { randomBytes } from 'node:crypto';
import { compactUtc } from '../clock.js';
import type { OpscronConfig } from '../config/schema.js';
import type { SignalTx } from '../store/incidents.js';
import type { Opened } from './alert.js';
import { silencing, type Silence } from './silence.js';
import { step } from './signal.js';

/** What moved the signal: a run of a check, or an alert. */
export interface Observation {
  verdict: 'bad' | 'good';
  at: Date;
  /** The run, or null for an alert. */
  runId: string | null;
  /** The job whose runs feed the signal, or `alertmanager`. */
  source: string;
  status: string;
  summary: string | null;
  findings: unknown[];
  severity: 'critical' | 'warning';
  /** Alerts fail and recover on the first observation. */
  immediate?: boolean;
}

export interface Moved {
  /** A warning incident one of whose signals is now critical (told to the critical routes). */
  raised?: string;
  opened?: Opened & { silenced: { id: string; reason: string; until: Date } | null };
  resolved?: string;
}

export interface MoveContext {
  config: OpscronConfig;
  service: string;
  signal: string;
  /** The silences not yet over (the store's current ones). */
  silences: readonly Silence[];
}

export async function move(tx: SignalTx, c: MoveContext, o: Observation): Promise<Moved> {
  const { service, signal } = c;
  const thresholds = o.immediate ? { openAfter: 1, resolveAfter: 1 } : c.config.incidents;
  const { next, transition } = step(await tx.state(o.at), o.verdict, o.at, thresholds);
  await tx.save(next, o.runId, o.at);
  if (o.verdict === 'bad') await tx.setSeverity(o.severity);
  const open = await tx.open();
  if (open) await tx.event(open.id, o.at, 'check', signal, o.runId, `${o.source} ${o.status}: ${o.summary ?? ''}`);
  if (transition === 'failing') {
    if (!open) return { opened: await openIncident(tx, c, o, next.firstBadAt, next.badStreak) };
    if (!open.signals.includes(signal)) {
      await tx.setSignals(open.id, [...open.signals, signal]);
      await tx.event(
        open.id,
        o.at,
        'signal',
        signal,
        o.runId,
        `${signal} joined: ${o.severity} on ${next.badStreak} consecutive ${o.runId ? `runs of ${o.source}` : 'alerts'}`,
      );
    }
    return raise(tx, open, open.signals.includes(signal) ? open.signals : [...open.signals, signal], o, signal);
  } else if (transition === 'recovered' && open) {
    await tx.event(
      open.id,
      o.at,
      'recovered',
      signal,
      o.runId,
      o.runId ? `${signal} healthy on ${next.goodStreak} consecutive runs of ${o.source}` : `${signal} resolved`,
    );
    if (await tx.allHealthy(open.signals)) {
      await tx.resolve(open.id, o.at);
      await tx.event(open.id, o.at, 'resolved', null, o.runId, `every signal of ${service} is healthy again`);
      return { resolved: open.id };
    }
    await tx.refreshSeverity(open.id, open.signals);
  } else if (open && o.verdict === 'bad' && open.signals.includes(signal)) {
    // Still failing, maybe worse than before: the incident's severity follows its signals on every bad run.
    return raise(tx, open, open.signals, o, signal);
  }
  return {};
}

/** The incident's severity from its failing signals; warning → critical is on the timeline and `raised`. */
async function raise(
  tx: SignalTx,
  open: { id: string; severity: string },
  signals: string[],
  o: Observation,
  signal: string,
): Promise<Moved> {
  const severity = await tx.refreshSeverity(open.id, signals);
  if (open.severity !== 'warning' || severity !== 'critical') return {};
  await tx.event(open.id, o.at, 'raised', signal, o.runId, `raised to critical: ${signal} is critical on ${o.source}`);
  return { raised: open.id };
}

async function openIncident(
  tx: SignalTx,
  c: MoveContext,
  o: Observation,
  firstBadAt: Date | null,
  streak: number,
): Promise<NonNullable<Moved['opened']>> {
  const { service, signal } = c;
  const id = `inc-${compactUtc(o.at)}-${randomBytes(2).toString('hex')}`;
  const title = `${signal} ${o.severity} on ${service}`;
  const muted = silencing(c.silences, { service, signal }, o.at, c.config.timezone);
  await tx.create({
    id,
    title,
    openedAt: o.at,
    firstBadAt,
    severity: o.severity,
    silencedBy: muted?.silence.id ?? null,
  });
  // The runs of the streak before this one, so the timeline starts where the trouble did.
  const earlier = o.runId
    ? await tx.criticalRuns(o.source, new Date((firstBadAt ?? o.at).getTime() - 60_000), o.runId)
    : [];
  for (const r of earlier)
    await tx.event(id, r.createdAt, 'check', signal, r.id, `${o.source} ${r.status}: ${r.summary ?? ''}`);
  const why = o.runId ? `${streak} consecutive critical runs of ${o.source}` : `alert from ${o.source}`;
  await tx.event(id, o.at, 'opened', signal, o.runId, `${title}: ${why}. ${o.summary ?? ''}`);
  if (muted)
    await tx.event(
      id,
      o.at,
      'silenced',
      signal,
      null,
      `silenced by ${muted.silence.id}: ${muted.silence.reason} (until ${muted.until.toISOString()}); nobody is notified and no remediation runs`,
    );
  return {
    id,
    service,
    signal,
    jobId: o.source,
    firstBadAt,
    severity: o.severity,
    evidence: [
      ...earlier.map((r) => ({ at: r.createdAt, status: r.status, summary: r.summary, findings: r.findings })),
      { at: o.at, status: o.status, summary: o.summary, findings: o.findings },
    ],
    silenced: muted ? { id: muted.silence.id, reason: muted.silence.reason, until: muted.until } : null,
  };
}
