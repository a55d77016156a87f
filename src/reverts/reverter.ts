/**
 * Undoing temporary changes on time: debug-logging records what it changed and when to
 * put it back (pending_reverts); worker processes check every few seconds and revert what
 * is due — claimed with SKIP LOCKED so one replica does it, and still done after a restart
 * because the record is in the store, not in memory. Each revert is audited.
 */
import type { OpscronConfig } from '../config/schema.js';
import { kubeCall, kubeFor, PatchStrategy } from '../integrations/kube.js';
import type { Logger } from '../observability/logger.js';
import { writeAudit } from '../store/audit.js';
import type { Sql } from '../store/sql.js';

export interface PendingRevert {
  id: string;
  namespace: string;
  configmap: string;
  key: string;
  previous: string | null;
  value: string;
  revertAt: Date;
  restartDeployment: string | null;
}

export const REVERT_ACTOR = 'opscron/debug-logging';

/** Records (or extends) a revert; returns the value to restore, which an earlier pending revert keeps. */
export async function scheduleRevert(sql: Sql, r: Omit<PendingRevert, 'id'> & { runId?: string; now: Date }): Promise<{ previous: string | null; extended: boolean }> {
  const id = `${r.namespace}/${r.configmap}/${r.key}`;
  const { rows } = await sql.query<{ previous: string | null; inserted: boolean }>(
    `insert into pending_reverts (id, namespace, configmap, key, previous, value, revert_at, restart_deployment, created_at, run_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     on conflict (id) do update set revert_at = excluded.revert_at, value = excluded.value, restart_deployment = coalesce(excluded.restart_deployment, pending_reverts.restart_deployment)
     returning previous, (xmax = 0) as inserted`,
    [id, r.namespace, r.configmap, r.key, r.previous, r.value, r.revertAt, r.restartDeployment, r.now, r.runId ?? null],
  );
  return { previous: rows[0]!.previous, extended: !rows[0]!.inserted };
}

export async function pendingReverts(sql: Sql): Promise<PendingRevert[]> {
  const { rows } = await sql.query<{ id: string; namespace: string; configmap: string; key: string; previous: string | null; value: string; revert_at: Date; restart_deployment: string | null }>('select * from pending_reverts order by revert_at');
  return rows.map((r) => ({ id: r.id, namespace: r.namespace, configmap: r.configmap, key: r.key, previous: r.previous, value: r.value, revertAt: new Date(r.revert_at), restartDeployment: r.restart_deployment }));
}

export class Reverter {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(private readonly o: { config: OpscronConfig; sql: Sql; logger: Logger; now?: () => Date; intervalMs?: number }) {}

  start(): void {
    const tick = () => {
      this.running = this.runOnce().catch((error) => this.o.logger.warn({ err: error }, 'could not revert due changes')).finally(() => {
        this.running = null;
        if (this.timer) this.timer = setTimeout(tick, this.o.intervalMs ?? 10_000);
      });
    };
    this.timer = setTimeout(tick, 0);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Reverts everything due; returns what it reverted. */
  async runOnce(): Promise<string[]> {
    const now = this.o.now?.() ?? new Date();
    const done: string[] = [];
    const due = await this.o.sql.query<{ id: string }>('select id from pending_reverts where revert_at <= $1 order by revert_at', [now]);
    for (const { id } of due.rows) {
      const reverted = await this.o.sql.transaction(async (q) => {
        const { rows } = await q.query<{ namespace: string; configmap: string; key: string; previous: string | null; value: string; restart_deployment: string | null }>('select * from pending_reverts where id = $1 and revert_at <= $2 for update skip locked', [id, now]);
        const r = rows[0];
        if (!r) return null;
        const kube = await kubeFor(this.o.config);
        const body = { data: { [r.key]: r.previous } }; // null removes a key that did not exist before
        await kubeCall(`revert configmap/${r.namespace}/${r.configmap}`, () => kube.core.patchNamespacedConfigMap({ name: r.configmap, namespace: r.namespace, body }, kube.patchAs(PatchStrategy.MergePatch)));
        if (r.restart_deployment) {
          const restart = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': now.toISOString() } } } } };
          await kubeCall(`restart deployment/${r.namespace}/${r.restart_deployment}`, () => kube.apps.patchNamespacedDeployment({ name: r.restart_deployment!, namespace: r.namespace, body: restart }, kube.patchAs(PatchStrategy.StrategicMergePatch)));
        }
        await q.query('delete from pending_reverts where id = $1', [id]);
        return r;
      });
      if (!reverted) continue;
      // After the commit: the embedded store runs one transaction at a time.
      await writeAudit(this.o.sql, { actor: REVERT_ACTOR, source: 'scheduler', action: 'revert', jobId: null, params: { configmap: `${reverted.namespace}/${reverted.configmap}`, key: reverted.key, from: reverted.value, to: reverted.previous, restart: reverted.restart_deployment }, reason: 'debug-logging TTL expired' });
      this.o.logger.info({ configmap: `${reverted.namespace}/${reverted.configmap}`, key: reverted.key, to: reverted.previous }, 'reverted a temporary change');
      done.push(id);
    }
    return done;
  }
}
