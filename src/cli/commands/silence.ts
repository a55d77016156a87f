/**
 * opscron silence add|list|expire: silences and maintenance windows, the same as the API's,
 * audited with the CLI's actor. Through the running opscron's API while it holds the
 * embedded store.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { systemClock } from '../../clock.js';
import { parseDuration } from '../../config/duration.js';
import { OpscronError } from '../../errors.js';
import { describeMatchers, silenceView, type Matcher } from '../../incidents/silence.js';
import { createSilence, expireSilence } from '../../incidents/silences.js';
import { collect, withStoreOrApi, type CliContext } from '../context.js';
import { table, time } from '../format.js';
import { getJson, postJson } from '../remote.js';

const when = z.coerce
  .date()
  .nullish()
  .transform((d) => d ?? null);
const shownSchema = z.object({
  id: z.string(),
  matchers: z.array(z.object({ name: z.string(), op: z.string(), value: z.string() })),
  startsAt: when,
  endsAt: when,
  schedule: z.string().nullish(),
  timeZone: z.string().nullish(),
  durationMs: z.number().nullish(),
  reason: z.string(),
  createdBy: z.string(),
  state: z.string(),
  activeUntil: when,
});
type Shown = z.output<typeof shownSchema>;

const instant = (flag: string) => (v: string) => {
  const d = new Date(v);
  if (Number.isNaN(d.getTime()))
    throw new OpscronError('OPSCRON_BAD_ARGUMENT', `${flag} "${v}": must be a date-time like 2026-12-01T22:00:00Z`);
  return d;
};
const durationArg = (v: string) => {
  const ms = parseDuration(v);
  if (ms === null) throw new OpscronError('OPSCRON_BAD_ARGUMENT', `--duration "${v}": must be like 30m, 2h, 1d`);
  return ms;
};

interface AddOptions {
  matcher: string[];
  start?: Date;
  end?: Date;
  duration?: number;
  schedule?: string;
  timezone?: string;
  reason: string;
}

export function silenceCommands(program: Command, cli: CliContext): void {
  const silence = program.command('silence').description('silences and maintenance windows');
  addCommand(silence, cli);
  listCommand(silence, cli);
  expireCommand(silence, cli);
}

function addCommand(silence: Command, cli: CliContext): void {
  silence
    .command('add')
    .description('mute notifications and remediation of matching signals (their runs and incidents are still kept)')
    .requiredOption('-m, --matcher <name=value>', 'service=X, signal=Y, or != (repeat; all must match)', collect, [])
    .requiredOption('--reason <text>', 'why (shown on each incident it mutes, and audited)')
    .option('--start <time>', 'from (default now)', instant('--start'))
    .option('--end <time>', 'until (a window: until when it recurs)', instant('--end'))
    .option('--duration <d>', 'how long (a window: each window)', durationArg)
    .option('--schedule <cron>', 'a maintenance window: when each window starts')
    .option('--timezone <tz>', 'the schedule’s time zone (default: the config’s)')
    .action(async (opts: AddOptions) => {
      const cfg = await cli.config();
      const request = {
        matchers: opts.matcher,
        startsAt: opts.start,
        endsAt: opts.end,
        durationMs: opts.duration,
        schedule: opts.schedule,
        timeZone: opts.timezone,
        reason: opts.reason,
      };
      const made = await withStoreOrApi(
        cfg,
        'adding a silence',
        async (store) =>
          silenceView(
            await createSilence(
              { config: cfg, store, clock: systemClock },
              { ...request, actor: cli.actor(), source: 'cli' },
            ),
            new Date(),
            cfg.timezone,
          ),
        async (server) => {
          const { durationMs, ...rest } = request;
          return postJson(server, '/api/silences', { ...rest, duration: durationMs }, 'OPSCRON_API_REFUSED');
        },
      );
      const shown = shownSchema.parse(made);
      console.log(`${shown.id}: ${describeMatchers(shown.matchers as Matcher[])} ${shown.state}`);
    });
}

function expireCommand(silence: Command, cli: CliContext): void {
  silence
    .command('expire <id>')
    .description('end a silence now')
    .option('--reason <text>', 'why (audited)')
    .action(async (id: string, opts: { reason?: string }) => {
      const cfg = await cli.config();
      await withStoreOrApi(
        cfg,
        'expiring a silence',
        (store) =>
          expireSilence(
            { config: cfg, store, clock: systemClock },
            { id, actor: cli.actor(), source: 'cli', reason: opts.reason },
          ),
        (server) =>
          postJson(
            server,
            `/api/silences/${encodeURIComponent(id)}`,
            opts.reason ? { reason: opts.reason } : {},
            'OPSCRON_API_REFUSED',
            'DELETE',
          ),
      );
      console.log(`${id}: expired`);
    });
}

function listCommand(silence: Command, cli: CliContext): void {
  silence
    .command('list')
    .description('silences pending or active (--all: also those over)')
    .option('--all', 'also expired ones')
    .option('--json', 'print as JSON')
    .action(async (opts: { all?: boolean; json?: boolean }) => {
      const cfg = await cli.config();
      const list = await withStoreOrApi(
        cfg,
        'reading silences',
        async (store) => {
          const now = new Date();
          const found = await store.silences.list({ now, all: opts.all === true });
          return z.array(shownSchema).parse(found.map((s) => silenceView(s, now, cfg.timezone)));
        },
        async (server) =>
          (await getJson(
            server,
            `/api/silences${opts.all ? '?all=true' : ''}`,
            z.object({ silences: z.array(shownSchema) }),
          ))!.silences,
      );
      console.log(opts.json ? JSON.stringify(list, null, 2) : silencesView(list));
    });
}

function silencesView(list: readonly Shown[]): string {
  return table(
    list.map((s) => [
      s.id,
      describeMatchers(s.matchers as Matcher[]),
      s.state,
      time(s.startsAt),
      time(s.endsAt),
      s.schedule ? `${s.schedule} (${s.timeZone}) for ${Math.round((s.durationMs ?? 0) / 60_000)}m` : '-',
      s.createdBy,
      s.reason.slice(0, 60),
    ]),
    ['SILENCE', 'MATCHERS', 'STATE', 'STARTS', 'ENDS', 'WINDOW', 'BY', 'REASON'],
  );
}
