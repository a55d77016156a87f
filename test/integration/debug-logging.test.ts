/**
 * debug-logging through the real client against the fake API server (a stand-in; see its
 * header), with a fixed clock: LOG_LEVEL goes to debug, asking again extends the time but
 * keeps the original value, and the revert happens at its time — also when opscron was
 * restarted in between (the embedded store reopened from disk, a new Reverter).
 */
import { join } from 'node:path';
import { parseConfig } from '../../src/configure.js';
import { debugLogging, debugLoggingParams } from '../../src/jobs/debug-logging.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Reverter } from '../../src/reverts/reverter.js';
import { clockAt } from '../support/fake-clock.js';
import { listAudit } from '../../src/store/audit.js';
import { openStore, type Store } from '../../src/store/index.js';
import { tempDir } from '../support/cli.js';
import { FakeKube } from '../support/fake-kube.js';
import { jobContext } from '../support/job-context.js';

const at = (hhmm: string) => new Date(`2026-11-26T${hhmm}:00Z`);

describe('debug-logging', () => {
  let kube: FakeKube;
  let dir: string;
  beforeAll(async () => {
    kube = await new FakeKube().start();
    kube.add({
      kind: 'ConfigMap',
      metadata: { name: 'checkout-config', namespace: 'shop' },
      data: { LOG_LEVEL: 'info', PORT: '8080' },
    });
    kube.addDeployment('shop', 'checkout', { image: 'checkout:3.1.0' });
    dir = tempDir('debug-');
  });
  afterAll(async () => {
    await kube.stop();
  });

  const config = () =>
    parseConfig({
      kubernetes: { kubeconfig: kube.kubeconfig(dir), namespaces: ['shop'] },
      services: [{ name: 'checkout', url: 'http://checkout.shop', namespace: 'shop', deployment: 'checkout' }],
    });
  const run = (store: Store, now: Date, params: Record<string, unknown> = {}) =>
    debugLogging.run(
      jobContext(config(), () => {}, { store, now: () => now }),
      debugLoggingParams.parse({ service: 'checkout', configMap: 'checkout-config', ...params }),
    );

  it('turns debug on, extends without losing the original value, and reverts at its time across a restart', async () => {
    const path = join(dir, 'db');
    let store = await openStore({ path });
    const first = await run(store, at('10:00'));
    expect(first.summary).toBe(
      'LOG_LEVEL=debug on configmap/shop/checkout-config until 2026-11-26T10:30:00.000Z (then back to info)',
    );
    expect(kube.get('ConfigMap', 'shop', 'checkout-config')!.data).toEqual({ LOG_LEVEL: 'debug', PORT: '8080' });
    const second = await run(store, at('10:10'));
    expect(second.summary).toBe(
      'LOG_LEVEL=debug on configmap/shop/checkout-config until 2026-11-26T10:40:00.000Z (extended; then back to info)',
    );
    expect(await store.reverts.pending()).toEqual([
      expect.objectContaining({ previous: 'info', value: 'debug', revertAt: at('10:40') }),
    ]);

    // opscron stops; a new process starts on the same store.
    await store.close();
    store = await openStore({ path });
    let now = at('10:35');
    const reverter = new Reverter({ config: config(), store, logger: silentLogger, clock: clockAt(() => now) });
    expect(await reverter.runOnce()).toEqual([]);
    expect(kube.get('ConfigMap', 'shop', 'checkout-config')!.data.LOG_LEVEL).toBe('debug');
    now = at('10:41');
    expect(await reverter.runOnce()).toEqual(['shop/checkout-config/LOG_LEVEL']);
    expect(kube.get('ConfigMap', 'shop', 'checkout-config')!.data).toEqual({ LOG_LEVEL: 'info', PORT: '8080' });
    expect(await store.reverts.pending()).toEqual([]);
    expect(await listAudit(store.sql)).toEqual([
      expect.objectContaining({
        actor: 'opscron/debug-logging',
        action: 'revert',
        reason: 'debug-logging TTL expired',
        params: expect.objectContaining({ from: 'debug', to: 'info' }),
      }),
    ]);
    expect(await reverter.runOnce()).toEqual([]); // once
    await store.close();
  });

  it('leaves a value changed by hand during the TTL: no write, no restart, and the audit log and the log say why', async () => {
    const store = await openStore({ path: 'memory://' });
    const logged: Array<{ fields: unknown; message: string }> = [];
    const logger = {
      ...silentLogger,
      warn: (fields: unknown, message: string) => logged.push({ fields, message }),
      info: () => {},
    } as unknown as typeof silentLogger;
    try {
      await run(store, at('13:00'), { ttl: '10m', restart: true });
      const restartedAt = () =>
        kube.deployment('shop', 'checkout').spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'];
      expect(restartedAt()).toBe('2026-11-26T13:00:00.000Z');
      // An operator chasing the incident sets it to trace by hand.
      kube.add({ ...kube.get('ConfigMap', 'shop', 'checkout-config')!, data: { LOG_LEVEL: 'trace', PORT: '8080' } });
      const patchesBefore = kube.requests.filter((r) => r.method === 'PATCH').length;
      const reverter = new Reverter({ config: config(), store, logger, clock: clockAt(() => at('13:11')) });
      expect(await reverter.runOnce()).toEqual([]);
      expect(kube.get('ConfigMap', 'shop', 'checkout-config')!.data).toEqual({ LOG_LEVEL: 'trace', PORT: '8080' });
      expect(kube.requests.filter((r) => r.method === 'PATCH')).toHaveLength(patchesBefore);
      expect(restartedAt()).toBe('2026-11-26T13:00:00.000Z');
      expect(await store.reverts.pending()).toEqual([]); // closed, not retried every 10 s
      const reason =
        'not reverted: LOG_LEVEL in configmap shop/checkout-config holds "trace", not "debug" as debug-logging set it — changed by someone during the TTL, so their change stays (no restart)';
      expect(await listAudit(store.sql)).toEqual([
        expect.objectContaining({
          action: 'revert-skipped',
          reason,
          params: expect.objectContaining({ key: 'LOG_LEVEL', set: 'debug', found: 'trace', wouldRestore: 'info' }),
        }),
      ]);
      expect(logged.map((l) => l.message)).toEqual([reason]);
    } finally {
      await store.close();
    }
  });

  it('a key that was not there is removed again; restart: true restarts the deployment both times', async () => {
    const store = await openStore({ path: 'memory://' });
    try {
      const before = kube.deployment('shop', 'checkout').metadata.annotations['deployment.kubernetes.io/revision'];
      await run(store, at('12:00'), { key: 'TRACE', level: 'on', ttl: '5m', restart: true });
      expect(kube.get('ConfigMap', 'shop', 'checkout-config')!.data.TRACE).toBe('on');
      const restartedAt = () =>
        kube.deployment('shop', 'checkout').spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'];
      expect(restartedAt()).toBe('2026-11-26T12:00:00.000Z');
      expect(kube.deployment('shop', 'checkout').metadata.annotations['deployment.kubernetes.io/revision']).not.toBe(
        before,
      );
      await new Reverter({
        config: config(),
        store,
        logger: silentLogger,
        clock: clockAt(() => at('12:06')),
      }).runOnce();
      expect(kube.get('ConfigMap', 'shop', 'checkout-config')!.data).not.toHaveProperty('TRACE');
      expect(restartedAt()).toBe('2026-11-26T12:06:00.000Z');
    } finally {
      await store.close();
    }
  });
});
