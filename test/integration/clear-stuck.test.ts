/**
 * clear-stuck on the suite's Redis (a queue of its own) and PostgreSQL: a job whose worker
 * died mid-run (active, lock gone) and one running far past its time are found, then
 * retried or failed only with confirm; a session idle in its transaction is terminated.
 */
import { Queue, Worker } from 'bullmq';
import pg from 'pg';
import { parseConfig } from '../../src/configure.js';
import { clearStuck, clearStuckParams } from '../../src/jobs/clear-stuck.js';
import { redisConnection } from '../../src/queue/bullmq.js';
import { resolveParams } from '../../src/worker.js';
import { createDatabase } from '../support/services.mjs';
import { jobContext } from '../support/job-context.js';
import { eventually } from '../support/target.js';

const redisUrl = process.env.OPSCRON_TEST_REDIS_URL!;

describe('clear-stuck', () => {
  it('finds stalled and overlong queue jobs, and retries or fails them only with confirm', async () => {
    const name = `stuck-${Date.now()}`;
    const queue = new Queue(name, { connection: redisConnection(redisUrl, false) });
    const hang = () => new Promise(() => {});
    // A worker that dies mid-run: its lock expires and nobody checks for stalled jobs.
    const dead = new Worker(name, hang, {
      connection: redisConnection(redisUrl, true),
      lockDuration: 1000,
      stalledInterval: 600_000,
    });
    await queue.add('export', { n: 1 }, { jobId: 'dead-1' });
    await eventually(async () => (await queue.getActiveCount()) === 1, 'the job to be active');
    await dead.close(true);
    // A live worker that hangs: its lock is renewed, it is just taking too long.
    const slow = new Worker(name, hang, { connection: redisConnection(redisUrl, true), lockDuration: 30_000 });
    await queue.add('import', { n: 2 }, { jobId: 'slow-1' });
    await eventually(async () => (await queue.getActiveCount()) === 2, 'both jobs active');
    await new Promise((r) => setTimeout(r, 1500));

    const config = parseConfig({});
    const report = await clearStuck.run(
      jobContext(config),
      clearStuckParams.parse({ queues: [{ name, redisUrl, maxActive: '1s' }] }),
    );
    expect(report.findings.map((f) => [f.resource, f.message.replace(/\d+ s/g, 'N s')]).sort()).toEqual([
      [`queue/${name}/dead-1`, 'export (dead-1) stalled: active for N s and no worker holds its lock'],
      [`queue/${name}/slow-1`, 'import (slow-1) active for N s, longer than N s'],
    ]);
    expect(report.status).toBe('warning');

    const job = {
      id: 'unstick',
      type: 'clear-stuck',
      params: { queues: [{ name, redisUrl, maxActive: '1h' }], action: 'retry' },
      destructive: false,
    } as never;
    expect(() => resolveParams(job, {})).toThrow('unstick is destructive');
    const retried = await clearStuck.run(jobContext(config), resolveParams(job, { confirm: true }) as never);
    expect(retried.findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/^export \(dead-1\) stalled: .*: moved back to waiting$/),
    ]); // the slow one is within 1 h
    expect(await (await queue.getJob('dead-1'))!.getState()).toMatch(/^(waiting|active)$/); // the live worker may pick it up again

    await slow.close(true);
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('terminates sessions idle in a transaction, with confirm', async () => {
    const url = await createDatabase('stuck');
    const idle = new pg.Client({ connectionString: url });
    await idle.connect();
    idle.on('error', () => {});
    await idle.query('begin');
    await idle.query(`select 'hunter2-password' as pw`);
    await new Promise((r) => setTimeout(r, 300));
    const config = parseConfig({ databases: [{ name: 'app', url }] });
    const seen = await clearStuck.run(
      jobContext(config),
      clearStuckParams.parse({ database: 'app', idleInTransaction: '100ms' }),
    );
    expect(seen.findings).toEqual([
      expect.objectContaining({
        check: 'pg.idle-in-transaction',
        message: expect.stringMatching(/idle in transaction for \d+ s: select \? as pw$/),
      }),
    ]);
    expect(JSON.stringify(seen)).not.toContain('hunter2');
    const job = {
      id: 'kill-idle',
      type: 'clear-stuck',
      params: { database: 'app', idleInTransaction: '100ms', terminate: true },
      destructive: false,
    } as never;
    expect(() => resolveParams(job, {})).toThrow('kill-idle is destructive');
    const done = await clearStuck.run(jobContext(config), resolveParams(job, { confirm: true }) as never);
    expect(done).toMatchObject({
      metrics: { idleSessions: 1, cleared: 1 },
      findings: [
        expect.objectContaining({ check: 'pg.session-terminated', message: expect.stringMatching(/terminated$/) }),
      ],
    });
    await expect(idle.query('select 1')).rejects.toThrow(/terminat|connection error/);
    await idle.end().catch(() => {});
  });
});
