/**
 * A pod's container logs as `kubectl logs` reads them: the current container's, and the
 * previous one's (`--previous`) when the container restarted — the lines before a crash
 * are the ones that say why. Bounded by `tailLines`, `sinceSeconds` and `limitBytes`.
 */
import { kubeCall, type Kube } from './kube.js';

type Pod = Awaited<ReturnType<Kube['core']['listNamespacedPod']>>['items'][number];

/** Where a text came from: `previous` is the container instance before its last restart. */
export interface LogText {
  pod: string;
  container: string;
  previous: boolean;
  text: string;
}

export interface LogWindow {
  tailLines: number;
  /** Only lines from the last this many seconds (the kubelet's own timestamps); undefined: no time bound. */
  sinceSeconds?: number;
  /** At most this many bytes of each container's log. */
  limitBytes: number;
}

/** Whether the container has a previous instance whose logs the kubelet keeps. */
function restarted(pod: Pod, container: string): boolean {
  const s = pod.status?.containerStatuses?.find((c) => c.name === container);
  return (s?.restartCount ?? 0) > 0 || s?.lastState?.terminated !== undefined;
}

/** Whether the container has not started: the pod is Pending, or the container waits (image pull, config). */
function waitingToStart(pod: Pod, container: string): boolean {
  const s = pod.status?.containerStatuses?.find((c) => c.name === container);
  return pod.status?.phase === 'Pending' || s?.state?.waiting !== undefined;
}

/** The logs of each container of `pod`: current, then previous when it restarted (absent previous logs are skipped). */
export async function podLogs(kube: Kube, namespace: string, pod: Pod, window: LogWindow): Promise<LogText[]> {
  const name = pod.metadata?.name ?? '';
  const out: LogText[] = [];
  for (const container of pod.spec?.containers ?? []) {
    const read = (previous: boolean) =>
      kubeCall(`logs of ${name}/${container.name}${previous ? ' (previous)' : ''}`, () =>
        kube.core.readNamespacedPodLog({
          name,
          namespace,
          container: container.name,
          tailLines: window.tailLines,
          sinceSeconds: window.sinceSeconds,
          limitBytes: window.limitBytes,
          ...(previous ? { previous: true } : {}),
        }),
      );
    // A container that never started (Pending, ImagePullBackOff) has no logs: the API says 400.
    // That is resource-usage's finding to make; here it has nothing to read, not a failed run.
    const current = await read(false).catch((error: { httpStatus?: number | null }) => {
      if (error.httpStatus === 400 && waitingToStart(pod, container.name)) return '';
      throw error;
    });
    out.push({ pod: name, container: container.name, previous: false, text: String(current) });
    if (!restarted(pod, container.name)) continue;
    // The kubelet keeps one previous instance; after a node move or a GC there may be none (400).
    const text = await read(true).catch((error: { httpStatus?: number | null }) => {
      if (error.httpStatus === 400 || error.httpStatus === 404) return '';
      throw error;
    });
    out.push({ pod: name, container: container.name, previous: true, text: String(text) });
  }
  return out;
}
