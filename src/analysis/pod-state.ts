/**
 * Pods that are not running are what an operator most needs to see, and the usage figures
 * cannot show them: a pod the scheduler cannot place, a container whose image will not
 * pull or whose ConfigMap or Secret is missing, a pod that failed or whose node went
 * silent. Each gets a finding with its cause (as the API states it, bounded) and the step
 * to take. Pure: takes the Pod objects.
 */
import type { Finding, Severity } from '../model.js';
import { span } from './format.js';

/** The parts of a v1 Pod's status this reads (besides what resources.ts reads). */
export interface PodStateLike {
  metadata?: { name?: string; creationTimestamp?: string | Date };
  spec?: { nodeName?: string; containers?: Array<{ name: string; image?: string }> };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    startTime?: string | Date;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
    initContainerStatuses?: ContainerStateLike[];
    containerStatuses?: ContainerStateLike[];
  };
}

interface ContainerStateLike {
  name: string;
  image?: string;
  state?: { waiting?: { reason?: string; message?: string } };
}

/** What the pod's state says: whether its usage can be measured, and if not why (for the count), and its findings. */
export interface PodState {
  measured: boolean;
  /** Why it was not measured: the phase (Pending, Failed, Unknown, Succeeded). */
  notMeasured: string | null;
  findings: Finding[];
}

/** A pod still starting after this long is stuck, not slow. */
const PENDING_WARN_S = 5 * 60;

/** Text from the API server, bounded and on one line: it is shown to operators, never trusted. */
const apiText = (text: string | undefined, max = 300): string => {
  const flat = (text ?? '').replace(/\p{Cc}+/gu, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
};

const withMessage = (reason: string, message: string | undefined) =>
  message ? `${reason}: ${apiText(message)}` : reason;

/** Why a container waits, when it will not start by itself; null for the waits of a normal start. */
function waitingFinding(ns: string, pod: string, s: ContainerStateLike, init: boolean): Finding | null {
  const reason = s.state?.waiting?.reason;
  if (!reason) return null;
  const what = `${init ? 'init container' : 'container'} ${s.name}`;
  const image = s.image ? ` ${apiText(s.image, 200)}` : '';
  const describe = `kubectl describe pod ${pod} -n ${ns}`;
  const finding = (check: string, remedy: string, severity: Severity = 'critical'): Finding => ({
    severity,
    check,
    resource: `pod/${ns}/${pod}`,
    message: `${what} cannot start: ${withMessage(reason, s.state?.waiting?.message)}`,
    evidence: { reason, container: s.name, init },
    remedy,
  });
  switch (reason) {
    case 'ImagePullBackOff':
    case 'ErrImagePull':
      return finding(
        'pod.image-pull',
        `The image${image} does not pull: check its name and tag exist in the registry, and the pod's imagePullSecrets (${describe} shows the registry's answer).`,
      );
    case 'InvalidImageName':
      return finding('pod.invalid-image', `The image reference${image} is not valid: fix it in the workload's spec.`);
    case 'CreateContainerConfigError':
      return finding(
        'pod.config-error',
        `A ConfigMap, Secret or key the container references is missing or wrong (${describe} names it): create it or fix the reference.`,
      );
    case 'CreateContainerError':
    case 'RunContainerError':
      return finding('pod.create-error', `The runtime could not create the container: ${describe} says why.`);
    case 'CrashLoopBackOff':
      // A main container's crash loop is judged with its restarts (resources.ts); an init container's here.
      return init
        ? finding(
            'pod.crashloop',
            `kubectl logs ${pod} -c ${s.name} --previous -n ${ns} shows why it exits; the pod will not start until it succeeds.`,
          )
        : null;
    default:
      return null; // ContainerCreating, PodInitializing: a normal start
  }
}

/** The scheduler's verdict, from the PodScheduled condition. */
function unschedulable(ns: string, pod: PodStateLike, name: string): Finding | null {
  const c = pod.status?.conditions?.find((x) => x.type === 'PodScheduled' && x.status === 'False');
  if (!c) return null;
  return {
    severity: 'critical',
    check: 'pod.unschedulable',
    resource: `pod/${ns}/${name}`,
    message: `pod is Pending, not scheduled: ${withMessage(c.reason ?? 'Unschedulable', c.message)}`,
    evidence: { phase: 'Pending', reason: c.reason ?? null },
    remedy:
      'Add or free capacity (a node, the cluster autoscaler), or lower its requests; check its nodeSelector, affinity, tolerations and volume claims against what the scheduler says.',
  };
}

function sinceCreated(pod: PodStateLike, now: Date): number | null {
  const at = pod.status?.startTime ?? pod.metadata?.creationTimestamp;
  const ms = at === undefined ? NaN : Date.parse(String(at instanceof Date ? at.toISOString() : at));
  return Number.isNaN(ms) ? null : Math.max(0, (now.getTime() - ms) / 1000);
}

/** A pod that is scheduled but has not started, with no waiting reason that says why. */
function stillStarting(ns: string, pod: PodStateLike, name: string, now: Date): Finding {
  const age = sinceCreated(pod, now);
  const stuck = age !== null && age >= PENDING_WARN_S;
  return {
    severity: stuck ? 'warning' : 'info',
    check: 'pod.pending',
    resource: `pod/${ns}/${name}`,
    message: `pod is Pending${age === null ? '' : ` for ${span(age)}`}: scheduled, containers not started yet`,
    evidence: { phase: 'Pending', seconds: age },
    remedy: `kubectl describe pod ${name} -n ${ns}: its events say what it waits for (a volume, an image, an init container).`,
  };
}

function phaseFinding(ns: string, pod: PodStateLike, name: string): Finding | null {
  const phase = pod.status?.phase;
  const resource = `pod/${ns}/${name}`;
  if (phase === 'Failed')
    return {
      severity: 'warning',
      check: 'pod.failed',
      resource,
      message: `pod Failed: ${withMessage(pod.status?.reason ?? 'its containers exited with an error', pod.status?.message)}`,
      evidence: { phase, reason: pod.status?.reason ?? null },
      remedy:
        pod.status?.reason === 'Evicted'
          ? `The node ran short (the message says of what): look at its pressure and at this pod's requests; delete the evicted pod once understood.`
          : `kubectl describe pod ${name} -n ${ns} and kubectl logs ${name} -n ${ns} say why; delete it once understood.`,
    };
  if (phase === 'Unknown')
    return {
      severity: 'critical',
      check: 'pod.unknown',
      resource,
      message: `pod state Unknown: its node${pod.spec?.nodeName ? ` ${apiText(pod.spec.nodeName, 100)}` : ''} stopped reporting`,
      evidence: { phase },
      remedy: `kubectl describe node ${pod.spec?.nodeName ?? '<node>'}: a NotReady node's pods are rescheduled once it is declared lost.`,
    };
  return null;
}

/** What the pod's phase and container states say, and whether its usage can be measured. */
export function podState(ns: string, pod: PodStateLike, now: Date): PodState {
  const name = pod.metadata?.name ?? '?';
  const phase = pod.status?.phase ?? 'Running'; // no phase reported: judged as running, as before
  const waits = [
    ...(pod.status?.initContainerStatuses ?? []).map((s) => waitingFinding(ns, name, s, true)),
    ...(pod.status?.containerStatuses ?? []).map((s) => waitingFinding(ns, name, s, false)),
  ].filter((f): f is Finding => f !== null);
  if (phase === 'Running') return { measured: true, notMeasured: null, findings: waits };
  if (phase === 'Succeeded') return { measured: false, notMeasured: phase, findings: [] };
  const findings = [...waits];
  const phased = phaseFinding(ns, pod, name);
  if (phased) findings.push(phased);
  if (phase === 'Pending') {
    const scheduling = unschedulable(ns, pod, name);
    if (scheduling) findings.push(scheduling);
    else if (!waits.length) findings.push(stillStarting(ns, pod, name, now));
  }
  return { measured: false, notMeasured: phase, findings };
}
