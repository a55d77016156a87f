/**
 * Undoing temporary changes on time: debug-logging records what it changed and when to
 * put it back (the store's reverts); worker processes check every few seconds and revert
 * what is due — claimed so that one replica does it, and still done after a restart
 * because the record is in the store, not in memory. Each revert is audited.
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

  /** Reverts everything due; returns what it reverted. */
  async runOnce(): Promise<string[]> {
    const now = new Date(this.clock.now());
    const done: string[] = [];
    for (const id of await this.o.store.reverts.dueIds(now)) {
      const reverted = await this.o.store.reverts.claim(id, now, (revert) => this.undo(revert, now));
      if (!reverted) continue;
      // After the commit: the embedded store runs one transaction at a time.
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

  private async undo(r: PendingRevert, now: Date): Promise<void> {
    const kube = await kubeFor(this.o.config);
    const body = { data: { [r.key]: r.previous } }; // null removes a key that did not exist before
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
  }
}
