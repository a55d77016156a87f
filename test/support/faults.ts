/**
 * What the fault-injection suite (test/integration/faults.test.ts) needs beyond the other
 * helpers: a target that records every request (which job, which worker sent it, whether
 * it was answered or abandoned by a dying client), a ledger of the run history that finds
 * lost, doubled and stuck runs, a trigger load through the HTTP API, recovery timings in a
 * stable form, and teardown that runs whatever failed.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import pg from 'pg';
import type { FakeClock } from './fake-clock.js';
import type { Running } from './cli.js';

export interface Hit {
  job: string;
  /** The `x-worker` header the probe sent (the worker config that made the request), if any. */
  worker: string | null;
  at: number;
  answeredAt: number | null;
  /** The client closed the connection before the answer was sent (it died mid-run). */
  abandoned: boolean;
}

/** A real HTTP service for health-check jobs to probe, recording each request. */
export class FaultTarget {
  readonly hits: Hit[] = [];
  /** Delay before answering, per job ('' for any job not named). */
  delays = new Map<string, number>();
  onRequest: ((hit: Hit) => void) | null = null;
  port = 0;
  private readonly server: Server;
  private readonly open = new Set<ServerResponse>();

  constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  url(job: string): string {
    return `http://127.0.0.1:${this.port}/health?job=${encodeURIComponent(job)}`;
  }

  count(job: string): number {
    return this.hits.filter((h) => h.job === job).length;
  }
  answered(job: string): number {
    return this.hits.filter((h) => h.job === job && h.answeredAt !== null).length;
  }
  abandoned(job?: string): number {
    return this.hits.filter((h) => (job === undefined || h.job === job) && h.abandoned).length;
  }
  inFlight(): Hit[] {
    return this.hits.filter((h) => h.answeredAt === null && !h.abandoned);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const job = new URL(req.url ?? '/', 'http://x').searchParams.get('job') ?? '';
    const worker = req.headers['x-worker'];
    const hit: Hit = {
      job,
      worker: typeof worker === 'string' ? worker : null,
      at: Date.now(),
      answeredAt: null,
      abandoned: false,
    };
    this.hits.push(hit);
    this.open.add(res);
    res.on('close', () => {
      this.open.delete(res);
      if (!res.writableFinished) hit.abandoned = true;
    });
    res.on('finish', () => (hit.answeredAt = Date.now()));
    this.onRequest?.(hit);
    setTimeout(
      () => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"ok"}');
      },
      this.delays.get(job) ?? this.delays.get('') ?? 0,
    );
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A run row as the ledger reads it, straight from the table. */
export interface LedgerRow {
  id: string;
  queueId: string | null;
  jobId: string;
  trigger: string;
  scheduledFor: number | null;
  attempt: number;
  status: string;
  error: string | null;
  requestedBy: string | null;
  createdAt: number;
  finishedAt: number | null;
}

/** Reads every run row of the database (a fresh connection each time: it may have just restarted). */
export async function readRuns(databaseUrl: string): Promise<LedgerRow[]> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{
      id: string;
      queue_id: string | null;
      job_id: string;
      trigger: string;
      scheduled_for: Date | null;
      attempt: number;
      status: string;
      error: string | null;
      requested_by: string | null;
      created_at: Date;
      finished_at: Date | null;
    }>(
      'select id, queue_id, job_id, trigger, scheduled_for, attempt, status, error, requested_by, created_at, finished_at from runs',
    );
    return rows.map((r) => ({
      id: r.id,
      queueId: r.queue_id,
      jobId: r.job_id,
      trigger: r.trigger,
      scheduledFor: r.scheduled_for ? r.scheduled_for.getTime() : null,
      attempt: r.attempt,
      status: r.status,
      error: r.error,
      requestedBy: r.requested_by,
      createdAt: r.created_at.getTime(),
      finishedAt: r.finished_at ? r.finished_at.getTime() : null,
    }));
  } finally {
    await client.end().catch(() => {});
  }
}

/** One query on a database, with a fresh connection. */
export async function query<R extends Record<string, unknown>>(
  databaseUrl: string,
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<R>(text, params)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Statuses of an attempt that ran the job to an answer (it reached the target and heard back). */
export const ANSWERED = new Set(['ok', 'warning', 'critical']);

/** What an operator checks in the history after a fault, for one job. */
export interface JobLedger {
  job: string;
  rows: number;
  ran: number;
  missed: number;
  skipped: number;
  /** Attempts closed as lost with their worker (failed, "stopped mid-run" or "worker lost"). */
  lost: number;
  /** Slots (ms) in [first, last] of a schedule with no row at all: lost fires. */
  gaps: number[];
  /** Slots with more than one answered attempt: a slot executed twice. */
  doubled: number[];
  /** Slots with more than one row of the same attempt number. */
  sameAttempt: string[];
  stillRunning: string[];
}

/**
 * The ledger of one job. For a schedule of `everyMs`, every slot from the first to the last
 * seen must have a row (ran or missed), and none may have been answered twice.
 */
export function ledgerOf(rows: LedgerRow[], job: string, everyMs?: number): JobLedger {
  const mine = rows.filter((r) => r.jobId === job);
  const bySlot = new Map<number, LedgerRow[]>();
  const byAttempt = new Map<string, number>();
  for (const r of mine) {
    if (r.scheduledFor !== null && (r.trigger === 'schedule' || r.trigger === 'catch-up' || r.status === 'missed')) {
      bySlot.set(r.scheduledFor, [...(bySlot.get(r.scheduledFor) ?? []), r]);
    }
    const key = `${r.queueId ?? r.id}#${r.attempt}`;
    byAttempt.set(key, (byAttempt.get(key) ?? 0) + 1);
  }
  const slots = [...bySlot.keys()].sort((a, b) => a - b);
  const gaps: number[] = [];
  if (everyMs && slots.length)
    for (let s = slots[0]!; s <= slots[slots.length - 1]!; s += everyMs) if (!bySlot.has(s)) gaps.push(s);
  return {
    job,
    rows: mine.length,
    ran: mine.filter((r) => ANSWERED.has(r.status)).length,
    missed: mine.filter((r) => r.status === 'missed').length,
    skipped: mine.filter((r) => r.status === 'skipped').length,
    lost: mine.filter((r) => r.status === 'failed' && /stopped (mid-run|while this run)/.test(r.error ?? '')).length,
    gaps,
    doubled: slots.filter((s) => bySlot.get(s)!.filter((r) => ANSWERED.has(r.status)).length > 1),
    sameAttempt: [...byAttempt].filter(([, n]) => n > 1).map(([k]) => k),
    stillRunning: mine.filter((r) => r.status === 'running').map((r) => r.id),
  };
}

/** Prints a recovery time in the one form the bench notes collect: `RECOVERY <scenario> <ms> ms`. */
export function reportRecovery(scenario: string, ms: number): void {
  console.log(`RECOVERY ${scenario} ${Math.round(ms)} ms`);
}

/** Polls `fn` every 20 ms until it is truthy; resolves with the moment (Date.now()) it was first seen so. */
export async function when(fn: () => Promise<unknown> | unknown, what: string, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await fn()) return Date.now();
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until the wall clock is `offsetMs` past a whole second (slots are on whole seconds). */
export async function untilSecondOffset(offsetMs: number): Promise<void> {
  const now = Date.now();
  await sleep((1000 + offsetMs - (now % 1000)) % 1000);
}

export interface TriggerResult {
  status: number;
  runId: string | null;
  at: number;
}

/**
 * Manual triggers through the HTTP API, one after another every `everyMs`, until stopped:
 * what each answered (0: no answer at all).
 */
export class TriggerLoad {
  readonly results: TriggerResult[] = [];
  private running = false;
  private loop: Promise<void> | null = null;

  constructor(private readonly o: { address: () => string; token: string; job: string; everyMs: number }) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.once();
        await sleep(this.o.everyMs);
      }
    })();
  }

  async once(): Promise<TriggerResult> {
    const at = Date.now();
    let result: TriggerResult;
    try {
      const response = await fetch(`${this.o.address()}/api/jobs/${this.o.job}/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.o.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'fault-injection load' }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await response.json().catch(() => ({}))) as { runId?: string };
      result = { status: response.status, runId: body.runId ?? null, at };
    } catch {
      result = { status: 0, runId: null, at };
    }
    this.results.push(result);
    return result;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  get accepted(): string[] {
    return this.results.filter((r) => r.status === 202).map((r) => r.runId!);
  }
  get refused(): TriggerResult[] {
    return this.results.filter((r) => r.status !== 202);
  }
}

/** Teardown steps, run in reverse order of registration, each whatever the others do. */
export class Teardown {
  private steps: [string, () => Promise<unknown> | unknown][] = [];

  add(what: string, step: () => Promise<unknown> | unknown): void {
    this.steps.push([what, step]);
  }

  async run(): Promise<void> {
    const failures: string[] = [];
    for (const [what, step] of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        failures.push(`${what}: ${String(error)}`);
      }
    }
    if (failures.length) console.warn(`teardown: ${failures.join('; ')}`);
  }
}

/** A child opscron that must be gone after the test: SIGTERM, then SIGKILL if it lingers. */
export async function ensureStopped(child: Running, graceMs = 10_000): Promise<void> {
  if (child.child.exitCode !== null || child.child.signalCode !== null) return;
  child.child.kill('SIGTERM');
  const exited = await Promise.race([child.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!exited) {
    child.child.kill('SIGKILL');
    await child.exited;
  }
}

/**
 * A wall-clock step as the operating system makes one (NTP stepping the clock, or a
 * machine resumed from suspend): Date.now() moves by `deltaMs`, while timers keep the time
 * they had left — Node's timers run on the monotonic clock. FakeClock.jump instead keeps
 * timers at their absolute times, as if they were set on the wall clock.
 */
export function stepWallClock(clock: FakeClock, deltaMs: number): void {
  for (const t of timersOf(clock)) t.at += deltaMs;
  clock.jump(clock.now() + deltaMs);
}

const timersOf = (clock: FakeClock): { at: number }[] => {
  const timers = (clock as unknown as { timers: { at: number }[] }).timers;
  if (!Array.isArray(timers)) throw new Error('FakeClock has no timers list: the fault helpers need updating');
  return timers;
};

/**
 * Moves a FakeClock that only a scheduler uses to `to`, one timer at a time, never ahead of
 * the scheduler: before each step it waits (in real time) until the scheduler has armed a
 * timer again — its next wake-up, or the wait for a slot's instant — so a tick that is
 * still writing to the store never sees the clock run on without it. (FakeClock.advanceTo
 * judges by `scheduler.busy`, which another timer's callback can end early.)
 */
export async function advanceScheduler(clock: FakeClock, to: number): Promise<void> {
  for (;;) {
    await when(() => timersOf(clock).length > 0, 'the scheduler to arm its timer', 30_000);
    const next = Math.min(...timersOf(clock).map((t) => t.at));
    if (next > to) {
      if (clock.now() < to) await clock.advanceTo(to, () => true);
      return;
    }
    await clock.advanceTo(Math.max(next, clock.now()), () => true);
  }
}
