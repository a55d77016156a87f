/**
 * opscron list, history and audit: what is configured, what ran, who did what. Read from the
 * store; while the opscron running here holds the embedded store, from its API — printed
 * the same either way (views.ts).
 */
import type { Command } from 'commander';
import { jobsOverview } from '../../actions.js';
import { parseDuration } from '../../config/duration.js';
import { OpscronError } from '../../errors.js';
import { withStoreOrApi, type CliContext } from '../context.js';
import { auditThroughApi, jobsThroughApi, runsThroughApi } from '../remote-records.js';
import { auditView, historyView, jobsView } from '../views.js';

/** A --limit value: a whole number from 1 to `max`, or an error naming it. */
const wholeNumber = (name: string, max: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max)
    throw new OpscronError('OPSCRON_BAD_ARGUMENT', `${name} "${v}": must be a whole number from 1 to ${max}`);
  return Number(v);
};

export function recordCommands(program: Command, cli: CliContext): void {
  listCommand(program, cli);
  historyCommand(program, cli);
  auditCommand(program, cli);
}

function listCommand(program: Command, cli: CliContext): void {
  program
    .command('list')
    .description('configured jobs with schedule, time zone, next run and last status')
    .action(async () => {
      const cfg = await cli.config();
      const jobs = await withStoreOrApi(
        cfg,
        'reading the jobs',
        async (store) =>
          (await jobsOverview(cfg, store)).map(({ job, timezone, nextRun, lastRun, paused }) => ({
            id: job.id,
            type: job.type,
            schedule: job.schedule ?? null,
            timezone,
            enabled: job.enabled,
            paused,
            nextRun,
            lastRun: lastRun ? { status: lastRun.status, at: lastRun.createdAt } : null,
          })),
        jobsThroughApi,
      );
      console.log(jobsView(jobs));
    });
}

function historyCommand(program: Command, cli: CliContext): void {
  program
    .command('history [job]')
    .description('recent runs, newest first')
    .option('--limit <n>', 'how many', wholeNumber('--limit', 1000), 20)
    .option('--json', 'print as JSON')
    .action(async (job: string | undefined, opts: { limit: number; json?: boolean }) => {
      const runs = await withStoreOrApi(
        await cli.config(),
        'reading the history',
        (store) => store.runs.list({ job, limit: opts.limit }),
        (server) => runsThroughApi(server, { job, limit: opts.limit }, opts.json === true),
      );
      console.log(historyView(runs, opts.json === true));
    });
}

function auditCommand(program: Command, cli: CliContext): void {
  program
    .command('audit')
    .description('the audit trail: manual triggers, pauses, resumes and destructive runs, newest first')
    .option('--since <when>', 'RFC 3339 time, or a duration back from now (24h, 7d)', '7d')
    .option('--limit <n>', 'how many', wholeNumber('--limit', 10_000), 200)
    .option('--json', 'print as JSON')
    .action(async (opts: { since: string; limit: number; json?: boolean }) => {
      const ago = parseDuration(opts.since);
      const since = ago !== null ? new Date(Date.now() - ago) : new Date(opts.since);
      if (Number.isNaN(since.getTime()))
        throw new OpscronError(
          'OPSCRON_BAD_ARGUMENT',
          `--since "${opts.since}": must be an RFC 3339 time or a duration such as 24h or 7d`,
        );
      const entries = await withStoreOrApi(
        await cli.config(),
        'reading the audit log',
        (store) => store.audit.list(since, opts.limit),
        (server) => auditThroughApi(server, since, opts.limit),
      );
      console.log(auditView(entries, opts.json === true));
    });
}
