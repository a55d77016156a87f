import type { ChildProcess } from 'node:child_process';

export function freePort(): Promise<number>;

export interface RedisServer {
  port: number;
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Stops and starts again on the same port (an empty dataset, like a restarted cache). */
  restart(downForMs?: number): Promise<void>;
}
export function startRedis(port?: number): Promise<RedisServer>;

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
export function startPostgres(): Promise<PostgresCluster>;

/** A new, empty database in the suite's PostgreSQL, for one test file. */
export function createDatabase(prefix?: string): Promise<string>;
