/**
 * Whether a Deployment has rolled out, judged the way `kubectl rollout status` does, and
 * which ReplicaSet `kubectl rollout undo` would go back to. Pure: API objects in, verdicts out.
 */
export interface DeploymentLike {
  metadata?: { name?: string; generation?: number; annotations?: Record<string, string>; uid?: string };
  spec?: { replicas?: number; template?: unknown; selector?: { matchLabels?: Record<string, string> } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

export interface ReplicaSetLike {
  metadata?: {
    name?: string;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ uid?: string; kind?: string }>;
  };
  spec?: {
    template?: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> } } & Record<
      string,
      unknown
    >;
  };
}

export type RolloutState = { done: true; message: string } | { done: false; failed: boolean; message: string };

/** kubectl's DeploymentStatusViewer, in words. */
export function rolloutStatus(d: DeploymentLike): RolloutState {
  const name = d.metadata?.name ?? '?';
  const s = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (s.observedGeneration ?? 0))
    return { done: false, failed: false, message: `waiting for deployment ${name} spec update to be observed` };
  const progressing = s.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return {
      done: false,
      failed: true,
      message: `deployment ${name} exceeded its progress deadline${progressing.message ? `: ${progressing.message}` : ''}`,
    };
  const wanted = d.spec?.replicas ?? 1;
  const updated = s.updatedReplicas ?? 0;
  if (updated < wanted)
    return {
      done: false,
      failed: false,
      message: `waiting for deployment ${name} rollout to finish: ${updated} out of ${wanted} new replicas have been updated`,
    };
  if ((s.replicas ?? 0) > updated)
    return {
      done: false,
      failed: false,
      message: `waiting for deployment ${name} rollout to finish: ${(s.replicas ?? 0) - updated} old replicas are pending termination`,
    };
  if ((s.availableReplicas ?? 0) < updated)
    return {
      done: false,
      failed: false,
      message: `waiting for deployment ${name} rollout to finish: ${s.availableReplicas ?? 0} of ${updated} updated replicas are available`,
    };
  return {
    done: true,
    message: `deployment ${name} successfully rolled out (${updated}/${wanted} updated, ${s.availableReplicas ?? 0} available)`,
  };
}

export const revisionOf = (o: { metadata?: { annotations?: Record<string, string> } }): number =>
  Number(o.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);

/** The ReplicaSet to roll back to: `toRevision`, or the newest one older than the current revision. */
export function undoTarget(
  d: DeploymentLike,
  replicaSets: ReplicaSetLike[],
  toRevision?: number,
): { replicaSet: ReplicaSetLike; revision: number } | { error: string } {
  const owned = replicaSets.filter(
    (rs) => !d.metadata?.uid || rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata!.uid),
  );
  const current = revisionOf(d);
  if (toRevision !== undefined) {
    const rs = owned.find((r) => revisionOf(r) === toRevision);
    return rs
      ? { replicaSet: rs, revision: toRevision }
      : {
          error: `revision ${toRevision} not found; revisions: ${
            owned
              .map(revisionOf)
              .sort((a, b) => a - b)
              .join(', ') || 'none'
          }`,
        };
  }
  const previous = owned
    .filter((r) => revisionOf(r) < current && revisionOf(r) > 0)
    .sort((a, b) => revisionOf(b) - revisionOf(a))[0];
  return previous
    ? { replicaSet: previous, revision: revisionOf(previous) }
    : { error: `no revision before ${current} to roll back to` };
}

/** The pod template of a ReplicaSet as the Deployment should carry it (without the hash label). */
export function templateForUndo(rs: ReplicaSetLike): unknown {
  const template = structuredClone(rs.spec?.template ?? {});
  if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
  return template;
}
