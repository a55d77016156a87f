#!/usr/bin/env node
/** The `opscron` command. Exit codes: 0 ok, 1 warning, 2 critical, 3 error or unknown. */
import { Command, Option } from 'commander';
import { userInfo } from 'node:os';
import { startOpscron, type Role } from './app.js';
import { InlineQueue } from './queue/inline.js';
import { MemoryLocks } from './queue/locks.js';
import { format, table, time, duration, exitCodeOf, drawProgress } from './cli/format.js';
import { parseSets } from './cli/params.js';
import { loadConfig } from './config/load.js';
import type { OpscronConfig } from './config/schema.js';
import { OpscronError } from './errors.js';
import { createLogger, silentLogger } from './observability/logger.js';
import { Metrics } from './observability/metrics.js';
import { redact } from './observability/redact.js';
import { BullQueue } from './queue/bullmq.js';
import { openStore, type Store } from './store/index.js';
import { listAudit, writeAudit } from './store/audit.js';
import { FileStorage } from './integrations/storage.js';
import { readManifest, restoreBackup } from './backup/restore.js';
import { encryptionKey } from './backup/crypto.js';
import { readConfigManifest, restoreConfig } from './backup/config-restore.js';
import { kubeFor } from './integrations/kube.js';
import { parseDuration } from './config/duration.js';
import { listRuns, type RunRow } from './store/runs.js';
import { RunWorker } from './worker.js';
import { checkTrigger, findJob, jobsOverview, triggerRun } from './actions.js';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { reportKinds, type ReportKind } from './config/schema.js';
import { DeliveryWorker, deliveriesOf } from './reports/deliver/outbox.js';
import { DEFAULT_LENGTH, produceReport } from './reports/publish.js';
import { parseInstant } from './reports/period.js';

const program = new Command('opscron')
  .description('Runs a service-operations runbook on cron schedules')
  .option('-c, --config <file>', 'configuration file (default: $OPSCRON_CONFIG or config/opscron.yaml)')
  .showHelpAfterError();

const collect = (value: string, previous: string[]) => [...previous, value];
const config = (): Promise<OpscronConfig> => loadConfig({ path: program.opts().config });
const actor = () => process.env.OPSCRON_ACTOR ?? `${userInfo().username}@cli`;

/** Opens the configured store for one command and closes it after, whatever happens. */
async function withStore<T>(cfg: OpscronConfig, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ databaseUrl: cfg.store.databaseUrl, path: cfg.store.path });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}


program
  .command('start')
  .description('run the scheduler, the worker and the HTTP server until SIGTERM/SIGINT')
  .addOption(new Option('--role <role>', 'which part to run').choices(['all', 'scheduler', 'worker']).default('all'))
  .action(async (opts: { role: Role }) => {
    const logger = createLogger();
    const app = await startOpscron({ config: await config(), logger, role: opts.role });
    await new Promise<void>((resolve) => {
      const shutdown = (signal: string) => {
        logger.info({ signal }, 'stopping: no new fires, running jobs get the grace period');
        app.stop().then(resolve, (error) => {
          logger.error({ err: error }, 'stop failed');
          resolve();
        });
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
  });

program
  .command('run <job>')
  .description('run a configured job now, in this process, and exit with its status')
  .option('--set <key=value>', 'override a param (repeatable)', collect, [])
  .option('--reason <text>', 'why (recorded with the run)')
  .option('--json', 'print the run as JSON')
  .action(async (id: string, opts: { set: string[]; reason?: string; json?: boolean }) => {
    const cfg = await config();
    findJob(cfg, id);
    const params = parseSets(opts.set);
    const logger = opts.json ? silentLogger : createLogger({ level: process.env.LOG_LEVEL ?? 'warn', destination: process.stderr, pretty: process.stderr.isTTY === true });
    await withStore(cfg, async (store) => {
      // One attempt, here and now: retries belong to queued runs.
      // Progress goes to stderr: redrawn in place on a terminal, a line each otherwise.
      let drew = false;
      const onProgress = (_run: string, p: { fraction: number; note?: string }) => {
        drew = true;
        drawProgress(p.fraction, p.note);
      };
      const worker = new RunWorker({ config: cfg, store, queue: new InlineQueue(), locks: new MemoryLocks(), logger, metrics: new Metrics(), retries: false, onProgress });
      // Checked and audited as a trigger from the CLI (the configuration's authority), then run here.
      let run!: RunRow;
      await triggerRun({ config: cfg, queue: new InlineQueue(), store }, { jobId: id, params, reason: opts.reason, actor: actor(), source: 'cli' }, async (queueId, name, data) => {
        run = await worker.handle({ queueId, name, data, deliveries: 1, enqueuedAt: Date.now() });
      });
      await store.runLog.drain();
      if (process.stderr.isTTY && drew) process.stderr.write('\n');
      if (opts.json) console.log(JSON.stringify(run, null, 2));
      else console.log(format(run));
      process.exitCode = exitCodeOf(run.status);
    });
  });

program
  .command('trigger <job>')
  .description('put a one-off run on the queue of a running opscron: through its API (--server) or straight onto the queue (REDIS_URL)')
  .option('--set <key=value>', 'override a param (repeatable)', collect, [])
  .option('--reason <text>', 'why (recorded in the audit log)')
  .option('--server <url>', 'a running opscron, e.g. http://opscron:8080 (token from $OPSCRON_API_TOKEN)')
  .action(async (id: string, opts: { set: string[]; reason?: string; server?: string }) => {
    const params = parseSets(opts.set);
    if (opts.server) {
      const runId = await triggerThroughApi(opts.server, id, params, opts.reason);
      console.log(`queued ${id} as run ${runId}`);
      return;
    }
    const cfg = await config();
    const request = { jobId: id, params, reason: opts.reason, actor: actor(), source: 'cli' as const };
    checkTrigger(cfg, request); // before any connection: a bad request touches nothing
    if (!cfg.queue.redisUrl) throw new OpscronError('OPSCRON_NO_QUEUE', 'trigger needs a running opscron: pass --server URL, or set REDIS_URL to put the run on the shared queue (or run it here with `opscron run`)');
    const queue = new BullQueue({ url: cfg.queue.redisUrl, name: cfg.queue.name, prefix: cfg.queue.prefix, lockDurationMs: cfg.queue.lockDuration, keepCompletedMs: cfg.queue.keepCompleted });
    try {
      // The audit row needs the shared store; without one the run row still carries who and why.
      const run = (store: Store | null) => triggerRun({ config: cfg, queue, store }, request);
      const queueId = cfg.store.databaseUrl ? await withStore(cfg, run) : await run(null);
      console.log(`queued ${id} as run ${queueId}`);
    } finally {
      await queue.close();
    }
  });

/** POST /api/jobs/:id/runs on a running opscron; the token's name is the actor it records. */
async function triggerThroughApi(server: string, id: string, params: Record<string, unknown>, reason?: string): Promise<string> {
  const token = process.env.OPSCRON_API_TOKEN;
  const url = new URL(`/api/jobs/${encodeURIComponent(id)}/runs`, server);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ params, reason }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new OpscronError('OPSCRON_SERVER_UNREACHABLE', `cannot reach ${url.origin}: ${(error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`);
  }
  const body = (await response.json().catch(() => ({}))) as { runId?: string; message?: string };
  if (response.status !== 202 || !body.runId) throw new OpscronError('OPSCRON_TRIGGER_REFUSED', `${url.origin} answered ${response.status}: ${body.message ?? response.statusText}`);
  return body.runId;
}

program
  .command('audit')
  .description('the audit trail: manual triggers, pauses, resumes and destructive runs, newest first')
  .option('--since <when>', 'RFC 3339 time, or a duration back from now (24h, 7d)', '7d')
  .option('--limit <n>', 'how many', '200')
  .option('--json', 'print as JSON')
  .action(async (opts: { since: string; limit: string; json?: boolean }) => {
    const ago = parseDuration(opts.since);
    const since = ago !== null ? new Date(Date.now() - ago) : new Date(opts.since);
    if (Number.isNaN(since.getTime())) throw new OpscronError('OPSCRON_BAD_ARGUMENT', `--since "${opts.since}": must be an RFC 3339 time or a duration such as 24h or 7d`);
    if (!/^\d+$/.test(opts.limit) || Number(opts.limit) < 1 || Number(opts.limit) > 10_000) throw new OpscronError('OPSCRON_BAD_ARGUMENT', `--limit "${opts.limit}": must be a whole number from 1 to 10000`);
    await withStore(await config(), async (store) => {
      const entries = await listAudit(store.sql, since, Number(opts.limit));
      if (opts.json) return console.log(JSON.stringify(entries, null, 2));
      console.log(table(entries.map((e) => [time(e.at), e.actor, e.source, e.action, e.jobId ?? '-', e.reason ?? '', e.params ? JSON.stringify(e.params).slice(0, 60) : '']), ['WHEN', 'WHO', 'FROM', 'ACTION', 'JOB', 'REASON', 'PARAMS']));
    });
  });

program
  .command('list')
  .description('configured jobs with schedule, time zone, next run and last status')
  .action(async () => {
    const cfg = await config();
    await withStore(cfg, async (store) => {
      const rows = (await jobsOverview(cfg, store)).map(({ job, timezone, nextRun, lastRun, paused }) => [
        job.id, job.type, job.schedule ?? '(manual)', timezone, time(nextRun), lastRun ? `${lastRun.status} ${time(lastRun.createdAt)}` : '-',
        !job.enabled ? 'disabled' : paused ? 'paused' : '',
      ]);
      console.log(table(rows, ['JOB', 'TYPE', 'SCHEDULE', 'TIMEZONE', 'NEXT RUN', 'LAST RUN', '']));
    });
  });

program
  .command('history [job]')
  .description('recent runs, newest first')
  .option('--limit <n>', 'how many', (v) => {
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 1000) throw new OpscronError('OPSCRON_BAD_ARGUMENT', `--limit "${v}": must be a whole number from 1 to 1000`);
    return Number(v);
  }, 20)
  .option('--json', 'print as JSON')
  .action(async (job: string | undefined, opts: { limit: number; json?: boolean }) => {
    await withStore(await config(), async (store) => {
      const runs = await listRuns(store.sql, { job, limit: opts.limit });
      if (opts.json) return console.log(JSON.stringify(runs, null, 2));
      console.log(table(runs.map((r) => [time(r.createdAt), r.jobId, r.trigger, String(r.attempt), r.status, duration(r), (r.summary ?? '').slice(0, 100)]), ['WHEN', 'JOB', 'TRIGGER', 'TRY', 'STATUS', 'TOOK', 'SUMMARY']));
    });
  });

program
  .command('report <kind>')
  .description(`build a report now (${reportKinds.join(', ')}), store it, optionally write it to a file and email it`)
  .option('--from <date>', 'start of the period (2026-11-01 or 2026-11-01T08:00:00Z); default: --period before --to')
  .option('--to <date>', 'end of the period (default: now)')
  .option('--period <duration>', 'length of the period when --from is not given (default 1d for health, 7d for compliance and performance)')
  .option('--incident <id>', 'the incident, for an incident report')
  .option('--out <file>', 'also write the PDF to this file')
  .option('--email', "email it to the kind's recipients (reports.recipients) now; if sending fails it stays queued for a running opscron to retry")
  .option('--server <url>', 'have a running opscron build it (POST /api/reports; token from $OPSCRON_API_TOKEN); used by itself when the embedded store is in use by the opscron running here')
  .action(async (kind: string, opts: { from?: string; to?: string; period?: string; incident?: string; out?: string; email?: boolean; server?: string }) => {
    if (!(reportKinds as readonly string[]).includes(kind)) throw new OpscronError('OPSCRON_BAD_ARGUMENT', `report kind "${kind}" — allowed: ${reportKinds.join(', ')}`);
    if (kind === 'incident' && !opts.incident) throw new OpscronError('OPSCRON_BAD_ARGUMENT', 'an incident report needs --incident <id> (see GET /api/incidents)');
    const lengthMs = opts.period === undefined ? DEFAULT_LENGTH[kind as ReportKind] : parseDuration(opts.period);
    if (lengthMs === undefined || lengthMs === null || lengthMs <= 0) throw new OpscronError('OPSCRON_BAD_ARGUMENT', `--period "${opts.period}" — must be a duration such as 12h, 1d or 7d`);
    const from = opts.from ? parseInstant(opts.from, '--from') : undefined;
    const to = opts.to ? parseInstant(opts.to, '--to') : undefined;
    const cfg = await config();
    const out = opts.out ? resolvePath(opts.out) : undefined;
    const request = { kind: kind as ReportKind, from, to, lengthMs, incidentId: opts.incident, email: opts.email === true, origin: 'cli' as const };
    if (opts.server) return reportThroughApi(opts.server, request, out);
    try {
      await withStore(cfg, async (store) => {
        const produced = await produceReport({ sql: store.sql, config: cfg, now: () => new Date(), progress: drawProgress }, request);
        if (process.stderr.isTTY) process.stderr.write('\n');
        const { record, delivery } = produced;
        if (out) {
          await mkdir(dirname(out), { recursive: true });
          await copyFile(resolvePath(cfg.reports.path, record.storageKey), out);
        }
        console.log(`${record.title} ${record.id}: ${record.status.toUpperCase()} — ${record.summary.headline}`);
        console.log(`stored ${resolvePath(cfg.reports.path, record.storageKey)} (${record.bytes} bytes, sha256 ${record.sha256})${out ? `; written to ${out}` : ''}`);
        if (opts.email && !delivery) console.log(`not emailed: no recipients for ${kind} reports (reports.recipients.${kind})`);
        if (delivery) {
          const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'error', destination: process.stderr });
          const deliveries = new DeliveryWorker({ config: cfg, sql: store.sql, logger, metrics: new Metrics() });
          await deliveries.runOnce();
          await deliveries.stop();
          const state = (await deliveriesOf(store.sql, record.id)).find((d) => d.id === delivery.id);
          if (state?.status === 'sent') console.log(`${delivery.channel === 'email' ? 'emailed' : `written to ${cfg.email.outbox} for`} ${delivery.recipients.join(', ')}`);
          else console.log(`not sent yet (${state?.lastError ?? 'pending'}): queued; a running opscron on this store retries it`);
        }
      });
    } catch (error) {
      // The embedded store belongs to the opscron running here: ask it instead.
      if ((error as OpscronError).code !== 'OPSCRON_STORE_IN_USE') throw error;
      const local = `http://127.0.0.1:${cfg.http.port}`;
      process.stderr.write(`opscron: the embedded store is in use by the running opscron; building the report through its API at ${local}\n`);
      await reportThroughApi(local, request, out);
    }
  });

/** The same report built by a running opscron (POST /api/reports), its PDF fetched to --out. */
async function reportThroughApi(server: string, request: { kind: ReportKind; from?: Date; to?: Date; lengthMs?: number; incidentId?: string; email: boolean }, out: string | undefined): Promise<void> {
  const token = process.env.OPSCRON_API_TOKEN;
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const call = async (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) => {
    const url = new URL(path, server);
    try {
      return await fetch(url, { ...init, headers: { ...headers, ...(init.headers ?? {}) }, signal: AbortSignal.timeout(120_000) });
    } catch (error) {
      throw new OpscronError('OPSCRON_SERVER_UNREACHABLE', `cannot reach ${url.origin}: ${(error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`);
    }
  };
  const response = await call('/api/reports', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: request.kind, from: request.from?.toISOString(), to: request.to?.toISOString(), period: request.lengthMs, incident: request.incidentId, email: request.email }),
  });
  const body = (await response.json().catch(() => ({}))) as { id?: string; title?: string; status?: string; bytes?: number; sha256?: string; pdf?: string; summary?: { headline: string }; delivery?: { recipients: string[]; channel: string } | null; message?: string };
  if (response.status !== 201 || !body.id) throw new OpscronError('OPSCRON_REPORT_REFUSED', `${new URL(server).origin} answered ${response.status}: ${body.message ?? response.statusText}`);
  if (out) {
    const pdf = await call(body.pdf!);
    if (!pdf.ok) throw new OpscronError('OPSCRON_REPORT_REFUSED', `GET ${body.pdf} answered ${pdf.status}`);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, Buffer.from(await pdf.arrayBuffer()));
  }
  console.log(`${body.title} ${body.id}: ${String(body.status).toUpperCase()} — ${body.summary?.headline ?? ''}`);
  console.log(`stored by ${new URL(server).origin} (${body.bytes} bytes, sha256 ${body.sha256})${out ? `; written to ${out}` : ''}`);
  if (body.delivery) console.log(`queued for ${body.delivery.recipients.join(', ')} (${body.delivery.channel})`);
}

program
  .command('restore <backup>')
  .description('restore a backup (its key under backups.path): a database dump into --to, or a config backup (config/...) into the cluster — destructive: needs --confirm, and is audited')
  .option('--to <url>', 'database backups: the target database, postgres://user@host:5432/name (password from the URL or PGPASSWORD)')
  .option('--clean', 'database backups: drop the objects the backup recreates first (restore over an existing database)')
  .option('--object <kind/name>', 'config backups: only this one, e.g. configmap/checkout-config or secret/checkout-db')
  .option('--confirm', 'yes, overwrite (without it a config restore shows what would change)')
  .option('--reason <text>', 'why (recorded in the audit log)')
  .action(async (key: string, opts: { to?: string; clean?: boolean; object?: string; confirm?: boolean; reason?: string }) => {
    const cfg = await config();
    const storage = new FileStorage(cfg.backups.path);
    if (key.startsWith('config/')) {
      const manifest = await readConfigManifest(storage, key);
      const result = await restoreConfig({ storage, manifest, kube: await kubeFor(cfg), passphrase: encryptionKey(), object: opts.object, apply: opts.confirm === true });
      if (opts.confirm) {
        await withStore(cfg, (store) => writeAudit(store.sql, { actor: actor(), source: 'cli', action: 'restore', jobId: null, params: { backup: manifest.prefix, namespace: manifest.namespace, object: opts.object ?? 'all', applied: result.applied }, reason: opts.reason }));
      }
      for (const line of result.changes) console.log(line);
      if (!result.changes.length) console.log(`nothing to change: the cluster matches ${manifest.prefix}`);
      else if (opts.confirm) console.log(`restored ${result.applied.length} object${result.applied.length === 1 ? '' : 's'} into namespace ${manifest.namespace}: ${result.applied.join(', ')}`);
      else console.log('dry run: add --confirm to apply these changes');
      return;
    }
    if (!opts.to || !/^postgres(ql)?:\/\/\S+$/.test(opts.to)) throw new OpscronError('OPSCRON_BAD_ARGUMENT', `--to "${redact(opts.to ?? '')}" — a database backup needs --to with a postgres:// URL`);
    const manifest = await readManifest(storage, key.replace(/\.json$/, ''));
    const target = new URL(opts.to);
    if (!opts.confirm) throw new OpscronError('OPSCRON_CONFIRM', `restore is destructive: it writes ${manifest.database} of ${manifest.createdAt} into ${target.host}${target.pathname}${opts.clean ? ', dropping what it recreates' : ''}. Add --confirm to do it.`);
    await withStore(cfg, async (store) => {
      await writeAudit(store.sql, { actor: actor(), source: 'cli', action: 'restore', jobId: null, params: { backup: manifest.key, to: redact(opts.to!), clean: Boolean(opts.clean) }, reason: opts.reason });
    });
    await restoreBackup({ storage, manifest, passphrase: encryptionKey(), url: opts.to, clean: Boolean(opts.clean), progress: drawProgress });
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(`restored ${manifest.key} (${manifest.tables.length} tables, ${manifest.tables.reduce((n, t) => n + t.rows, 0)} rows at backup time) into ${target.host}${target.pathname}`);
  });

program
  .command('validate')
  .description('check the configuration and exit 0 if it can be used')
  .action(async () => {
    const cfg = await config();
    const scheduled = cfg.jobs.filter((j) => j.schedule && j.enabled).length;
    console.log(`configuration OK: ${cfg.jobs.length} jobs (${scheduled} scheduled), ${cfg.services.length} services, time zone ${cfg.timezone}, queue ${cfg.queue.redisUrl ? 'BullMQ on Redis' : 'embedded'}, store ${cfg.store.databaseUrl ? 'PostgreSQL' : `PGlite in ${cfg.store.path}`}`);
  });

// A library failing outside the command's own flow (a connection closing late) is reported
// like any other error, redacted, with exit code 3 — never a raw stack and exit 1.
process.on('unhandledRejection', (error) => {
  process.stderr.write(`opscron: ${redact(error instanceof Error ? error.message : String(error))}\n`);
  process.exitCode = 3;
});

program.parseAsync().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`opscron: ${redact(message)}\n`);
  process.exitCode = 3;
});
