/**
 * rollout: the runbook's `kubectl rollout status | restart | undo` on a service's deployment.
 * verify judges the rollout as `kubectl rollout status` does and waits for it; restart
 * makes the same annotation patch `kubectl rollout restart` makes; undo goes back to the
 * previous ReplicaSet revision (or toRevision) as `kubectl rollout undo`. restart and undo
 * are destructive: they need confirm: true and are audited; both then wait for the new
 * rollout and report how it went.
 */
import { z } from 'zod';
import { rolloutStatus, templateForUndo, undoTarget } from '../analysis/rollout.js';
import { duration } from '../config/schema.js';
import { InvalidRunError } from '../errors.js';
import { kubeCall, kubeFor, PatchStrategy, type Kube } from '../integrations/kube.js';
import { deploymentOf } from './service.js';
import { defineJob, type Finding, type JobContext, type JobOutcome } from './types.js';

/** The action, the deployment (by service, or namespace and name), and how long to wait for it. */
export const rolloutParams = z.strictObject({
  action: z.enum(['verify', 'restart', 'undo']).default('verify'),
  service: z.string().optional(),
  namespace: z.string().optional(),
  deployment: z.string().optional(),
  /** undo: the revision to go back to (default: the previous one). */
  toRevision: z.number().int().min(1).optional(),
  /** How long to wait for the rollout to finish. */
  wait: duration.default(300_000),
  pollInterval: duration.default(2_000),
});
type Params = z.output<typeof rolloutParams>;
type Deployment = Awaited<ReturnType<Kube['apps']['readNamespacedDeployment']>>;
/** The deployment acted on; `resource` names it in findings and messages. */
type Target = { namespace: string; name: string; resource: string };

/** kubectl rollout status, restart or undo on a deployment; restart and undo need confirm. */
export const rollout = defineJob({
  type: 'rollout',
  summary: 'kubectl rollout status / restart / undo for a deployment (restart and undo are destructive)',
  params: rolloutParams,
  feeds: { incidentEvidence: true },
  overridable: ['action', 'toRevision', 'wait', 'pollInterval'],
  destructive: (params) => params.action !== 'verify',
  async run(ctx, params) {
    const kube = await kubeFor(ctx.config);
    const target = deploymentOf(ctx, params);
    const read = () =>
      kubeCall(`get ${target.resource}`, () =>
        kube.apps.readNamespacedDeployment({ name: target.name, namespace: target.namespace }),
      );
    const before = await read();
    let did = '';
    if (params.action === 'restart') {
      const at = ctx.now().toISOString();
      const body = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } };
      await kubeCall(`restart ${target.resource}`, () =>
        kube.apps.patchNamespacedDeployment(
          { name: target.name, namespace: target.namespace, body },
          kube.patchAs(PatchStrategy.StrategicMergePatch),
        ),
      );
      did = `restarted (restartedAt ${at}); `;
    } else if (params.action === 'undo') {
      did = await undo(kube, target, before, params.toRevision);
    }
    return verify(ctx, kube, target, read, params, did);
  },
});

async function undo(kube: Kube, target: Target, deployment: Deployment, toRevision?: number): Promise<string> {
  const selector = Object.entries(deployment.spec?.selector?.matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const sets = await kubeCall(`list replicasets of ${target.resource}`, () =>
    kube.apps.listNamespacedReplicaSet({ namespace: target.namespace, labelSelector: selector || undefined }),
  );
  const chosen = undoTarget(deployment as never, sets.items as never, toRevision);
  if ('error' in chosen) throw new InvalidRunError(`cannot undo ${target.resource}: ${chosen.error}`);
  // kubectl's rollback: the old template, as a JSON patch guarded by the version we read.
  const body = [
    { op: 'test', path: '/metadata/resourceVersion', value: deployment.metadata?.resourceVersion },
    { op: 'replace', path: '/spec/template', value: templateForUndo(chosen.replicaSet) },
  ];
  await kubeCall(`undo ${target.resource}`, () =>
    kube.apps.patchNamespacedDeployment(
      { name: target.name, namespace: target.namespace, body },
      kube.patchAs(PatchStrategy.JsonPatch),
    ),
  );
  return `rolled back to revision ${chosen.revision} (${chosen.replicaSet.metadata?.name}); `;
}

/** Reads the deployment until it has rolled out, failed, or `params.wait` ran out; one poll per pollInterval. */
async function verify(
  ctx: JobContext,
  kube: Kube,
  target: Target,
  read: () => ReturnType<Kube['apps']['readNamespacedDeployment']>,
  params: Params,
  did: string,
): Promise<JobOutcome> {
  const started = ctx.now().getTime();
  for (;;) {
    const d = await read();
    const state = rolloutStatus(d as never);
    const metrics = rolloutMetrics(d);
    const findings = availabilityFindings(d, target);
    if (state.done) {
      return {
        status: findings.length ? 'critical' : 'ok',
        summary: `${did}${state.message}`,
        findings: [
          { severity: 'info', check: 'rollout.status', resource: target.resource, message: state.message },
          ...findings,
        ],
        metrics,
      };
    }
    if (state.failed || ctx.now().getTime() - started >= params.wait) {
      findings.push({
        severity: 'critical',
        check: 'rollout.status',
        resource: target.resource,
        message: state.failed ? state.message : `not rolled out after ${params.wait} ms: ${state.message}`,
        remedy: `kubectl describe deployment ${target.name} -n ${target.namespace} and its new pods show what blocks it; roll back with action: undo (confirm: true).`,
      });
      return { status: 'critical', summary: `${did}${findings[findings.length - 1]!.message}`, findings, metrics };
    }
    ctx.progress(Math.min(0.99, (ctx.now().getTime() - started) / params.wait), state.message);
    await ctx.sleep(params.pollInterval);
  }
}

function rolloutMetrics(d: Deployment): Record<string, number> {
  return {
    replicas: d.spec?.replicas ?? 0,
    updated: d.status?.updatedReplicas ?? 0,
    available: d.status?.availableReplicas ?? 0,
    revision: Number(d.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0),
  };
}

/** The deployment's Available condition when it is False: too few pods serve, rolled out or not. */
function availabilityFindings(d: Deployment, target: Target): Finding[] {
  const available = d.status?.conditions?.find((c) => c.type === 'Available');
  if (available?.status !== 'False') return [];
  return [
    {
      severity: 'critical',
      check: 'rollout.available',
      resource: target.resource,
      message: `not available: ${available.reason ?? ''} ${available.message ?? ''}`.trim(),
      remedy: 'Check the pods (kubectl describe, logs); roll back with action: undo if the new version is the cause.',
    },
  ];
}
