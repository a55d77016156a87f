/**
 * opscron trigger: a one-off run on the queue of a running opscron — through its API
 * (--server, or by itself the one that holds the embedded store here), or straight onto the
 * shared queue (REDIS_URL).
 */
import type { Command } from 'commander';
import { checkTrigger, triggerRun, type TriggerRequest } from '../../actions.js';
import type { OpscronConfig } from '../../config/schema.js';
import { OpscronError } from '../../errors.js';
import { advertisedApi } from '../../local-api.js';
import { BullQueue } from '../../queue/bullmq.js';
import type { Store } from '../../store/index.js';
import { collect, withStore, type CliContext } from '../context.js';
import { parseSets } from '../params.js';
import { localServer, serverAt, triggerThroughApi } from '../remote.js';

export function triggerCommand(program: Command, cli: CliContext): void {
  program
    .command('trigger <job>')
    .description(
      'put a one-off run on the queue of a running opscron: through its API (--server, or the one running here on the embedded store) or straight onto the queue (REDIS_URL)',
    )
    .option('--set <key=value>', 'override a param (repeatable)', collect, [])
    .option('--reason <text>', 'why (recorded in the audit log)')
    .option('--server <url>', 'a running opscron, e.g. http://opscron:8080 (token from $OPSCRON_API_TOKEN)')
    .action(async (id: string, opts: { set: string[]; reason?: string; server?: string }) => {
      const params = parseSets(opts.set);
      if (opts.server) {
        console.log(`queued ${id} as run ${await triggerThroughApi(serverAt(opts.server), id, params, opts.reason)}`);
        return;
      }
      const cfg = await cli.config();
      const request = { jobId: id, params, reason: opts.reason, actor: cli.actor(), source: 'cli' as const };
      checkTrigger(cfg, request); // before any connection: a bad request touches nothing
      if (cfg.queue.redis) return console.log(`queued ${id} as run ${await onSharedQueue(cfg, request)}`);
      // The embedded queue lives in the opscron that holds the embedded store: ask it.
      const api = cfg.store.databaseUrl ? null : advertisedApi(cfg.store.path);
      if (api) {
        const server = localServer(cfg, api);
        process.stderr.write(
          `opscron: the embedded store is in use by the running opscron; queueing ${id} through its API at ${server.url}\n`,
        );
        return console.log(`queued ${id} as run ${await triggerThroughApi(server, id, params, opts.reason)}`);
      }
      throw new OpscronError(
        'OPSCRON_NO_QUEUE',
        `trigger needs a running opscron${cfg.store.databaseUrl ? '' : ' (none runs on the embedded store here)'}: pass --server URL, or set REDIS_URL to put the run on the shared queue (or run it here with \`opscron run\`)`,
      );
    });
}

/** Onto the shared BullMQ queue; audited and signed here when the store is shared too. */
async function onSharedQueue(cfg: OpscronConfig, request: TriggerRequest): Promise<string> {
  const queue = new BullQueue({
    redis: cfg.queue.redis!,
    name: cfg.queue.name,
    prefix: cfg.queue.prefix,
    lockDurationMs: cfg.queue.lockDuration,
    keepCompletedMs: cfg.queue.keepCompleted,
  });
  try {
    // The audit entry and the grant need the shared store; without one the worker audits it.
    const run = (store: Store | null) => triggerRun({ config: cfg, queue, store }, request);
    return cfg.store.databaseUrl ? await withStore(cfg, run) : await run(null);
  } finally {
    await queue.close();
  }
}
