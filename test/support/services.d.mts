import type { ChildProcess } from 'node:child_process';

export function freePort(): Promise<number>;

export interface RedisServer {
  port: number;
  /** Its working directory (dump.rdb, appendonly files). */
  dir: string;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Stops and starts again on the same port (an empty dataset, like a restarted cache). */
  restart(downForMs?: number): Promise<void>;
}
/** TLS for a private redis-server: its certificate, and the CA its clients must present a certificate from. */
export interface RedisTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
  /** What redis-cli presents while the helper waits for the server. */
  clientCertFile: string;
  clientKeyFile: string;
}
/** `args`: more redis-server arguments, e.g. `['--replicaof', '127.0.0.1', '6380']`; `tls`: TLS only, clients verified. */
export function startRedis(port?: number, args?: string[], options?: { tls?: RedisTlsFiles }): Promise<RedisServer>;

export interface PostgresCluster {
  port: number;
  dir: string;
  url(database: string): string;
  /** Stops the server as a crash would (immediate mode). */
  crash(): void;
  /** Starts it again on the same port and data. */
  start(): void;
  stop(): void;
}
/** `ssl`: TLS with this certificate and key, TCP connections without TLS refused. */
export function startPostgres(options?: { ssl?: { certFile: string; keyFile: string } }): Promise<PostgresCluster>;

/** A new, empty database in the suite's PostgreSQL, for one test file. */
export function createDatabase(prefix?: string): Promise<string>;
