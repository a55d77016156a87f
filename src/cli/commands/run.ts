/**
 * opscron run: a configured job now, once, and its status as the exit code. In this process;
 * or, while the opscron running here holds the embedded store, by that opscron: triggered
 * through its API and followed to its end, with the same output.
 */
import type { Command } from 'commander';
import { checkTrigger, findJob, triggerRun, type TriggerRequest } from '../../actions.js';
import type { OpscronConfig } from '../../config/schema.js';
import type { RunRow } from '../../model.js';
import { createLogger, silentLogger } from '../../observability/logger.js';
import { Metrics } from '../../observability/metrics.js';
import { InlineQueue } from '../../queue/inline.js';
import { MemoryLocks } from '../../queue/locks.js';
import type { Store } from '../../store/index.js';
import { RunWorker } from '../../worker.js';
import { collect, withStoreOrApi, type CliContext } from '../context.js';
import { followRun } from '../follow.js';
import { drawProgress, exitCodeOf, format } from '../format.js';
import { parseSets } from '../params.js';
import { triggerThroughApi, type Server } from '../remote.js';

interface RunOptions {
  set: string[];
  reason?: string;
  json?: boolean;
}

export function runCommand(program: Command, cli: CliContext): void {
  program
    .command('run <job>')
    .description(
      'run a configured job now and exit with its status: in this process, or by the opscron running here when it holds the embedded store',
    )
    .option('--set <key=value>', 'override a param (repeatable)', collect, [])
    .option('--reason <text>', 'why (recorded with the run)')
    .option('--json', 'print the run as JSON')
    .action(async (id: string, opts: RunOptions) => {
      const cfg = await cli.config();
      findJob(cfg, id);
      const request = {
        jobId: id,
        params: parseSets(opts.set),
        reason: opts.reason,
        actor: cli.actor(),
        source: 'cli' as const,
      };
      checkTrigger(cfg, request); // bad params are refused before anything is opened
      // Progress goes to stderr: redrawn in place on a terminal, a line each otherwise.
      let drew = false;
      const draw = (p: { fraction: number; note?: string }) => {
        drew = true;
        drawProgress(p.fraction, p.note);
      };
      const run = await withStoreOrApi(
        cfg,
        `running ${id}`,
        (store) => runHere(cfg, store, request, opts.json === true, draw),
        (server) => runThere(cfg, server, request, draw),
      );
      if (process.stderr.isTTY && drew) process.stderr.write('\n');
      console.log(opts.json ? JSON.stringify(run, null, 2) : format(run));
      process.exitCode = exitCodeOf(run.status);
    });
}

/** One attempt, here and now (retries belong to queued runs), checked and audited as a trigger from the CLI. */
async function runHere(
  cfg: OpscronConfig,
  store: Store,
  request: TriggerRequest,
  json: boolean,
  draw: (p: { fraction: number; note?: string }) => void,
): Promise<RunRow> {
  const logger = json
    ? silentLogger
    : createLogger({
        level: process.env.LOG_LEVEL ?? 'warn',
        destination: process.stderr,
        pretty: process.stderr.isTTY === true,
      });
  const worker = new RunWorker({
    config: cfg,
    store,
    queue: new InlineQueue(),
    locks: new MemoryLocks(),
    logger,
    metrics: new Metrics(),
    retries: false,
    onProgress: (_run, p) => draw(p),
  });
  let run!: RunRow;
  await triggerRun({ config: cfg, queue: new InlineQueue(), store }, request, async (queueId, name, data) => {
    run = await worker.handle({ queueId, name, data, deliveries: 1, enqueuedAt: Date.now() });
  });
  await store.runLog.drain();
  return run;
}

/** Triggered on the running opscron and followed to the end of its attempt (its API records the token's name as the actor). */
async function runThere(
  cfg: OpscronConfig,
  server: Server,
  request: TriggerRequest,
  draw: (p: { fraction: number; note?: string }) => void,
): Promise<RunRow> {
  const runId = await triggerThroughApi(server, request.jobId, request.params ?? {}, request.reason);
  const run = await followRun(server, runId, draw);
  const { retries } = findJob(cfg, request.jobId);
  // A local run is one attempt; the running opscron's queue may retry this one.
  if ((run.status === 'failed' || run.status === 'timeout') && run.attempt < retries.attempts)
    process.stderr.write(
      `opscron: the running opscron may retry ${request.jobId} (retries.attempts ${retries.attempts}): \`opscron history ${request.jobId}\` shows further attempts\n`,
    );
  return run;
}
