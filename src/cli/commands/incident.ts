/**
 * opscron incidents, opscron incident show|ack|resolve|note: the incidents and their
 * timelines, and what a person does to one — the same as the API's, audited with the CLI's
 * actor. Through the running opscron's API while it holds the embedded store.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { systemClock } from '../../clock.js';
import { OpscronError } from '../../errors.js';
import { actOnIncident, type IncidentActionKind } from '../../incidents/lifecycle.js';
import { jobFeeds } from '../../jobs/index.js';
import { createLogger } from '../../observability/logger.js';
import { withStoreOrApi, type CliContext } from '../context.js';
import { table, time } from '../format.js';
import { getJson, postJson } from '../remote.js';

const when = z.coerce
  .date()
  .nullish()
  .transform((d) => d ?? null);
const incidentSchema = z.object({
  id: z.string(),
  service: z.string(),
  title: z.string(),
  status: z.string(),
  severity: z.string(),
  openedAt: when,
  acknowledgedAt: when,
  acknowledgedBy: z.string().nullish(),
  resolvedAt: when,
  signals: z.array(z.string()),
});
const eventSchema = z.object({ at: when, kind: z.string(), signal: z.string().nullish(), message: z.string() });
type Incident = z.output<typeof incidentSchema>;
type IncidentEvent = z.output<typeof eventSchema>;

const statusArg = (v: string) => {
  if (v !== 'open' && v !== 'resolved')
    throw new OpscronError('OPSCRON_BAD_ARGUMENT', `--status "${v}": must be open or resolved`);
  return v;
};

export function incidentCommands(program: Command, cli: CliContext): void {
  listCommand(program, cli);
  const incident = program.command('incident').description('one incident: its timeline, and acting on it');
  showCommand(incident, cli);
  actCommand(incident, cli, 'ack', 'acknowledge: you are on it (re-notification and escalation stop)', 'option');
  actCommand(
    incident,
    cli,
    'resolve',
    'resolve by hand; its signals start healthy again and the incident report is built',
    'option',
  );
  actCommand(incident, cli, 'note', 'add a note to the timeline', 'argument');
}

function listCommand(program: Command, cli: CliContext): void {
  program
    .command('incidents')
    .description('incidents, newest first: open, acknowledged (by whom), resolved')
    .option('--status <open|resolved>', 'only these', statusArg)
    .option('--json', 'print as JSON')
    .action(async (opts: { status?: 'open' | 'resolved'; json?: boolean }) => {
      const list = await withStoreOrApi(
        await cli.config(),
        'reading incidents',
        async (store) => z.array(incidentSchema).parse(await store.incidents.list({ status: opts.status, limit: 200 })),
        async (server) =>
          (await getJson(
            server,
            `/api/incidents?limit=200${opts.status ? `&status=${opts.status}` : ''}`,
            z.object({ incidents: z.array(incidentSchema) }),
          ))!.incidents,
      );
      console.log(opts.json ? JSON.stringify(list, null, 2) : incidentsView(list));
    });
}

function showCommand(incident: Command, cli: CliContext): void {
  incident
    .command('show <id>')
    .description('the incident and its timeline')
    .option('--json', 'print as JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const shown = await withStoreOrApi(
        await cli.config(),
        'reading the incident',
        async (store) => {
          const found = await store.incidents.get(id);
          return (
            found && {
              incident: incidentSchema.parse(found),
              events: z.array(eventSchema).parse(await store.incidents.events(id)),
            }
          );
        },
        async (server) => {
          const found = await getJson(
            server,
            `/api/incidents/${encodeURIComponent(id)}`,
            incidentSchema.extend({ events: z.array(eventSchema) }),
            'null',
          );
          return found && { incident: incidentSchema.parse(found), events: found.events };
        },
      );
      if (!shown) throw new OpscronError('OPSCRON_NOT_FOUND', `no incident "${id}"`);
      console.log(opts.json ? JSON.stringify(shown, null, 2) : timelineView(shown.incident, shown.events));
    });
}

function actCommand(
  incident: Command,
  cli: CliContext,
  action: IncidentActionKind,
  description: string,
  note: 'option' | 'argument',
): void {
  const command = incident
    .command(note === 'argument' ? `${action} <id> <text...>` : `${action} <id>`)
    .description(description);
  if (note === 'option')
    command.option('--note <text>', 'what you say about it (on the timeline and in the audit log)');
  command.action(async (id: string, ...rest: unknown[]) => {
    const text = note === 'argument' ? (rest[0] as string[]).join(' ') : (rest[0] as { note?: string }).note;
    const cfg = await cli.config();
    const actor = cli.actor();
    await withStoreOrApi(
      cfg,
      `${action === 'ack' ? 'acknowledging' : action === 'resolve' ? 'resolving' : 'noting'} the incident`,
      (store) =>
        actOnIncident(
          {
            config: cfg,
            store,
            feeds: jobFeeds,
            clock: systemClock,
            logger: createLogger({ level: process.env.LOG_LEVEL ?? 'error', destination: process.stderr }),
          },
          { action, id, actor, source: 'cli', note: text },
        ),
      async (server) => {
        await postJson(
          server,
          `/api/incidents/${encodeURIComponent(id)}/${action}`,
          text ? { note: text } : {},
          'OPSCRON_API_REFUSED',
        );
      },
    );
    console.log(`${id}: ${action === 'ack' ? 'acknowledged' : action === 'resolve' ? 'resolved' : 'note added'}`);
  });
}

function incidentsView(list: readonly Incident[]): string {
  return table(
    list.map((i) => [
      i.id,
      i.service,
      i.status,
      time(i.openedAt),
      i.acknowledgedAt ? `${time(i.acknowledgedAt)} ${i.acknowledgedBy ?? ''}`.trim() : '-',
      time(i.resolvedAt),
      i.title,
    ]),
    ['INCIDENT', 'SERVICE', 'STATUS', 'OPENED', 'ACKNOWLEDGED', 'RESOLVED', 'TITLE'],
  );
}

function timelineView(i: Incident, events: readonly IncidentEvent[]): string {
  const head = `${i.id} ${i.status} — ${i.title} (signals: ${i.signals.join(', ')})`;
  return `${head}\n${table(
    events.map((e) => [time(e.at), e.kind, e.signal ?? '', e.message.slice(0, 160)]),
    ['WHEN', 'EVENT', 'SIGNAL', 'WHAT'],
  )}`;
}
