/**
 * Persistence and replication as cache-health judges them, on INFO recorded from
 * redis-server 7.0.15 (a primary with a replica syncing and online, the replica with its
 * link up and then down after the primary was killed) and on failure states Redis reports.
 */
import { judgeRedisHealth, redisInterval, redisKept, type RedisSnapshot } from '../../src/analysis/redis.js';
import { parseInfo } from '../../src/integrations/redis-info.js';

const NOW = new Date('2026-12-01T10:00:00Z');
const thresholds = { hitRatio: 0.8, memoryWarn: 0.9, memoryCritical: 0.98, replicaLag: 10 };

const PERSISTENCE = `# Persistence\r
loading:0\r
rdb_changes_since_last_save:2000\r
rdb_bgsave_in_progress:0\r
rdb_last_save_time:${NOW.getTime() / 1000 - 3 * 3600}\r
rdb_last_bgsave_status:ok\r
aof_enabled:0\r
aof_last_bgrewrite_status:ok\r
aof_last_write_status:ok\r
`;

const PRIMARY = `# Replication\r
role:master\r
connected_slaves:1\r
slave0:ip=127.0.0.1,port=6392,state=online,offset=14,lag=0\r
master_repl_offset:14\r
`;

const REPLICA_DOWN = `# Replication\r
role:slave\r
master_host:127.0.0.1\r
master_port:6391\r
master_link_status:down\r
master_last_io_seconds_ago:-1\r
master_sync_in_progress:0\r
slave_repl_offset:14\r
master_link_down_since_seconds:2\r
`;

function snapshot(info: string, config: Record<string, string> = {}): RedisSnapshot {
  return {
    info: parseInfo(`uptime_in_seconds:3600\r\nused_memory:1048576\r\n${info}`),
    config: {
      maxmemory: String(2 ** 30),
      'maxmemory-policy': 'allkeys-lru',
      'latency-monitor-threshold': '100',
      ...config,
    },
    memoryDoctor: '',
    latencyDoctor: '',
    slowlog: { length: 0, entries: [] },
  };
}
const judge = (s: RedisSnapshot, t = thresholds) =>
  judgeRedisHealth('sessions', s, t, redisInterval(null, redisKept(s, NOW), s), NOW).filter((f) =>
    /persistence|replica/.test(f.check),
  );

describe('persistence', () => {
  it('says "persistence off" (info) with no save points and no AOF', () => {
    expect(judge(snapshot(PERSISTENCE, { save: '', appendonly: 'no' }))).toEqual([
      expect.objectContaining({
        severity: 'info',
        check: 'redis.persistence',
        message: 'persistence off (no RDB save points, no AOF): a restart starts the cache empty',
      }),
    ]);
  });

  it('with RDB on, gives the changes since the last save and its age', () => {
    expect(judge(snapshot(PERSISTENCE, { save: '3600 1 300 100 60 10000', appendonly: 'no' }))).toEqual([
      expect.objectContaining({
        severity: 'info',
        message: 'RDB save points "3600 1 300 100 60 10000": 2000 changes since the last save 3 h ago',
      }),
    ]);
  });

  it('a failed BGSAVE is critical while Redis refuses writes for it, a warning when it does not', () => {
    const failed = PERSISTENCE.replace('rdb_last_bgsave_status:ok', 'rdb_last_bgsave_status:err');
    const [refusing] = judge(snapshot(failed, { save: '3600 1', appendonly: 'no' }));
    expect(refusing).toMatchObject({
      severity: 'critical',
      check: 'redis.persistence-failing',
      message: 'the last RDB snapshot (BGSAVE) failed: Redis refuses writes (MISCONF) until one succeeds',
    });
    const [tolerant] = judge(
      snapshot(failed, { save: '3600 1', appendonly: 'no', 'stop-writes-on-bgsave-error': 'no' }),
    );
    expect(tolerant).toMatchObject({ severity: 'warning', message: 'the last RDB snapshot (BGSAVE) failed' });
  });

  it('a failed AOF write is critical; a failed AOF rewrite a warning', () => {
    const aof = PERSISTENCE.replace('aof_enabled:0', 'aof_enabled:1');
    const write = judge(
      snapshot(aof.replace('aof_last_write_status:ok', 'aof_last_write_status:err'), { save: '', appendonly: 'yes' }),
    );
    expect(write[0]).toMatchObject({
      severity: 'critical',
      message: expect.stringMatching(/^the last AOF write failed/),
    });
    const rewrite = judge(
      snapshot(aof.replace('aof_last_bgrewrite_status:ok', 'aof_last_bgrewrite_status:err'), {
        save: '',
        appendonly: 'yes',
      }),
    );
    expect(rewrite[0]).toMatchObject({ severity: 'warning', message: expect.stringMatching(/^the last AOF rewrite/) });
  });

  it('says nothing when CONFIG GET did not say what is configured', () => {
    expect(judge(snapshot(PERSISTENCE))).toEqual([]);
  });
});

describe('replication', () => {
  it('a replica whose link to its primary is down is critical, with how long it has been down', () => {
    expect(judge(snapshot(REPLICA_DOWN))).toEqual([
      expect.objectContaining({
        severity: 'critical',
        check: 'redis.replication-link',
        message:
          "replica's link to its primary 127.0.0.1:6391 is down for 2 s: it serves stale data and cannot take over",
      }),
    ]);
    const never = REPLICA_DOWN.replace('master_link_down_since_seconds:2', 'master_link_down_since_seconds:-1');
    expect(judge(snapshot(never))[0]!.message).toMatch(/is down \(it has not synced since it started\)/);
  });

  it('a replica with its link up is info', () => {
    const up = REPLICA_DOWN.replace('master_link_status:down', 'master_link_status:up').replace(
      'master_last_io_seconds_ago:-1',
      'master_last_io_seconds_ago:1',
    );
    expect(judge(snapshot(up))).toEqual([
      expect.objectContaining({ severity: 'info', message: 'replica of 127.0.0.1:6391, link up (last I/O 1 s ago)' }),
    ]);
  });

  it('a primary lists its replicas, and warns of one lagging beyond replicaLag', () => {
    expect(judge(snapshot(PRIMARY))).toEqual([
      expect.objectContaining({
        severity: 'info',
        check: 'redis.replication',
        message: '1 replicas connected: 127.0.0.1:6392 online, lag 0 s, 0 bytes behind',
      }),
    ]);
    const lagging = PRIMARY.replace('offset=14,lag=0', 'offset=4,lag=31');
    expect(judge(snapshot(lagging))).toEqual([
      expect.objectContaining({
        severity: 'warning',
        check: 'redis.replica-lag',
        message: '1 replicas connected, 1 lagging more than 10 s: 127.0.0.1:6392 online, lag 31 s, 10 bytes behind',
      }),
    ]);
    expect(judge(snapshot(lagging), { ...thresholds, replicaLag: 60 })[0]!.severity).toBe('info');
  });

  it('a primary without replicas says nothing about replication', () => {
    expect(judge(snapshot('role:master\r\nconnected_slaves:0\r\n'))).toEqual([]);
  });
});
