/** What the commands share: the configuration they were pointed at, who is acting, the store. */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { loadConfig } from '../configure.js';
import type { OpscronConfig } from '../config/schema.js';
import { OpscronError } from '../errors.js';
import { advertisedApi } from '../local-api.js';
import { openStore, type Store } from '../store/index.js';
import { localServer, type Server } from './remote.js';

export interface CliContext {
  /** Loads the configuration named by --config (or $OPSCRON_CONFIG, or the default). */
  config(): Promise<OpscronConfig>;
  /** The actor recorded for what this command does: $OPSCRON_ACTOR, or <user>@cli. */
  actor(): string;
}

export function cliContext(program: Command): CliContext {
  return {
    config: () => loadConfig({ path: program.opts<{ config?: string }>().config }),
    actor: () => process.env.OPSCRON_ACTOR ?? `${userInfo().username}@cli`,
  };
}

/** Collects a repeatable option (--set a=1 --set b=2). */
export const collect = (value: string, previous: string[]) => [...previous, value];

/** Opens the configured store for one command and closes it after, whatever happens. */
export async function withStore<T>(cfg: OpscronConfig, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({
    databaseUrl: cfg.store.databaseUrl,
    path: cfg.store.path,
    poolMode: cfg.store.poolMode,
  });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const heldByOpscron = (error: unknown) => (error as { code?: unknown } | null)?.code === 'OPSCRON_STORE_IN_USE';

/**
 * `local` on the configured store; when the embedded store is held by the opscron running
 * here (it belongs to one process), `remote` asks that opscron through its API instead.
 * `doing` says what, on stderr: stdout is the same either way.
 */
export async function withStoreOrApi<T>(
  cfg: OpscronConfig,
  doing: string,
  local: (store: Store) => Promise<T>,
  remote: (server: Server) => Promise<T>,
): Promise<T> {
  let store: Store;
  try {
    store = await openStore({ databaseUrl: cfg.store.databaseUrl, path: cfg.store.path, poolMode: cfg.store.poolMode });
  } catch (error) {
    // Only a running opscron that says where it serves this store can be asked; otherwise
    // (one still starting, or something else holding the store) the refusal stands, saying what.
    const api = heldByOpscron(error) ? advertisedApi(cfg.store.path) : null;
    if (!api) throw error;
    const server = localServer(cfg, api);
    process.stderr.write(
      `opscron: the embedded store is in use by the running opscron; ${doing} through its API at ${server.url}\n`,
    );
    return remote(server);
  }
  try {
    return await local(store);
  } finally {
    await store.close();
  }
}

/**
 * For what needs the store to itself, with no API to ask instead (restore writes its audit
 * entry before it changes anything): refused while the opscron running here holds it,
 * saying why and what to do.
 */
export async function withStoreAlone<T>(cfg: OpscronConfig, why: string, fn: (store: Store) => Promise<T>): Promise<T> {
  try {
    return await withStore(cfg, fn);
  } catch (error) {
    if (!heldByOpscron(error)) throw error;
    throw new OpscronError('OPSCRON_STORE_IN_USE', `${why}: ${(error as Error).message}`, { cause: error });
  }
}
