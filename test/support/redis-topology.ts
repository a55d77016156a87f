/**
 * Real Redis topologies for the tests, from the installed redis-server on free ports in temp
 * directories: a Sentinel set (a primary, a replica, three sentinels with short timeouts, so a
 * failover takes seconds) and a Cluster of three primaries (`redis-cli --cluster create`).
 * Everything started here is stopped (SIGKILL) and its directory removed by `stop()`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, startRedis, type RedisServer } from './services.mjs';
import { eventually } from './target.js';

const run = promisify(execFile);

/** One command on the server at `port`, on a connection opened for it. */
export async function command(port: number, ...args: (string | number)[]): Promise<unknown> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    client.disconnect();
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

export interface SentinelSet {
  master: string;
  sentinels: { host: string; port: number }[];
  /** The two data servers; which is primary changes with a failover. */
  servers: RedisServer[];
  /** The port of the server the sentinels name as primary now. */
  primaryPort(): Promise<number>;
  /**
   * SENTINEL FAILOVER, then waits until every sentinel names the other server and that server
   * says it is the primary. Returns how long that took (ms).
   */
  failover(): Promise<number>;
  /** SIGKILLs the primary, then waits as {@link failover} does. Returns how long that took (ms). */
  killPrimary(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A primary, its replica and three sentinels (quorum 2). down-after 1 s and failover-timeout
 * 5 s keep a failover to seconds; `start` waits until every sentinel knows the replica and
 * the other two sentinels, so a failover can be elected at once.
 */
export async function startSentinelSet(master = 'opscron-test'): Promise<SentinelSet> {
  const primary = await startRedis();
  const replica = await startRedis(undefined, ['--replicaof', '127.0.0.1', String(primary.port)]);
  const dir = mkdtempSync(join(tmpdir(), 'opscron-sentinel-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopProcess));
    await Promise.all([primary.stop(), replica.stop()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const file = join(dir, `sentinel-${i}.conf`);
      // Sentinel rewrites its file as it learns the set: it must be its own and writable.
      writeFileSync(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${master} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${master} 1000`,
          `sentinel failover-timeout ${master} 5000`,
          `sentinel parallel-syncs ${master} 1`,
          '',
        ].join('\n'),
      );
      children.push(spawn('redis-server', [file, '--sentinel'], { stdio: 'ignore' }));
      ports.push(port);
    }
    await eventually(
      async () => {
        for (const port of ports) {
          const replicas = (await command(port, 'SENTINEL', 'REPLICAS', master)) as unknown[];
          const others = (await command(port, 'SENTINEL', 'SENTINELS', master)) as unknown[];
          if (replicas.length !== 1 || others.length !== 2) return false;
        }
        return true;
      },
      'three sentinels that know the replica and each other',
      30_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const primaryPort = async () => {
    const [, port] = (await command(ports[0]!, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', master)) as string[];
    return Number(port);
  };
  return {
    master,
    sentinels: ports.map((port) => ({ host: '127.0.0.1', port })),
    servers: [primary, replica],
    primaryPort,
    failover: async () => {
      const before = await primaryPort();
      const took = await switchOver(() => command(ports[0]!, 'SENTINEL', 'FAILOVER', master));
      // The old primary, now a replica, synced (its own INFO; a sentinel refreshes its view of
      // replicas every 10 s) and known to every sentinel as a replica: ready for another failover.
      await eventually(
        async () => {
          const info = String(await command(before, 'INFO', 'replication'));
          if (!/role:slave/.test(info) || !/master_link_status:up/.test(info)) return false;
          for (const port of ports) {
            const [fields] = (await command(port, 'SENTINEL', 'REPLICAS', master)) as string[][];
            if (fields?.[fields.indexOf('flags') + 1] !== 'slave') return false;
          }
          return true;
        },
        'the old primary to be a synced replica',
        20_000,
      );
      return took;
    },
    killPrimary: () =>
      switchOver(async (before) => {
        const server = [primary, replica].find((s) => s.port === before)!;
        await stopProcess(server.process);
      }),
    stop,
  };

  async function switchOver(act: (before: number) => Promise<unknown>): Promise<number> {
    const before = await primaryPort();
    const started = Date.now();
    await act(before);
    await eventually(
      async () => {
        for (const port of ports) {
          const [, named] = (await command(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', master)) as string[];
          if (Number(named) === before) return false;
        }
        const [role] = (await command(await primaryPort(), 'ROLE')) as string[];
        return role === 'master';
      },
      'every sentinel to name the new primary',
      20_000,
    );
    return Date.now() - started;
  }
}

export interface RedisClusterSet {
  nodes: RedisServer[];
  stop(): Promise<void>;
}

/** Three cluster-enabled servers joined into one Cluster of three primaries (no replicas). */
export async function startRedisCluster(): Promise<RedisClusterSet> {
  const nodes: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    for (let i = 0; i < 3; i++)
      nodes.push(
        await startRedis(undefined, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          'nodes.conf',
          '--cluster-node-timeout',
          '2000',
        ]),
      );
    await run(
      'redis-cli',
      ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: 30_000 },
    );
    await eventually(
      async () => {
        for (const n of nodes) {
          const info = String(await command(n.port, 'CLUSTER', 'INFO'));
          if (!/cluster_state:ok/.test(info) || !/cluster_known_nodes:3/.test(info)) return false;
        }
        return true;
      },
      'the cluster to be ok on every node',
      30_000,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, stop };
}
