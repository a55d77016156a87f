#!/usr/bin/env node
/** The `opscron` command; one file per command in cli/commands. Exit codes: 0 ok, 1 warning, 2 critical, 3 error or unknown. */
import { Command } from 'commander';
import { backupsCommand } from './cli/commands/backups.js';
import { incidentCommands } from './cli/commands/incident.js';
import { initCommand } from './cli/commands/init.js';
import { recordCommands } from './cli/commands/records.js';
import { reportCommand } from './cli/commands/report.js';
import { restoreCommand } from './cli/commands/restore.js';
import { runCommand } from './cli/commands/run.js';
import { silenceCommands } from './cli/commands/silence.js';
import { startCommand } from './cli/commands/start.js';
import { triggerCommand } from './cli/commands/trigger.js';
import { cliContext } from './cli/context.js';
import { redact } from './observability/redact.js';

const program = new Command('opscron')
  .description('Runs a service-operations runbook on cron schedules')
  .option('-c, --config <file>', 'configuration file (default: $OPSCRON_CONFIG or config/opscron.yaml)')
  .showHelpAfterError();

const cli = cliContext(program);
for (const add of [
  startCommand,
  runCommand,
  triggerCommand,
  recordCommands,
  incidentCommands,
  silenceCommands,
  backupsCommand,
  reportCommand,
  restoreCommand,
  initCommand,
])
  add(program, cli);

program
  .command('validate')
  .description('check the configuration and exit 0 if it can be used')
  .action(async () => {
    const cfg = await cli.config();
    const scheduled = cfg.jobs.filter((j) => j.schedule && j.enabled).length;
    console.log(
      `configuration OK: ${cfg.jobs.length} jobs (${scheduled} scheduled), ${cfg.services.length} services, time zone ${cfg.timezone}, queue ${cfg.queue.redis ? `BullMQ on Redis (${cfg.queue.redis.kind})` : 'embedded'}, store ${cfg.store.databaseUrl ? 'PostgreSQL' : `SQLite in ${cfg.store.path}`}`,
    );
  });

// A library failing outside the command's own flow (a connection closing late) is reported
// like any other error, redacted, with exit code 3 — never a raw stack and exit 1.
process.on('unhandledRejection', (error) => {
  process.stderr.write(`opscron: ${redact(error instanceof Error ? error.message : String(error))}\n`);
  process.exitCode = 3;
});

program.parseAsync().catch((error: unknown) => {
  process.stderr.write(`opscron: ${redact(error instanceof Error ? error.message : String(error))}\n`);
  process.exitCode = 3;
});
