/**
 * Undoing temporary changes on time: debug-logging records what it changed and when to
 * put it back (the store's reverts); worker processes check every few seconds and revert
 * what is due — claimed so that one replica does it, and still done after a restart
 * because the record is in the store, not in memory. Each revert is audited.
 *
 * Before it puts a value back it reads the key: if it no longer holds the value opscron
 * set, someone changed it by hand during the TTL — that change is theirs and stays. The
 * record is closed without a write or a restart, and the audit log and the log say why.
 */
import { systemClock, type Clock } from '../clock.js';
import type { OpscronConfig } from '../config/schema.js';
import { kubeCall, kubeFor, PatchStrategy } from '../integrations/kube.js';
import { startLoop, type Loop } from '../loop.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/index.js';
import type { PendingRevert } from '../store/reverts.js';

export const REVERT_ACTOR = 'opscron/debug-logging';

export interface ReverterDeps {
  config: OpscronConfig;
  store: Pick<Store, 'reverts' | 'audit'>;
  logger: Logger;
  clock?: Clock;
  intervalMs?: number;
}

export class Reverter {
  private loop: Loop | null = null;
  private readonly clock: Clock;

  constructor(private readonly o: ReverterDeps) {
    this.clock = o.clock ?? systemClock;
  }

  start(): void {
    this.loop ??= startLoop({
      clock: this.clock,
      intervalMs: this.o.intervalMs ?? 10_000,
      step: async () => {
        await this.runOnce();
      },
      onError: (error) => this.o.logger.warn({ err: error }, 'could not revert due changes'),
    });
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
    this.loop = null;
  }

  /** Reverts everything due; returns what it reverted (not what it left because someone changed it since). */
  async runOnce(): Promise<string[]> {
    const now = new Date(this.clock.now());
    const done: string[] = [];
    for (const id of await this.o.store.reverts.dueIds(now)) {
      let found: string | null | undefined;
      const reverted = await this.o.store.reverts.claim(id, now, async (revert) => {
        found = await this.undo(revert, now);
      });
      if (!reverted) continue;
      // After the commit: the embedded store runs one transaction at a time.
      if (found !== undefined) {
        await this.leftAlone(reverted, found);
        continue;
      }
      await this.o.store.audit.write({
        actor: REVERT_ACTOR,
        source: 'scheduler',
        action: 'revert',
        jobId: null,
        params: {
          configmap: `${reverted.namespace}/${reverted.configmap}`,
          key: reverted.key,
          from: reverted.value,
          to: reverted.previous,
          restart: reverted.restartDeployment,
        },
        reason: 'debug-logging TTL expired',
      });
      this.o.logger.info(
        { configmap: `${reverted.namespace}/${reverted.configmap}`, key: reverted.key, to: reverted.previous },
        'reverted a temporary change',
      );
      done.push(id);
    }
    return done;
  }

  /** A key changed by someone else during the TTL: recorded as left alone, with what it holds. */
  private async leftAlone(r: PendingRevert, found: string | null): Promise<void> {
    const holds = found === null ? 'no value (the key or the ConfigMap was removed)' : `"${found}"`;
    const reason = `not reverted: ${r.key} in configmap ${r.namespace}/${r.configmap} holds ${holds}, not "${r.value}" as debug-logging set it — changed by someone during the TTL, so their change stays (no restart)`;
    await this.o.store.audit.write({
      actor: REVERT_ACTOR,
      source: 'scheduler',
      action: 'revert-skipped',
      jobId: null,
      params: {
        configmap: `${r.namespace}/${r.configmap}`,
        key: r.key,
        set: r.value,
        found,
        wouldRestore: r.previous,
        restart: r.restartDeployment,
      },
      reason,
    });
    this.o.logger.warn({ configmap: `${r.namespace}/${r.configmap}`, key: r.key, set: r.value, found }, reason);
  }

  /**
   * Puts the previous value back if the key still holds the one opscron set, guarded by the
   * resourceVersion just read (an edit in between fails the patch; the record stays for the
   * next try). Resolves to undefined when reverted, or to what the key holds when it was left.
   */
  private async undo(r: PendingRevert, now: Date): Promise<string | null | undefined> {
    const kube = await kubeFor(this.o.config);
    const current = await kubeCall(`get configmap/${r.namespace}/${r.configmap}`, () =>
      kube.core.readNamespacedConfigMap({ name: r.configmap, namespace: r.namespace }),
    ).catch((error: { httpStatus?: number }) => {
      if (error.httpStatus === 404) return null; // deleted since: nothing of ours is left to put back
      throw error;
    });
    const holds = current?.data?.[r.key] ?? null;
    if (holds !== r.value) return holds;
    const resourceVersion = current?.metadata?.resourceVersion;
    const body = { metadata: { resourceVersion }, data: { [r.key]: r.previous } }; // null removes a key that did not exist before
    await kubeCall(`revert configmap/${r.namespace}/${r.configmap}`, () =>
      kube.core.patchNamespacedConfigMap(
        { name: r.configmap, namespace: r.namespace, body },
        kube.patchAs(PatchStrategy.MergePatch),
      ),
    );
    if (r.restartDeployment) {
      const restart = {
        spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': now.toISOString() } } } },
      };
      await kubeCall(`restart deployment/${r.namespace}/${r.restartDeployment}`, () =>
        kube.apps.patchNamespacedDeployment(
          { name: r.restartDeployment!, namespace: r.namespace, body: restart },
          kube.patchAs(PatchStrategy.StrategicMergePatch),
        ),
      );
    }
    return undefined;
  }
}
