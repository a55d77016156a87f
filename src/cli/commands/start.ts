/** opscron start: scheduler, worker and HTTP server until SIGTERM/SIGINT, which drain. */
import { Option, type Command } from 'commander';
import { startOpscron, type Role } from '../../app.js';
import { createLogger } from '../../observability/logger.js';
import type { CliContext } from '../context.js';

export function startCommand(program: Command, cli: CliContext): void {
  program
    .command('start')
    .description('run the scheduler, the worker and the HTTP server until SIGTERM/SIGINT')
    .addOption(new Option('--role <role>', 'which part to run').choices(['all', 'scheduler', 'worker']).default('all'))
    .action(async (opts: { role: Role }) => {
      const logger = createLogger();
      const app = await startOpscron({ config: await cli.config(), logger, role: opts.role });
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          logger.info({ signal }, 'stopping: no new fires, running jobs get the grace period');
          // stop() never rejects: each part stops even if another failed, and says so.
          void app.stop().then(resolve);
        };
        process.once('SIGTERM', () => shutdown('SIGTERM'));
        process.once('SIGINT', () => shutdown('SIGINT'));
      });
    });
}
