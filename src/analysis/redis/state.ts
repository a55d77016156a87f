/**
 * What the cache's data rests on, as RedisInsight shows it: persistence (RDB snapshots,
 * AOF) and replication (a replica's link to its primary; a primary's replicas and their
 * lag). Read from INFO persistence and replication and CONFIG GET save/appendonly.
 */
import type { Finding } from '../../model.js';
import { span } from '../format.js';
import type { Check } from './judged.js';
import { n } from './metrics.js';

/** INFO text is the server's: a host name or state is cut to this length before it is shown. */
const short = (v: string | undefined) => (v ?? '?').slice(0, 100);

/** Redis refuses writes after a failed BGSAVE only with stop-writes-on-bgsave-error (the default) and save points set. */
function bgsaveFailed(s: Parameters<Check>[0]['s'], rdbOn: boolean): string | null {
  if (!s.info.rdb_last_bgsave_status || s.info.rdb_last_bgsave_status === 'ok') return null;
  const refuses = rdbOn && (s.config['stop-writes-on-bgsave-error'] ?? 'yes') === 'yes';
  return `the last RDB snapshot (BGSAVE) failed${refuses ? ': Redis refuses writes (MISCONF) until one succeeds' : ''}`;
}

/** Failed snapshots or AOF writes: critical where Redis refuses writes because of them. */
export const persistenceFailing: Check = ({ r, s }) => {
  const rdbOn = (s.config.save ?? '').trim() !== '';
  const aofOn = s.config.appendonly === 'yes' || s.info.aof_enabled === '1';
  const bgsave = bgsaveFailed(s, rdbOn);
  const failures = [
    bgsave,
    aofOn && s.info.aof_last_write_status && s.info.aof_last_write_status !== 'ok'
      ? 'the last AOF write failed: Redis refuses writes until the AOF can be written'
      : null,
    aofOn && s.info.aof_last_bgrewrite_status && s.info.aof_last_bgrewrite_status !== 'ok'
      ? 'the last AOF rewrite (BGREWRITEAOF) failed: the AOF keeps growing'
      : null,
  ].filter((f): f is string => f !== null);
  if (!failures.length) return null;
  return {
    severity: failures.some((f) => f.includes('refuses writes')) ? 'critical' : 'warning',
    check: 'redis.persistence-failing',
    resource: r,
    message: failures.join('; '),
    evidence: {
      rdb_last_bgsave_status: short(s.info.rdb_last_bgsave_status),
      aof_last_write_status: short(s.info.aof_last_write_status),
      aof_last_bgrewrite_status: short(s.info.aof_last_bgrewrite_status),
    },
    remedy:
      "Redis' log says why (disk full, permissions, fork refused for memory: vm.overcommit_memory = 1); fix it, then BGSAVE (or BGREWRITEAOF) and check the status again.",
  };
};

/** Whether anything is kept on disk, and how much would be lost to a crash now. */
export const persistence: Check = ({ r, s, now }) => {
  // CONFIG GET refused or renamed (managed Redis): what is configured is not known, so nothing is said.
  if (s.config.save === undefined && s.config.appendonly === undefined) return null;
  const save = (s.config.save ?? '').trim();
  const aofOn = s.config.appendonly === 'yes' || s.info.aof_enabled === '1';
  if (!save && !aofOn)
    return {
      severity: 'info',
      check: 'redis.persistence',
      resource: r,
      message: 'persistence off (no RDB save points, no AOF): a restart starts the cache empty',
    };
  // The server's clock where INFO gives it (Redis 6.2+), so clock skew does not age a save.
  const serverNow = n(s.info.server_time_usec) ? n(s.info.server_time_usec) / 1e6 : now.getTime() / 1000;
  const lastSave = n(s.info.rdb_last_save_time);
  const age = lastSave ? span(Math.max(0, serverNow - lastSave)) : '?';
  const parts = [
    save
      ? `RDB save points "${save.slice(0, 100)}": ${n(s.info.rdb_changes_since_last_save)} changes since the last save ${age} ago`
      : null,
    aofOn ? `AOF on (appendfsync ${short(s.config.appendfsync)})` : null,
  ].filter((p): p is string => p !== null);
  return {
    severity: 'info',
    check: 'redis.persistence',
    resource: r,
    message: parts.join('; '),
    evidence: { changesSinceSave: n(s.info.rdb_changes_since_last_save), lastSave: lastSave || null },
  };
};

interface Replica {
  name: string;
  state: string;
  lag: number;
  behind: number;
}

/** slaveN:ip=…,port=…,state=online,offset=…,lag=… lines (at most 100 read). */
function replicasOf(info: Record<string, string>): Replica[] {
  const master = n(info.master_repl_offset);
  return Object.entries(info)
    .filter(([k]) => /^slave\d+$/.test(k))
    .slice(0, 100)
    .map(([, v]) => {
      const f = Object.fromEntries(v.split(',').map((kv) => kv.split('=', 2) as [string, string]));
      return {
        name: `${short(f.ip)}:${short(f.port)}`,
        state: short(f.state),
        lag: n(f.lag),
        behind: Math.max(0, master - n(f.offset)),
      };
    });
}

function replicaLink({ r, s }: Parameters<Check>[0]): Finding {
  const i = s.info;
  const primary = `${short(i.master_host)}:${short(i.master_port)}`;
  if (i.master_link_status === 'up')
    return {
      severity: 'info',
      check: 'redis.replication',
      resource: r,
      message: `replica of ${primary}, link up (last I/O ${n(i.master_last_io_seconds_ago)} s ago)`,
    };
  const downFor = n(i.master_link_down_since_seconds);
  return {
    severity: 'critical',
    check: 'redis.replication-link',
    resource: r,
    message: `replica's link to its primary ${primary} is down ${downFor > 0 ? `for ${span(downFor)}` : '(it has not synced since it started)'}${i.master_sync_in_progress === '1' ? '; a sync is in progress' : ''}: it serves stale data and cannot take over`,
    evidence: { primary, downForSeconds: downFor > 0 ? downFor : null },
    remedy:
      "Check that the primary is up and reachable from the replica (network, masterauth, the primary's maxclients); the replica's log says why the link dropped.",
  };
}

/** A replica whose link is down is critical; on a primary, replicas that lag beyond `replicaLag` s are a warning. */
export const replication: Check = (x) => {
  const { r, s, t } = x;
  if (s.info.role === 'slave') return replicaLink(x);
  const replicas = replicasOf(s.info);
  if (!replicas.length) return null;
  const lagging = replicas.filter((p) => p.state === 'online' && p.lag > t.replicaLag);
  const listed = replicas
    .slice(0, 5)
    .map((p) => `${p.name} ${p.state}, lag ${p.lag} s, ${p.behind} bytes behind`)
    .join('; ');
  return {
    severity: lagging.length ? 'warning' : 'info',
    check: lagging.length ? 'redis.replica-lag' : 'redis.replication',
    resource: r,
    message: `${replicas.length} replicas connected${lagging.length ? `, ${lagging.length} lagging more than ${t.replicaLag} s` : ''}: ${listed}`,
    evidence: replicas,
    ...(lagging.length
      ? {
          remedy:
            "A lagging replica serves stale reads: check its network and load, and the primary's output buffer limits.",
        }
      : {}),
  };
};
