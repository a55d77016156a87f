/** opscron report: a report built now, stored, written to --out and mailed with --email. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import type { Command } from 'commander';
import type { OpscronConfig } from '../../config/schema.js';
import { parseDuration } from '../../config/duration.js';
import { OpscronError } from '../../errors.js';
import { openStorage } from '../../integrations/storage-open.js';
import { jobFeeds } from '../../jobs/index.js';
import { REPORT_KINDS, type ReportKind } from '../../model.js';
import { createLogger } from '../../observability/logger.js';
import { Metrics } from '../../observability/metrics.js';
import { DeliveryWorker } from '../../reports/deliver/outbox.js';
import { parseInstant } from '../../reports/period.js';
import { DEFAULT_LENGTH, produceReport, type Produced } from '../../reports/publish.js';
import type { Store } from '../../store/index.js';
import { withStoreOrApi, type CliContext } from '../context.js';
import { drawProgress } from '../format.js';
import { reportThroughApi, serverAt, type RemoteReportRequest } from '../remote.js';

interface ReportOptions {
  from?: string;
  to?: string;
  period?: string;
  incident?: string;
  out?: string;
  email?: boolean;
  server?: string;
}

/** The request the options describe; throws naming a bad argument. */
function requestOf(kind: string, opts: ReportOptions): RemoteReportRequest {
  if (!(REPORT_KINDS as readonly string[]).includes(kind))
    throw new OpscronError('OPSCRON_BAD_ARGUMENT', `report kind "${kind}" — allowed: ${REPORT_KINDS.join(', ')}`);
  if (kind === 'incident' && !opts.incident)
    throw new OpscronError('OPSCRON_BAD_ARGUMENT', 'an incident report needs --incident <id> (see GET /api/incidents)');
  const lengthMs = opts.period === undefined ? DEFAULT_LENGTH[kind as ReportKind] : parseDuration(opts.period);
  if (lengthMs === undefined || lengthMs === null || lengthMs <= 0)
    throw new OpscronError(
      'OPSCRON_BAD_ARGUMENT',
      `--period "${opts.period}" — must be a duration such as 12h, 1d or 7d`,
    );
  return {
    kind: kind as ReportKind,
    lengthMs,
    incidentId: opts.incident,
    email: opts.email === true,
    from: opts.from ? parseInstant(opts.from, '--from') : undefined,
    to: opts.to ? parseInstant(opts.to, '--to') : undefined,
  };
}

export function reportCommand(program: Command, cli: CliContext): void {
  program
    .command('report <kind>')
    .description(
      `build a report now (${REPORT_KINDS.join(', ')}), store it, optionally write it to a file and email it`,
    )
    .option('--from <date>', 'start of the period (2026-11-01 or 2026-11-01T08:00:00Z); default: --period before --to')
    .option('--to <date>', 'end of the period (default: now)')
    .option(
      '--period <duration>',
      'length of the period when --from is not given (default 1d for health, 7d for compliance and performance)',
    )
    .option('--incident <id>', 'the incident, for an incident report')
    .option('--out <file>', 'also write the PDF to this file')
    .option(
      '--email',
      "email it to the kind's recipients (reports.recipients) now; if sending fails it stays queued for a running opscron to retry",
    )
    .option(
      '--server <url>',
      'have a running opscron build it (POST /api/reports; token from $OPSCRON_API_TOKEN); used by itself when the embedded store is in use by the opscron running here',
    )
    .action(async (kind: string, opts: ReportOptions) => {
      const request = requestOf(kind, opts);
      const cfg = await cli.config();
      const out = opts.out ? resolvePath(opts.out) : undefined;
      if (opts.server) return reportThroughApi(serverAt(opts.server), request, out);
      await withStoreOrApi(
        cfg,
        'building the report',
        (store) => buildHere(cfg, store, request, out),
        (server) => reportThroughApi(server, request, out),
      );
    });
}

async function buildHere(
  cfg: OpscronConfig,
  store: Store,
  request: RemoteReportRequest,
  out: string | undefined,
): Promise<void> {
  const produced = await produceReport(
    { store, config: cfg, feeds: jobFeeds, now: () => new Date(), progress: drawProgress },
    { ...request, origin: 'cli' },
  );
  if (process.stderr.isTTY) process.stderr.write('\n');
  const { record, delivery } = produced;
  if (out) {
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, produced.pdf);
  }
  const stored =
    cfg.storage.kind === 's3'
      ? `${openStorage(cfg, 'reports').location}${record.storageKey}`
      : resolvePath(cfg.reports.path, record.storageKey);
  console.log(`${record.title} ${record.id}: ${record.status.toUpperCase()} — ${record.summary.headline}`);
  console.log(`stored ${stored} (${record.bytes} bytes, sha256 ${record.sha256})${out ? `; written to ${out}` : ''}`);
  if (request.email && !delivery)
    console.log(`not emailed: no recipients for ${request.kind} reports (reports.recipients.${request.kind})`);
  if (delivery) await sendNow(cfg, store, record.id, delivery);
}

/** Tries the queued mail once, here; if that fails a running opscron on this store retries it. */
async function sendNow(
  cfg: OpscronConfig,
  store: Store,
  reportId: string,
  delivery: NonNullable<Produced['delivery']>,
): Promise<void> {
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'error', destination: process.stderr });
  const deliveries = new DeliveryWorker({ config: cfg, store, logger, metrics: new Metrics() });
  await deliveries.runOnce();
  await deliveries.stop();
  const state = (await store.deliveries.ofReport(reportId)).find((d) => d.id === delivery.id);
  if (state?.status === 'sent')
    console.log(
      `${delivery.channel === 'email' ? 'emailed' : `written to ${cfg.email.outbox} for`} ${delivery.recipients.join(', ')}`,
    );
  else
    console.log(`not sent yet (${state?.lastError ?? 'pending'}): queued; a running opscron on this store retries it`);
}
