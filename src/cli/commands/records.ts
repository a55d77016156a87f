/** opscron list, history and audit: what is configured, what ran, who did what. */
import type { Command } from 'commander';
import { jobsOverview } from '../../actions.js';
import { parseDuration } from '../../config/duration.js';
import { OpscronError } from '../../errors.js';
import { withStore, type CliContext } from '../context.js';
import { duration, table, time } from '../format.js';

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
      await withStore(cfg, async (store) => {
        const rows = (await jobsOverview(cfg, store)).map(({ job, timezone, nextRun, lastRun, paused }) => [
          job.id,
          job.type,
          job.schedule ?? '(manual)',
          timezone,
          time(nextRun),
          lastRun ? `${lastRun.status} ${time(lastRun.createdAt)}` : '-',
          !job.enabled ? 'disabled' : paused ? 'paused' : '',
        ]);
        console.log(table(rows, ['JOB', 'TYPE', 'SCHEDULE', 'TIMEZONE', 'NEXT RUN', 'LAST RUN', '']));
      });
    });
}

function historyCommand(program: Command, cli: CliContext): void {
  program
    .command('history [job]')
    .description('recent runs, newest first')
    .option('--limit <n>', 'how many', wholeNumber('--limit', 1000), 20)
    .option('--json', 'print as JSON')
    .action(async (job: string | undefined, opts: { limit: number; json?: boolean }) => {
      await withStore(await cli.config(), async (store) => {
        const runs = await store.runs.list({ job, limit: opts.limit });
        if (opts.json) return console.log(JSON.stringify(runs, null, 2));
        console.log(
          table(
            runs.map((r) => [
              time(r.createdAt),
              r.jobId,
              r.trigger,
              String(r.attempt),
              r.status,
              duration(r),
              (r.summary ?? '').slice(0, 100),
            ]),
            ['WHEN', 'JOB', 'TRIGGER', 'TRY', 'STATUS', 'TOOK', 'SUMMARY'],
          ),
        );
      });
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
      await withStore(await cli.config(), async (store) => {
        const entries = await store.audit.list(since, opts.limit);
        if (opts.json) return console.log(JSON.stringify(entries, null, 2));
        console.log(
          table(
            entries.map((e) => [
              time(e.at),
              e.actor,
              e.source,
              e.action,
              e.jobId ?? '-',
              e.reason ?? '',
              e.params ? JSON.stringify(e.params).slice(0, 60) : '',
            ]),
            ['WHEN', 'WHO', 'FROM', 'ACTION', 'JOB', 'REASON', 'PARAMS'],
          ),
        );
      });
    });
}
