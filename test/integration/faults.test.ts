/**
 * Fault injection under load (issue 14). Each test runs opscron with several jobs firing
 * every second plus manual triggers, injects one fault, lets it recover and checks what an
 * operator would: no accepted fire or trigger lost (each ends with exactly one final row,
 * or a `missed` row for a slot not run), nothing executed twice (probes counted at the
 * target against rows), opscron working afterwards, a clean SIGTERM exit where it runs as
 * a child process. Each prints its recovery time as `RECOVERY <scenario> <ms> ms`.
 *
 * Real servers only: a private redis-server and PostgreSQL cluster for the faults that kill
 * them, a real SMTP server, real child processes; the suite's shared servers are never
 * stopped, only used under names no other test uses.
 */
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { startOpscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import type { EnqueueItem } from '../../src/queue/types.js';
import { Scheduler } from '../../src/scheduler.js';
import { spawnOpscron, tempDir, writeConfig, type Running } from '../support/cli.js';
import { FakeClock } from '../support/fake-clock.js';
import {
  advanceScheduler,
  ANSWERED,
  ensureStopped,
  FaultTarget,
  ledgerOf,
  query,
  readRuns,
  reportRecovery,
  sleep,
  stepWallClock,
  Teardown,
  TriggerLoad,
  untilSecondOffset,
  when,
  type Hit,
  type LedgerRow,
} from '../support/faults.js';
import { createDatabase, freePort, startPostgres, startRedis } from '../support/services.mjs';
import { startSmtp, testSmtpCa, type TestSmtp } from '../support/smtp.js';
import { eventually } from '../support/target.js';

const TOKEN = 'fault-trigger-token-0123456789';
const PER_SECOND = ['a', 'b', 'c', 'd', 'e'];
const isolated = () => `faults${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const sharedRedis = () => process.env.OPSCRON_TEST_REDIS_URL!;
const redisConnection = (url: string) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), maxRetriesPerRequest: 1, enableOfflineQueue: false };
};

/** Five health checks every second (one of them `forbid`, the default), and two manual-only ones: API triggers, producer triggers. */
function loadJobs(target: FaultTarget, headers: Record<string, string> = {}) {
  return [
    ...PER_SECOND.map((id) => ({
      id,
      type: 'health-check',
      schedule: '* * * * * *',
      concurrency: id === 'e' ? 'forbid' : 'allow',
      params: { url: target.url(id), maxResponseTime: '5s', headers },
    })),
    {
      id: 'manual',
      type: 'health-check',
      concurrency: 'allow',
      params: { url: target.url('manual'), maxResponseTime: '5s', headers },
    },
    {
      id: 'manualq',
      type: 'health-check',
      concurrency: 'allow',
      params: { url: target.url('manualq'), maxResponseTime: '5s', headers },
    },
  ];
}

const http = (port: number, scope = 'trigger') => ({
  port,
  host: '127.0.0.1',
  tokens: [{ name: 'ops', token: TOKEN, scope }],
});

/** Scheduled runs of every per-second job: at least `n` answered, counting only those created from `since`. */
const everyJobRan = (rows: LedgerRow[], n: number, since = 0) =>
  PER_SECOND.every(
    (j) => rows.filter((r) => r.jobId === j && ANSWERED.has(r.status) && r.createdAt >= since).length >= n,
  );

/** The per-job problems an operator would see: lost slots, doubled slots, two rows of one attempt, runs left running. */
function problems(rows: LedgerRow[], jobs: string[]) {
  return jobs.map((job) => {
    const l = ledgerOf(rows, job, 1000);
    return {
      job,
      gaps: l.gaps.map((s) => new Date(s).toISOString()),
      doubled: l.doubled.map((s) => new Date(s).toISOString()),
      sameAttempt: l.sameAttempt,
      stillRunning: l.stillRunning,
    };
  });
}
const clean = (jobs: string[]) =>
  jobs.map((job) => ({ job, gaps: [], doubled: [], sameAttempt: [], stillRunning: [] }));

describe('faults under load', () => {
  const teardown = new Teardown();
  afterEach(() => teardown.run(), 60_000);

  async function startChild(args: string[], dir: string, env: Record<string, string>, what: string): Promise<Running> {
    // At info: "opscron started" is an info line.
    const child = spawnOpscron(args, { cwd: dir, env: { ...env, LOG_LEVEL: 'info' } });
    teardown.add(what, () => ensureStopped(child));
    await eventually(
      async () => child.output().includes('opscron started') || child.child.exitCode !== null,
      `${what} to start`,
      30_000,
    );
    if (!child.output().includes('opscron started')) throw new Error(`${what} did not start:\n${child.output()}`);
    return child;
  }

  async function newTarget(delayMs: number): Promise<FaultTarget> {
    const target = await new FaultTarget().start();
    target.delays.set('', delayMs);
    teardown.add('target', () => target.stop());
    return target;
  }

  it('Redis SIGKILLed and restarted under load: the outage slots are recorded as missed, triggers are refused rather than lost, nothing runs twice', async () => {
    const redis = await startRedis();
    teardown.add('private redis', () => redis.stop());
    const databaseUrl = await createDatabase('faults');
    const target = await newTarget(50);
    const dir = tempDir('faults-redis-');
    const port = await freePort();
    const name = isolated();
    const file = writeConfig(dir, { queue: { name, concurrency: 20 }, http: http(port), jobs: loadJobs(target) });
    const app = await startChild(
      ['start', '--config', file],
      dir,
      { REDIS_URL: redis.url, DATABASE_URL: databaseUrl },
      'opscron',
    );
    const address = `http://127.0.0.1:${port}`;
    const load = new TriggerLoad({ address: () => address, token: TOKEN, job: 'manual', everyMs: 100 });
    teardown.add('trigger load', () => load.stop());
    load.start();
    await eventually(async () => everyJobRan(await readRuns(databaseUrl), 2), 'two runs of every job before the fault');

    // Every trigger accepted so far has run, and (mid-second) this second's fires are taken:
    // Redis holds no accepted work that only it knows of when it dies. (It runs without
    // persistence, so whatever waited in it would be gone with it, whatever opscron did.)
    await load.stop();
    await eventually(async () => {
      const done = new Set((await readRuns(databaseUrl)).filter((r) => ANSWERED.has(r.status)).map((r) => r.id));
      return load.accepted.every((id) => done.has(id));
    }, 'the accepted triggers to run');
    const counter = new Queue(name, { connection: redisConnection(redis.url) });
    counter.on('error', () => {});
    teardown.add('queue counter', () => counter.close());
    let waiting = -1;
    for (let i = 0; i < 5 && waiting !== 0; i++) {
      await untilSecondOffset(500);
      const c = await counter.getJobCounts('waiting', 'delayed', 'prioritized');
      waiting = (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0);
    }
    expect(waiting).toBe(0);

    const old = redis.process;
    const dead = old.exitCode !== null || old.signalCode !== null ? Promise.resolve() : once(old, 'exit');
    const restarting = redis.restart(3000); // SIGKILL now, back on the same port 3 s later, empty
    await dead;
    const downAt = Date.now();
    load.start(); // triggers during the outage: each must be refused, or accepted and run
    await eventually(async () => (await fetch(`${address}/ready`)).status === 503, '/ready to say not ready', 3000);
    await restarting;
    const backAt = Date.now();
    const recovered = await when(
      async () => (await readRuns(databaseUrl)).some((r) => r.createdAt >= backAt && ANSWERED.has(r.status)),
      'a run after Redis came back',
    );
    reportRecovery('redis-restart', recovered - backAt);
    await eventually(
      async () => everyJobRan(await readRuns(databaseUrl), 2, backAt),
      'two runs of every job after the restart',
    );
    await eventually(async () => (await fetch(`${address}/ready`)).status === 200, '/ready to be ready again', 5000);
    await load.stop();
    await eventually(async () => {
      const done = new Set((await readRuns(databaseUrl)).filter((r) => ANSWERED.has(r.status)).map((r) => r.id));
      return load.accepted.every((id) => done.has(id));
    }, 'every accepted trigger to run');

    expect(await app.stop()).toBe(0);
    const rows = await readRuns(databaseUrl);
    expect(problems(rows, PER_SECOND)).toEqual(clean(PER_SECOND));
    for (const job of PER_SECOND) {
      const l = ledgerOf(rows, job, 1000);
      expect([job, target.count(job)]).toEqual([job, l.ran]); // each probe has its row, no row without its probe
      expect(l.missed).toBeGreaterThanOrEqual(1); // the slots of the outage, recorded
      // Nothing but the outage's slots is missed: every missed slot lies between the kill and the return.
      const missed = rows.filter((r) => r.jobId === job && r.status === 'missed').map((r) => r.scheduledFor!);
      expect(missed.filter((s) => s < downAt - 1000 || s > backAt + 5000)).toEqual([]);
    }
    // Triggers: every 202 ran exactly once; nothing that was refused ran.
    const manual = rows.filter((r) => r.jobId === 'manual');
    expect(manual.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(manual.map((r) => r.id).sort()).toEqual([...load.accepted].sort());
    expect(target.count('manual')).toBe(load.accepted.length);
    expect(load.refused.filter((r) => r.status < 500)).toEqual([]); // an outage is a 5xx, never a silent hang or a 4xx
    console.log(
      `redis-restart: ${load.accepted.length} triggers accepted, ${load.refused.length} refused during the outage (${[...new Set(load.refused.map((r) => r.status))].join(', ')}); ${PER_SECOND.map((j) => ledgerOf(rows, j).missed).join('/')} slots missed per job`,
    );
  }, 60_000);

  it('PostgreSQL crashed and restarted under load: runs go on, every row is written once when it is back', async () => {
    const cluster = await startPostgres();
    teardown.add('private postgres', () => cluster.stop());
    await query(cluster.url('postgres'), 'create database faults');
    const databaseUrl = cluster.url('faults');
    const target = await newTarget(50);
    const dir = tempDir('faults-pg-');
    const port = await freePort();
    const name = isolated();
    const file = writeConfig(dir, { queue: { name, concurrency: 20 }, http: http(port), jobs: loadJobs(target) });
    const app = await startChild(
      ['start', '--config', file],
      dir,
      { REDIS_URL: sharedRedis(), DATABASE_URL: databaseUrl },
      'opscron',
    );
    const address = `http://127.0.0.1:${port}`;
    const load = new TriggerLoad({ address: () => address, token: TOKEN, job: 'manual', everyMs: 100 });
    teardown.add('trigger load', () => load.stop());
    // Any BullMQ producer: the worker audits what it takes, and keeps the entry through an outage.
    const producer = new Queue(name, { connection: redisConnection(sharedRedis()) });
    producer.on('error', () => {});
    teardown.add('producer', () => producer.close());
    const produced: string[] = [];
    let producing = true;
    const producerLoop = (async () => {
      for (let n = 0; producing; n++) {
        const id = `manualq__p${n}`;
        await producer.add('manualq', { params: {}, requestedBy: 'deploy-bot', reason: 'fault load' }, { jobId: id });
        produced.push(id);
        await sleep(200);
      }
    })();
    teardown.add('producer loop', async () => {
      producing = false;
      await producerLoop.catch(() => {});
    });
    load.start();
    await eventually(async () => everyJobRan(await readRuns(databaseUrl), 2), 'two runs of every job before the fault');

    cluster.crash(); // immediate stop: what a crash leaves
    const downAt = Date.now();
    await eventually(async () => (await fetch(`${address}/ready`)).status === 503, '/ready to say not ready', 3000);
    await sleep(3000); // the outage
    cluster.start();
    const backAt = Date.now();
    // Recovered: the runs made during the outage, kept in memory, are in the history.
    const recovered = await when(
      async () =>
        (await readRuns(databaseUrl)).some(
          (r) => r.createdAt > downAt && r.createdAt < backAt && ANSWERED.has(r.status),
        ),
      "the outage's runs to be recorded",
    );
    reportRecovery('postgres-restart', recovered - backAt);
    await eventually(
      async () => everyJobRan(await readRuns(databaseUrl), 2, backAt),
      'two runs of every job after the restart',
    );
    await eventually(async () => (await fetch(`${address}/ready`)).status === 200, '/ready to be ready again', 5000);
    await load.stop();
    producing = false;
    await producerLoop;
    await eventually(async () => {
      const done = new Set((await readRuns(databaseUrl)).filter((r) => ANSWERED.has(r.status)).map((r) => r.id));
      return load.accepted.every((id) => done.has(id)) && produced.every((id) => done.has(id));
    }, 'every accepted trigger to be recorded');

    expect(await app.stop()).toBe(0);
    const rows = await readRuns(databaseUrl);
    expect(problems(rows, PER_SECOND)).toEqual(clean(PER_SECOND));
    for (const job of PER_SECOND) {
      const l = ledgerOf(rows, job, 1000);
      expect([job, target.count(job), l.missed]).toEqual([job, l.ran, 0]); // the queue was up: every slot ran, once
      // The outage's runs are there, not only those before and after.
      expect(rows.some((r) => r.jobId === job && r.createdAt > downAt + 500 && r.createdAt < backAt - 500)).toBe(true);
    }
    const producerRows = rows.filter((r) => r.jobId === 'manualq');
    expect(producerRows.map((r) => [r.id, r.status, r.requestedBy]).sort()).toEqual(
      produced.map((id) => [id, 'ok', 'deploy-bot']).sort(),
    );
    expect(target.count('manualq')).toBe(produced.length);
    const audit = await query<{ source: string; actor: string; n: number }>(
      databaseUrl,
      `select source, actor, count(*)::int as n from audit_log where action = 'trigger' group by 1, 2 order by 1`,
    );
    expect(audit).toEqual([
      { source: 'api', actor: 'ops', n: load.accepted.length },
      { source: 'queue', actor: 'deploy-bot', n: produced.length },
    ]);

    const manual = rows.filter((r) => r.jobId === 'manual');
    expect(manual.filter((r) => r.status !== 'ok')).toEqual([]);
    expect(load.refused.filter((r) => r.status < 500)).toEqual([]);
    console.log(
      `postgres-restart: ${load.accepted.length} API triggers accepted, ${load.refused.length} refused (${[...new Set(load.refused.map((r) => r.status))].join(', ')}), ${manual.length} manual runs recorded; ${produced.length} producer triggers`,
    );
    // Every accepted trigger ran, once; each run probed once.
    const ran = new Set(manual.map((r) => r.id));
    expect(load.accepted.filter((id) => !ran.has(id))).toEqual([]);
    expect(target.count('manual')).toBe(manual.length);
    // Triggers refused during the outage ran all the same (the bug pinned by the test marked
    // failing below); at most one run per refusal, nothing else invented.
    expect(manual.length - load.accepted.length).toBeLessThanOrEqual(load.refused.length);
  }, 60_000);

  // Found by this suite: POST /api/jobs/:id/runs used to queue the run first and answer 500
  // when the audit write then failed — the run went ahead unaudited, and a client retrying
  // the 500 ran it twice. Now the entry is written first: refused (503) means not run.
  it('a trigger during a PostgreSQL outage is refused with 503 and does not run; accepted ones run once, audited', async () => {
    const cluster = await startPostgres();
    teardown.add('private postgres', () => cluster.stop());
    await query(cluster.url('postgres'), 'create database faults');
    const databaseUrl = cluster.url('faults');
    const target = await newTarget(0);
    const config = parseConfig({
      store: { databaseUrl },
      queue: { redisUrl: sharedRedis(), name: isolated(), concurrency: 1 }, // one at a time, in order
      http: http(0),
      jobs: loadJobs(target).filter((j) => j.id === 'manual'),
    });
    const app = await startOpscron({ config, logger: silentLogger, metrics: new Metrics() });
    teardown.add('opscron', () => app.stop());
    const load = new TriggerLoad({ address: () => app.address!, token: TOKEN, job: 'manual', everyMs: 0 });
    expect((await load.once()).status).toBe(202);
    await eventually(async () => target.answered('manual') === 1, 'the first trigger to run');

    cluster.crash();
    const during = await load.once();
    cluster.start();
    // After the outage, a barrier: queued after the refused one and run after it, one at a time.
    const barrier = await load.once();
    expect(barrier.status).toBe(202);
    await eventually(
      async () => (await readRuns(databaseUrl)).some((r) => r.id === barrier.runId && r.status === 'ok'),
      'the trigger after the outage to run',
    );
    await app.stop();
    const runs = (await readRuns(databaseUrl)).filter((r) => r.jobId === 'manual');
    const audited = await query<{ n: number }>(
      databaseUrl,
      `select count(*)::int as n from audit_log where action = 'trigger' and job_id = 'manual'`,
    );
    // Either accepted (202), run and audited, or refused and not run: never refused yet run.
    expect({ answered: during.status === 202 ? 202 : 'refused', runs: runs.length, audited: audited[0]!.n }).toEqual(
      during.status === 202 ? { answered: 202, runs: 3, audited: 3 } : { answered: 'refused', runs: 2, audited: 2 },
    );
    if (during.status !== 202) expect(during.status).toBe(503); // "try again", not "opscron broke"
  }, 60_000);

  it('SMTP down for a while: the reports are stored, retried and each delivered exactly once when it is back', async () => {
    const databaseUrl = await createDatabase('faults');
    const target = await newTarget(0);
    const dir = tempDir('faults-smtp-');
    const port = await freePort();
    const smtpPort = await freePort();
    const reportsDir = join(dir, 'reports');
    const file = writeConfig(dir, {
      http: http(port, 'admin'),
      email: {
        smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
        caFile: testSmtpCa(),
        from: 'opscron <opscron@example.com>',
        retry: { attempts: 1000, backoff: 200, maxBackoff: 400 },
      },
      reports: { path: reportsDir, recipients: { health: ['lead@example.com', 'ops@example.com'] } },
      jobs: [
        ...loadJobs(target).filter((j) => PER_SECOND.includes(j.id)),
        { id: 'health-report', type: 'health-report', schedule: '*/2 * * * * *', params: { period: '1h' } },
      ],
    });
    const app = await startChild(['start', '--config', file], dir, { DATABASE_URL: databaseUrl }, 'opscron');
    const address = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    await eventually(async () => everyJobRan(await readRuns(databaseUrl), 2), 'two runs of every job');

    const made = await fetch(`${address}/api/reports`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ kind: 'health', period: 3_600_000, email: true }),
    });
    expect(made.status).toBe(201);
    const report = (await made.json()) as { id: string; sha256: string; delivery: { channel: string } | null };
    expect(report.delivery).toMatchObject({ channel: 'email' });
    const deliveriesOf = async (id: string) =>
      (
        (await (await fetch(`${address}/api/reports/${id}`, { headers: auth })).json()) as {
          deliveries: { status: string; attempts: number; lastError: string | null }[];
        }
      ).deliveries;
    await eventually(
      async () => (await deliveriesOf(report.id))[0]!.attempts >= 3,
      'three failed delivery attempts',
      15_000,
    );
    const [pending] = await deliveriesOf(report.id);
    expect(pending).toMatchObject({ status: 'pending', lastError: expect.stringMatching(/ECONNREFUSED/) });
    await eventually(
      async () =>
        (await query<{ n: number }>(databaseUrl, `select count(*)::int as n from reports where run_id is not null`))[0]!
          .n >= 1,
      'a scheduled report made while SMTP is down',
    );

    const smtp: TestSmtp = await startSmtp(smtpPort);
    teardown.add('smtp', () => smtp.stop());
    const upAt = Date.now();
    const delivered = await when(
      () => smtp.received.some((m) => m.mail.attachments[0]?.filename === `${report.id}.pdf`),
      'the report mail',
      15_000,
    );
    reportRecovery('smtp-down', delivered - upAt);
    // No more scheduled reports from here, so the count below is final.
    expect(
      (await fetch(`${address}/api/jobs/health-report/pause`, { method: 'POST', headers: auth, body: '{}' })).status,
    ).toBe(200);
    await eventually(
      async () => (await readRuns(databaseUrl)).every((r) => r.status !== 'running'),
      'the last report run to end',
    );
    // Everything that piled up goes out, then several more delivery polls (every 200 ms) send nothing again.
    await eventually(
      async () =>
        (
          await query<{ n: number }>(databaseUrl, `select count(*)::int as n from deliveries where status <> 'sent'`)
        )[0]!.n === 0,
      'every delivery sent',
      15_000,
    );
    await sleep(1500);
    expect(await app.stop()).toBe(0);

    const reports = await query<{ id: string; sha256: string }>(databaseUrl, 'select id, sha256 from reports');
    const deliveries = await query<{ report_id: string; status: string; attempts: number }>(
      databaseUrl,
      'select report_id, status, attempts from deliveries',
    );
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(deliveries.map((d) => [d.report_id, d.status]).sort()).toEqual(reports.map((r) => [r.id, 'sent']).sort()); // one delivery per report, all sent
    const byFile = new Map<string, number>();
    for (const m of smtp.received)
      for (const a of m.mail.attachments) byFile.set(a.filename!, (byFile.get(a.filename!) ?? 0) + 1);
    expect([...byFile].sort()).toEqual(reports.map((r) => [`${r.id}.pdf`, 1]).sort()); // each exactly once
    expect(new Set(smtp.received.map((m) => m.mail.messageId)).size).toBe(smtp.received.length);
    for (const m of smtp.received) {
      const attachment = m.mail.attachments[0]!;
      expect(createHash('sha256').update(attachment.content).digest('hex')).toBe(
        reports.find((r) => `${r.id}.pdf` === attachment.filename)!.sha256,
      );
      expect(m.to).toEqual(['lead@example.com', 'ops@example.com']);
    }
    expect(deliveries.find((d) => d.report_id === report.id)!.attempts).toBeGreaterThanOrEqual(4);
    const rows = await readRuns(databaseUrl);
    expect(problems(rows, PER_SECOND)).toEqual(clean(PER_SECOND));
    expect(rows.some((r) => r.createdAt > delivered && ANSWERED.has(r.status))).toBe(true);
  }, 60_000);

  it('one of two worker processes SIGKILLed under load: its runs are taken up again by the other, once, and history shows both attempts', async () => {
    const databaseUrl = await createDatabase('faults');
    const target = await newTarget(400); // every run is mid-probe for 400 ms
    const dir = tempDir('faults-worker-');
    const name = isolated();
    const configFor = (worker: string) =>
      writeConfig(
        dir,
        {
          queue: { name, concurrency: 20, lockDuration: '5s' },
          http: { port: 0, host: '127.0.0.1' },
          jobs: loadJobs(target, { 'x-worker': worker }),
        },
        `${worker}.yaml`,
      );
    const env = { REDIS_URL: sharedRedis(), DATABASE_URL: databaseUrl };
    const workers = new Map<string, Running>();
    for (const w of ['w1', 'w2'])
      workers.set(
        w,
        await startChild(['start', '--role', 'worker', '--config', configFor(w)], dir, env, `worker ${w}`),
      );
    const scheduler = await startChild(
      ['start', '--role', 'scheduler', '--config', configFor('scheduler')],
      dir,
      env,
      'scheduler',
    );
    const producer = new Queue(name, { connection: redisConnection(sharedRedis()) });
    producer.on('error', () => {});
    teardown.add('producer', () => producer.close());
    const produced: string[] = [];
    const produce = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const id = `manualq__p${produced.length}`;
        await producer.add('manualq', { params: {}, requestedBy: 'deploy-bot', reason: 'fault load' }, { jobId: id });
        produced.push(id);
      }
    };
    await produce(10);
    await eventually(
      async () => everyJobRan(await readRuns(databaseUrl), 2) && target.answered('manualq') === 10,
      'two runs of every job and the triggers before the fault',
    );

    // The moment all of a slot's fires are mid-probe, the worker that holds the most of them dies.
    const victim = await new Promise<{ worker: string; inFlight: number; hits: Hit[] }>((resolve, reject) => {
      const deadline = Date.now() + 20_000;
      const look = () => {
        const flying = target.inFlight();
        if (
          flying.length === PER_SECOND.length &&
          flying.every((h) => PER_SECOND.includes(h.job) && h.at > Date.now() - 300)
        ) {
          const per = ['w1', 'w2']
            .map((w) => ({ worker: w, inFlight: flying.filter((h) => h.worker === w).length }))
            .sort((x, y) => y.inFlight - x.inFlight);
          workers.get(per[0]!.worker)!.child.kill('SIGKILL');
          resolve({ ...per[0]!, hits: flying.filter((h) => h.worker === per[0]!.worker) });
          return;
        }
        if (Date.now() > deadline)
          return reject(
            new Error(
              `no slot had all its fires in flight at once within 20 s (in flight now: ${JSON.stringify(flying)})`,
            ),
          );
        setTimeout(look, 2);
      };
      look();
    });
    const killedAt = Date.now();
    const survivor = victim.worker === 'w1' ? 'w2' : 'w1';
    expect(await workers.get(victim.worker)!.exited).toBe(null); // died of the signal
    expect(victim.inFlight).toBeGreaterThan(0);
    await eventually(
      async () => target.abandoned() === victim.inFlight,
      "the dead worker's probes to be cut off",
      5000,
    );

    const recovered = await when(
      async () =>
        (await readRuns(databaseUrl)).filter((r) => r.attempt === 2 && r.status !== 'running').length >=
        victim.inFlight,
      "the dead worker's runs to be taken up again",
      30_000,
    ).catch(async (error: Error) => {
      // Say where each of the dead worker's runs is: its rows, and its job in the queue.
      const rows = await readRuns(databaseUrl);
      const where = await Promise.all(
        victim.hits.map(async (h) => {
          const id = `${h.job}__${Math.floor(h.at / 1000) * 1000}`;
          const job = await producer.getJob(id);
          return {
            id,
            state: await job?.getState(),
            attemptsStarted: job?.attemptsStarted,
            stalledCounter: job?.stalledCounter,
            failedReason: job?.failedReason,
            rows: rows.filter((r) => r.queueId === id).map((r) => [r.id, r.attempt, r.status, r.error]),
            hits: target.hits.filter((x) => x.job === h.job && x.at >= h.at).slice(0, 3),
          };
        }),
      );
      throw new Error(
        `${error.message}\nkilled ${victim.worker} at ${new Date(killedAt).toISOString()}; its runs: ${JSON.stringify(where, null, 1)}\nsurvivor's log (end):\n${workers.get(survivor)!.output().slice(-4000)}`,
      );
    });
    reportRecovery('worker-sigkill', recovered - killedAt);
    await produce(5);
    await eventually(
      async () => everyJobRan(await readRuns(databaseUrl), 2, recovered) && target.answered('manualq') === 15,
      'runs and triggers after the recovery',
    );

    expect(await scheduler.stop()).toBe(0);
    await eventually(async () => {
      const c = await producer.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return Object.values(c).every((n) => n === 0) && target.inFlight().length === 0;
    }, 'the last fires to finish');
    expect(await workers.get(survivor)!.stop()).toBe(0);

    const rows = await readRuns(databaseUrl);
    expect(problems(rows, PER_SECOND)).toEqual(clean(PER_SECOND));
    let lost = 0;
    for (const job of PER_SECOND) {
      const l = ledgerOf(rows, job, 1000);
      lost += l.lost;
      // Each probe answered has exactly one row; each cut off by the kill is one attempt closed as lost.
      expect([job, target.answered(job), target.abandoned(job)]).toEqual([job, l.ran, l.lost]);
    }
    expect(lost).toBe(victim.inFlight);
    // Every lost attempt was taken up again by the survivor: attempt 1 failed, attempt 2 ran —
    // or, for the `forbid` job, was skipped because a newer slot's run held the job's lock then.
    for (const r of rows.filter((x) => x.status === 'failed')) {
      expect(r.error).toMatch(/stopped (mid-run|while this run)/);
      const again = rows.find((x) => x.queueId === r.queueId && x.attempt === r.attempt + 1);
      expect([r.id, again?.status]).toEqual([r.id, r.jobId === 'e' && again?.status === 'skipped' ? 'skipped' : 'ok']);
    }
    const manual = rows.filter((r) => r.jobId === 'manualq');
    expect(manual.map((r) => [r.id, r.status]).sort()).toEqual(produced.map((id) => [id, 'ok']).sort());
    expect(target.count('manualq')).toBe(15);
    const redelivered = rows.filter((r) => r.attempt === 2);
    console.log(
      `worker-sigkill: ${victim.inFlight} runs in flight on ${victim.worker} when it died, taken up again as ${redelivered.map((r) => `${r.jobId}:${r.status}`).join(', ')}; ${rows.filter((r) => r.status === 'skipped' && r.attempt === 1).length} forbid slots skipped while the dead worker's lock lasted`,
    );
  }, 60_000);

  it('clock jumps: 2 h forward (suspend) runs the newest slot within the deadline once and records the rest as missed; 30 s back (NTP step) fires nothing twice', async () => {
    const databaseUrl = await createDatabase('faults');
    const target = await newTarget(0);
    const hour = 3_600_000;
    // The hour three hours ago, plus half a second: near real time, so real and fake stamps agree.
    const hour0 = Math.floor(Date.now() / hour) * hour - 3 * hour;
    const t0 = hour0 + 500;
    const at = (ms: number) => hour0 + ms;
    const iso = (ms: number) => new Date(ms).toISOString();
    const clock = new FakeClock(t0);
    const perSecond = ['s1', 's2', 's3'];
    const config = parseConfig({
      store: { databaseUrl },
      queue: { redisUrl: sharedRedis(), name: isolated(), concurrency: 20 },
      scheduler: { maxMissedRecords: 10_000 },
      jobs: [
        ...perSecond.map((id) => ({
          id,
          type: 'health-check',
          schedule: '* * * * * *',
          concurrency: 'allow',
          params: { url: target.url(id) },
        })),
        {
          id: 'minutely',
          type: 'health-check',
          schedule: '* * * * *',
          catchUp: { deadline: '5m' },
          params: { url: target.url('minutely') },
        },
        {
          id: 'ten-min',
          type: 'health-check',
          schedule: '*/10 * * * *',
          catchUp: { deadline: '1h' },
          params: { url: target.url('ten-min') },
        },
        {
          id: 'hourly-strict',
          type: 'health-check',
          schedule: '0 * * * *',
          catchUp: { deadline: 0 },
          params: { url: target.url('hourly-strict') },
        },
      ],
    });
    // A worker process (real time: its heartbeats, BullMQ, the history) and a scheduler on the
    // fake clock, sharing its store and queue, as `--role worker` and `--role scheduler` would.
    const worker = await startOpscron({
      config,
      logger: silentLogger,
      metrics: new Metrics(),
      http: false,
      role: 'worker',
    });
    teardown.add('worker', () => worker.stop());
    const enqueued: EnqueueItem[] = [];
    const enqueue = worker.queue.enqueue.bind(worker.queue);
    worker.queue.enqueue = async (items, onAdded) => {
      enqueued.push(...items);
      return enqueue(items, onAdded);
    };
    const metrics = new Metrics();
    const startScheduler = async () => {
      const s = new Scheduler({
        config,
        store: worker.store,
        queue: worker.queue,
        logger: silentLogger,
        metrics,
        clock,
      });
      s.on('error', () => {});
      teardown.add('scheduler', () => s.stop());
      await s.start();
      return s;
    };
    const advance = (to: number) => advanceScheduler(clock, to);
    const answered = async (jobs: string[], slot: number) => {
      const rows = await readRuns(databaseUrl);
      return jobs.every((job) =>
        rows.some((r) => r.jobId === job && r.scheduledFor === slot && ANSWERED.has(r.status)),
      );
    };
    const slotsOf = (items: EnqueueItem[], job: string) =>
      items.filter((i) => i.name === job).map((i) => Date.parse(i.data.scheduledFor as string));

    let scheduler = await startScheduler();
    await advance(at(5_500));
    await eventually(() => answered(perSecond, at(5000)), 'the first five seconds');

    // Suspended: the machine wakes 2 h 40 s later and every timer is overdue.
    const wokeAt = Date.now();
    clock.jump(at(2 * hour + 45_500));
    const advancing = advance(at(2 * hour + 46_500));
    const recovered = await when(() => answered(perSecond, at(2 * hour + 45_000)), 'the newest slot after the suspend');
    await advancing;
    reportRecovery('clock-forward-2h', recovered - wokeAt);
    await advance(at(2 * hour + 50_500));
    expect(slotsOf(enqueued, 's1').map((s) => (s - hour0) / 1000)).toEqual([
      1, 2, 3, 4, 5, 7245, 7246, 7247, 7248, 7249, 7250,
    ]);

    // NTP steps the clock 30 s back: the armed timer fires with the next slot 30 s ahead.
    const cursor = at(2 * hour + 50_000);
    const before = enqueued.length;
    stepWallClock(clock, -30_000);
    await advance(at(2 * hour + 55_500));
    const afterStep = enqueued.slice(before);
    expect(afterStep.filter((i) => Date.parse(i.data.scheduledFor as string) <= cursor)).toEqual([]);
    expect(slotsOf(afterStep, 's1').map((s) => s - cursor)).toEqual([1000, 2000, 3000, 4000, 5000]);

    // Restarted while the clock is behind what it already fired: still nothing twice.
    await scheduler.stop();
    stepWallClock(clock, -30_000);
    const beforeRestart = enqueued.length;
    scheduler = await startScheduler();
    await advance(at(2 * hour + 60_500));
    const afterRestart = enqueued.slice(beforeRestart);
    expect(afterRestart.filter((i) => Date.parse(i.data.scheduledFor as string) <= cursor + 5000)).toEqual([]);
    expect(slotsOf(afterRestart, 's1').map((s) => s - cursor)).toEqual([6000, 7000, 8000, 9000, 10_000]);
    await eventually(() => answered([...perSecond, 'minutely'], at(2 * hour + 60_000)), 'the slots after the restart');
    await scheduler.stop();
    await eventually(
      async () => (await worker.queue.counts()).active === 0 && target.inFlight().length === 0,
      'the last runs',
    );
    await worker.stop();

    expect(enqueued.length).toBe(new Set(enqueued.map((i) => i.id)).size); // no slot enqueued twice
    const rows = await readRuns(databaseUrl);
    expect(problems(rows, perSecond)).toEqual(clean(perSecond));
    const ran = (job: string) =>
      rows
        .filter((r) => r.jobId === job && ANSWERED.has(r.status))
        .map((r) => [iso(r.scheduledFor!), r.trigger])
        .sort();
    const missed = (job: string) =>
      rows
        .filter((r) => r.jobId === job && r.status === 'missed')
        .map((r) => r.scheduledFor!)
        .sort((a, b) => a - b);
    for (const job of perSecond) {
      // 1-5 s; the newest slot at the wake-up (2 h 45 s); then 46-60 s through the steps back and the restart.
      const expected = [1, 2, 3, 4, 5, ...Array.from({ length: 16 }, (_, i) => 7245 + i)].map((s) => iso(at(s * 1000)));
      expect(ran(job).map(([when]) => when)).toEqual(expected.sort());
      const m = missed(job);
      expect([job, m.length, iso(m[0]!), iso(m[m.length - 1]!)]).toEqual([
        job,
        7239,
        iso(at(6000)),
        iso(at(2 * hour + 44_000)),
      ]); // every second of the suspend, once
      expect([job, target.count(job)]).toEqual([job, 21]);
    }
    // The newest slot within the deadline: once, as a catch-up; every older one missed.
    expect(ran('minutely')).toEqual([
      [iso(at(2 * hour)), 'catch-up'],
      [iso(at(2 * hour + 60_000)), 'schedule'],
    ]);
    expect(missed('minutely')).toEqual(Array.from({ length: 119 }, (_, i) => at((i + 1) * 60_000)));
    expect(ran('ten-min')).toEqual([[iso(at(2 * hour)), 'catch-up']]);
    expect(missed('ten-min')).toEqual(Array.from({ length: 11 }, (_, i) => at((i + 1) * 600_000)));
    expect(ran('hourly-strict')).toEqual([]); // deadline 0: never caught up
    expect(missed('hourly-strict')).toEqual([at(hour), at(2 * hour)]);
    for (const job of ['minutely', 'ten-min', 'hourly-strict'])
      expect([job, target.count(job)]).toEqual([job, ran(job).length]);
    const counted = (await metrics.missedSlots.get()).values.map((v) => [v.labels.job, v.value]).sort();
    expect(counted).toEqual([
      ['hourly-strict', 2],
      ['minutely', 119],
      ['s1', 7239],
      ['s2', 7239],
      ['s3', 7239],
      ['ten-min', 11],
    ]);
  }, 60_000);
});
