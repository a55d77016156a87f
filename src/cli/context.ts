/** What the commands share: the configuration they were pointed at, who is acting, the store. */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { loadConfig } from '../configure.js';
import type { OpscronConfig } from '../config/schema.js';
import { openStore, type Store } from '../store/index.js';

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
  const store = await openStore({ databaseUrl: cfg.store.databaseUrl, path: cfg.store.path });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
