/**
 * Changes opscron must undo later (`pending_reverts`: debug-logging's LOG_LEVEL): recorded
 * before the change is made, so the undo happens even if opscron restarts in between.
 */
import type { Sql } from './sql.js';

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

interface Row {
  id: string;
  namespace: string;
  configmap: string;
  key: string;
  previous: string | null;
  value: string;
  revert_at: Date;
  restart_deployment: string | null;
}

const fromRow = (r: Row): PendingRevert => ({
  id: r.id,
  namespace: r.namespace,
  configmap: r.configmap,
  key: r.key,
  previous: r.previous,
  value: r.value,
  revertAt: new Date(r.revert_at),
  restartDeployment: r.restart_deployment,
});

/** Reverts to make: recorded, listed, claimed when due. */
export class RevertRepository {
  constructor(private readonly sql: Sql) {}

  /** Records (or extends) a revert; returns the value to restore, which an earlier pending revert keeps. */
  async schedule(
    r: Omit<PendingRevert, 'id'> & { runId?: string; now: Date },
  ): Promise<{ previous: string | null; extended: boolean }> {
    const id = `${r.namespace}/${r.configmap}/${r.key}`;
    const upsert = `insert into pending_reverts (id, namespace, configmap, key, previous, value, revert_at, restart_deployment, created_at, run_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       on conflict (id) do update set revert_at = excluded.revert_at, value = excluded.value, restart_deployment = coalesce(excluded.restart_deployment, pending_reverts.restart_deployment)`;
    const params = [
      id,
      r.namespace,
      r.configmap,
      r.key,
      r.previous,
      r.value,
      r.revertAt,
      r.restartDeployment,
      r.now,
      r.runId ?? null,
    ];
    if (this.sql.kind === 'sqlite') {
      // One process, one connection: no one can come between the look and the upsert.
      const { rows: before } = await this.sql.query('select 1 from pending_reverts where id = $1', [id]);
      const { rows } = await this.sql.query<{ previous: string | null }>(`${upsert} returning previous`, params);
      return { previous: rows[0]!.previous, extended: before.length > 0 };
    }
    const { rows } = await this.sql.query<{ previous: string | null; inserted: boolean }>(
      `${upsert} returning previous, (xmax = 0) as inserted`,
      params,
    );
    return { previous: rows[0]!.previous, extended: !rows[0]!.inserted };
  }

  async pending(): Promise<PendingRevert[]> {
    const { rows } = await this.sql.query<Row>('select * from pending_reverts order by revert_at');
    return rows.map(fromRow);
  }

  async dueIds(now: Date): Promise<string[]> {
    const { rows } = await this.sql.query<{ id: string }>(
      'select id from pending_reverts where revert_at <= $1 order by revert_at',
      [now],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Claims one due revert (FOR UPDATE SKIP LOCKED: one replica does it) and runs `undo`
   * while holding it; the record is deleted when `undo` succeeds, kept when it throws.
   * Resolves to the revert done, or null if another replica has it or it is no longer due.
   */
  async claim(id: string, now: Date, undo: (revert: PendingRevert) => Promise<void>): Promise<PendingRevert | null> {
    const step = async (q: Pick<Sql, 'query'>) => {
      const { rows } = await q.query<Row>(
        'select * from pending_reverts where id = $1 and revert_at <= $2 for update skip locked',
        [id, now],
      );
      if (!rows[0]) return null;
      const revert = fromRow(rows[0]);
      await undo(revert);
      await q.query('delete from pending_reverts where id = $1', [id]);
      return revert;
    };
    // The embedded store has no other replica to race, and a transaction there would hold
    // every other statement (the run history's among them) while `undo` talks to Kubernetes.
    return this.sql.kind === 'sqlite' ? step(this.sql) : this.sql.transaction(step);
  }
}
