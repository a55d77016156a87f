/**
 * Restarts judged by what changed since the previous run: a container's restart count is a
 * total since its pod started, and its last termination stays on the pod for good, so an
 * OOM kill from yesterday would otherwise be critical on every run until the pod goes.
 * Pure: the previous run's counts come in, this run's go out (resources.ts).
 */
import type { Finding } from '../model.js';
import { span } from './format.js';

/** The parts of a v1 ContainerStatus this reads. */
export interface ContainerStatus {
  name: string;
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string } };
  lastState?: { terminated?: { reason?: string; exitCode?: number; finishedAt?: string | Date } };
}

/**
 * What the previous run saw of restarts: a container's restart count is a total since its
 * pod started, and its last termination stays on the pod for good, so both are judged by
 * what changed since then. Keyed `<namespace>/<pod>/<container>`.
 */
export interface RestartBaseline {
  at: string;
  restarts: Record<string, number>;
}

/** Restarts of one container, and over which interval they are counted. */
export interface RestartWindow {
  key: string;
  /** Restarts in the interval: since the previous run, or (first run, new pod) since the pod started. */
  count: number;
  /** The previous run's time, or null: the count is since the pod started. */
  since: Date | null;
  /** For the text: "since the previous run 60 min ago". */
  words: string;
}

/**
 * Why a container restarts, by the most telling sign: crash-looping now, OOM-killed since
 * the previous run, or restarted often since then. An OOM kill or restarts from before the
 * previous run were judged by it: they are history (info), not news.
 */
export function restartFinding(
  namespace: string,
  pod: string,
  s: ContainerStatus,
  t: { restartsWarn: number },
  w: RestartWindow,
): Finding[] {
  const resource = `pod/${namespace}/${pod}`;
  const terminated = s.lastState?.terminated?.reason;
  if (s.state?.waiting?.reason === 'CrashLoopBackOff')
    return [
      {
        severity: 'critical',
        check: 'pod.crashloop',
        resource,
        message: `container ${s.name} is in CrashLoopBackOff (${s.restartCount ?? 0} restarts${terminated ? `, last exit: ${terminated}` : ''})`,
        remedy: `kubectl logs ${pod} -c ${s.name} --previous -n ${namespace} shows why it exits; roll back (rollout undo) if a new version brought it.`,
      },
    ];
  if (terminated === 'OOMKilled') {
    const finishedAt = s.lastState?.terminated?.finishedAt;
    const at = finishedAt ? new Date(finishedAt) : null;
    // Killed since the previous run: its finish time says so, or (without one) a new restart.
    const recent = w.since === null || (at && !Number.isNaN(at.getTime()) ? at > w.since : w.count > 0);
    return [
      {
        severity: recent ? 'critical' : 'info',
        check: 'pod.oomkilled',
        resource,
        message: recent
          ? `container ${s.name} was OOMKilled (${w.count} restart${w.count === 1 ? '' : 's'} ${w.words})`
          : `container ${s.name} was last OOMKilled before the previous run${at ? ` (${at.toISOString()})` : ''}; no restart ${w.words}`,
        remedy: `Raise ${s.name}'s memory limit or fix its memory use; it will be killed again at the same limit.`,
      },
    ];
  }
  if (w.count >= t.restartsWarn)
    return [
      {
        severity: 'warning',
        check: 'pod.restarts',
        resource,
        message: `container ${s.name} restarted ${w.count} times ${w.words}${terminated ? ` (last: ${terminated})` : ''}`,
        remedy: `kubectl describe pod ${pod} -n ${namespace} and its previous logs say why.`,
      },
    ];
  return [];
}

/**
 * The restarts of one container since the baseline. The baseline keeps only containers
 * that had restarted (a fleet of healthy ones would outgrow what a job may keep), so one
 * absent from it had none then if its pod already existed; a pod new since counts from its start.
 */
export function restartWindow(
  key: string,
  count: number,
  previous: RestartBaseline | null,
  now: Date,
  podCreated: Date | null = null,
): RestartWindow {
  const existed = previous !== null && podCreated !== null && podCreated.getTime() < Date.parse(previous.at);
  const before = previous?.restarts[key] ?? (existed ? 0 : undefined);
  if (!previous || before === undefined || count < before)
    return { key, count, since: null, words: 'since the pod started' };
  const since = new Date(previous.at);
  return {
    key,
    count: count - before,
    since,
    words: `since the previous run ${span((now.getTime() - since.getTime()) / 1000)} ago`,
  };
}

/** The previous run's restart counts, if what was kept has their shape (read back untrusted). */
export function restartBaselineOf(value: unknown): RestartBaseline | null {
  const v = value as Partial<RestartBaseline> | null | undefined;
  if (!v || typeof v.at !== 'string' || Number.isNaN(Date.parse(v.at)) || !v.restarts || typeof v.restarts !== 'object')
    return null;
  const restarts: Record<string, number> = {};
  for (const [k, n] of Object.entries(v.restarts))
    if (Number.isInteger(n) && (n as number) >= 0) restarts[k] = n as number;
  return { at: v.at, restarts };
}
