/**
 * The small pieces of I/O plumbing jobs lean on: a cancellable wait on the run's clock, a
 * probe that turns a bad URL into a finding, and pg_dump/psql arguments from a URL.
 */
import { waitFor } from '../../src/clock.js';
import { probe } from '../../src/integrations/http.js';
import { pgConnection } from '../../src/integrations/pg-tools.js';
import { FakeClock } from '../support/fake-clock.js';

describe('waitFor', () => {
  it('resolves when the run clock passes the wait, not before', async () => {
    const clock = new FakeClock(0);
    let done = false;
    const wait = waitFor(clock, 5000, new AbortController().signal).then(() => (done = true));
    await clock.advanceTo(4999, () => done);
    expect(done).toBe(false);
    await clock.advanceTo(5000, () => done);
    await wait;
    expect(done).toBe(true);
  });

  it('rejects with the abort reason, and clears its timer', async () => {
    const clock = new FakeClock(0);
    const cleared: unknown[] = [];
    const clear = clock.clearTimeout;
    clock.clearTimeout = (id) => (cleared.push(id), clear(id));
    const controller = new AbortController();
    const wait = waitFor(clock, 60_000, controller.signal);
    controller.abort(new Error('cancelled by alice'));
    await expect(wait).rejects.toThrow('cancelled by alice');
    expect(cleared).toHaveLength(1);
  });

  it('rejects at once on a signal that was already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('timed out'));
    await expect(waitFor(new FakeClock(0), 60_000, controller.signal)).rejects.toThrow('timed out');
  });

  it('a loop of waits leaves no abort listeners behind', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...args: Parameters<typeof add>) => (added++, add(...args))) as typeof add;
    controller.signal.removeEventListener = ((...args: Parameters<typeof remove>) => (
      removed++,
      remove(...args)
    )) as typeof remove;
    for (let i = 0; i < 50; i++) {
      let done = false;
      const wait = waitFor(clock, 1000, controller.signal).then(() => (done = true));
      await clock.advanceTo(clock.now() + 1000, () => done);
      await wait;
    }
    expect(added).toBe(50);
    expect(removed).toBe(50);
  });
});

describe('probe', () => {
  it('answers a URL that does not parse with an error, instead of throwing', async () => {
    const result = await probe('http://exa mple.com:99999/', { timeoutMs: 1000, signal: new AbortController().signal });
    expect(result.error).toBe('not a valid URL');
  });

  it('answers a header value the client refuses with its message', async () => {
    const result = await probe('http://127.0.0.1:9/', {
      timeoutMs: 1000,
      signal: new AbortController().signal,
      headers: { 'x-bad': 'line\nbreak' },
    });
    expect(result.error).toMatch(/Invalid character in header content/);
  });
});

describe('pgConnection', () => {
  it('names host, port, user and database, and passes the password only in the environment', () => {
    const c = pgConnection('postgres://ops%40corp:s3cr%23t@db.internal:6543/orders?sslmode=require');
    expect(c.args).toEqual(['-h', 'db.internal', '-p', '6543', '-U', 'ops@corp', '-d', 'orders']);
    expect(c.env).toEqual({ PGPASSWORD: 's3cr#t', PGSSLMODE: 'require' });
    expect(c.database).toBe('orders');
  });

  it('without a database in the URL uses the user name, as node-postgres does', () => {
    expect(pgConnection('postgres://reporter@db.internal').database).toBe('reporter');
    expect(pgConnection('postgres://db.internal').database).toBe('postgres');
  });
});
