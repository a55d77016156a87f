/** opscron run: a configured job now, in this process, once; exits with its status. */
import type { Command } from 'commander';
import { findJob, triggerRun } from '../../actions.js';
import type { RunRow } from '../../model.js';
import { createLogger, silentLogger } from '../../observability/logger.js';
import { Metrics } from '../../observability/metrics.js';
import { InlineQueue } from '../../queue/inline.js';
import { MemoryLocks } from '../../queue/locks.js';
import { RunWorker } from '../../worker.js';
import { collect, withStore, type CliContext } from '../context.js';
import { drawProgress, exitCodeOf, format } from '../format.js';
import { parseSets } from '../params.js';

export function runCommand(program: Command, cli: CliContext): void {
  program
    .command('run <job>')
    .description('run a configured job now, in this process, and exit with its status')
    .option('--set <key=value>', 'override a param (repeatable)', collect, [])
    .option('--reason <text>', 'why (recorded with the run)')
    .option('--json', 'print the run as JSON')
    .action(async (id: string, opts: { set: string[]; reason?: string; json?: boolean }) => {
      const cfg = await cli.config();
      findJob(cfg, id);
      const params = parseSets(opts.set);
      const logger = opts.json
        ? silentLogger
        : createLogger({
            level: process.env.LOG_LEVEL ?? 'warn',
            destination: process.stderr,
            pretty: process.stderr.isTTY === true,
          });
      await withStore(cfg, async (store) => {
        // One attempt, here and now: retries belong to queued runs. Progress goes to stderr:
        // redrawn in place on a terminal, a line each otherwise.
        let drew = false;
        const onProgress = (_run: string, p: { fraction: number; note?: string }) => {
          drew = true;
          drawProgress(p.fraction, p.note);
        };
        const worker = new RunWorker({
          config: cfg,
          store,
          queue: new InlineQueue(),
          locks: new MemoryLocks(),
          logger,
          metrics: new Metrics(),
          retries: false,
          onProgress,
        });
        // Checked and audited as a trigger from the CLI (the configuration's authority), then run here.
        let run!: RunRow;
        await triggerRun(
          { config: cfg, queue: new InlineQueue(), store },
          { jobId: id, params, reason: opts.reason, actor: cli.actor(), source: 'cli' },
          async (queueId, name, data) => {
            run = await worker.handle({ queueId, name, data, deliveries: 1, enqueuedAt: Date.now() });
          },
        );
        await store.runLog.drain();
        if (process.stderr.isTTY && drew) process.stderr.write('\n');
        console.log(opts.json ? JSON.stringify(run, null, 2) : format(run));
        process.exitCode = exitCodeOf(run.status);
      });
    });
}
