/**
 * A mail server that takes a message and never says whether it took it (a relay with a
 * full disk, a firewall that drops the last packet) holds each mail for nodemailer's
 * socket timeout. The incident page queued behind it must not wait for that: each channel
 * is its own lane, in its own order. Real SMTP server (smtp-server), real HTTP receiver,
 * the store on SQLite.
 */
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { parseConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { DeliveryWorker } from '../../src/reports/deliver/outbox.js';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../support/cli.js';
import { Receiver } from '../support/receiver.js';
import { clockAt } from '../support/fake-clock.js';
import { eventually } from '../support/target.js';

describe('the outbox, with a mail server that hangs', () => {
  let smtp: SMTPServer;
  let receiver: Receiver;
  let store: Store;
  let outbox: DeliveryWorker | null = null;
  let pass: Promise<number> | null = null;
  let mailsStarted = 0;
  const closeSmtp = () => new Promise<void>((r) => smtp.close(() => r()));

  beforeEach(async () => {
    mailsStarted = 0;
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      closeTimeout: 100,
      onData(stream) {
        // Reads the message and never answers it.
        mailsStarted++;
        stream.resume();
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    receiver = new Receiver();
    await receiver.start();
    store = await openStore({ path: join(tempDir('outbox-lanes-'), 'db') });
  });
  afterEach(async () => {
    await closeSmtp(); // ends the hung mail, so the pass ends before the store closes
    await pass?.catch(() => 0);
    await outbox?.stop();
    await store.close();
    await receiver.stop();
  });

  it('delivers the incident page while the mail queued before it hangs', async () => {
    const port = (smtp.server.address() as { port: number }).port;
    const config = parseConfig({
      email: { smtpUrl: `smtp://127.0.0.1:${port}` },
      notifications: {
        channels: { pager: { type: 'webhook', url: `${receiver.url}/page`, secret: 'webhook-secret-0123456789' } },
      },
    });
    const now = new Date();
    await store.deliveries.queueAlert(
      { subject: 'weekly', text: 'the weekly note' },
      'email',
      ['ops@example.com'],
      now,
    );
    const event = {
      id: 'inc-1/opened/pager',
      kind: 'opened' as const,
      at: now.toISOString(),
      incident: {
        id: 'inc-1',
        service: 'checkout',
        severity: 'critical',
        title: 'health critical on checkout',
        status: 'open' as const,
        openedAt: now.toISOString(),
        signals: ['health'],
      },
      summary: 'checkout is down',
      evidence: [],
    };
    await store.deliveries.queueNotifications(
      [
        {
          message: event,
          channel: 'webhook',
          recipients: [],
          target: 'pager',
          incidentId: 'inc-1',
          dedupKey: event.id,
        },
      ],
      now,
    );
    outbox = new DeliveryWorker({ config, store, logger: silentLogger, metrics: new Metrics() });
    pass = outbox.runOnce();
    await eventually(async () => mailsStarted === 1, 'the mail to reach the server');
    // Well within nodemailer's 60 s socket timeout that the mail is waiting out.
    const [page] = await eventually(
      async () => (receiver.json('/page').length ? receiver.json('/page') : null),
      'the page',
      10_000,
    );
    expect(page).toMatchObject({ kind: 'opened', incident: { id: 'inc-1' } });

    // The hung mail fails (the server goes away) and is kept for a retry; the page was sent once.
    await closeSmtp();
    expect(await pass).toBe(1);
    expect(await store.deliveries.ofIncident('inc-1')).toEqual([
      expect.objectContaining({ status: 'sent', attempts: 1 }),
    ]);
  }, 30_000);

  it('leaves what its lease no longer covers to the next claim, rather than sending it twice', async () => {
    const port = (smtp.server.address() as { port: number }).port;
    const config = parseConfig({ email: { smtpUrl: `smtp://127.0.0.1:${port}` } });
    let now = Date.now();
    for (const subject of ['first', 'second'])
      await store.deliveries.queueAlert({ subject, text: subject }, 'email', ['ops@example.com'], new Date(now));
    outbox = new DeliveryWorker({
      config,
      store,
      logger: silentLogger,
      metrics: new Metrics(),
      clock: clockAt(() => now),
    });
    pass = outbox.runOnce();
    await eventually(async () => mailsStarted === 1, 'the first mail to reach the server');
    // The first mail hangs until the lease of both is over: another process may claim the second now.
    now += 5 * 60_000;
    await closeSmtp();
    expect(await pass).toBe(0);
    const { rows } = await store.sql.query<{ status: string; last_error: string | null }>(
      'select status, last_error from deliveries order by id',
    );
    expect(rows).toEqual([
      { status: 'pending', last_error: expect.any(String) }, // tried, failed, retried later
      { status: 'pending', last_error: null }, // not tried by this pass
    ]);
  }, 30_000);
});
