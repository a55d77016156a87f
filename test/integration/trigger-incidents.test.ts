/**
 * A trigger may tune a run's thresholds (the trigger boundary), but a run judged by
 * thresholds a trigger chose is not the configured check: it must not move an incident
 * signal. Otherwise a `trigger` token opens incidents at will — paging on-call and running
 * the configured remediation, writes a trigger token may not make — or resolves a real
 * outage by loosening the check until it passes. Real HTTP service, real store, the whole
 * opscron (API, inline queue, worker, incident manager).
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { startOpscron, type Opscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { listRuns } from '../../src/store/runs.js';
import { tempDir } from '../support/cli.js';
import { eventually } from '../support/target.js';

const TRIGGER = 'trigger-token-0123456789';
const ADMIN = 'admin-token-0123456789';

describe('tuned runs and incidents', () => {
  let service: Server;
  let app: Opscron | null = null;
  const state = { down: false, resets: 0 };

  beforeAll(async () => {
    service = createServer((req, res) => {
      if (req.method === 'POST' && req.url === '/admin/reset-breakers') {
        state.resets++;
        res.end('{"reset":true}');
      } else {
        res.statusCode = state.down ? 503 : 200;
        res.end(state.down ? '{"status":"down"}' : '{"status":"ok"}');
      }
    });
    await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise((r) => service.close(r));
  });
  beforeEach(async () => {
    state.down = false;
    state.resets = 0;
    const url = `http://127.0.0.1:${(service.address() as { port: number }).port}`;
    const config = parseConfig({
      store: { path: join(tempDir('tuned-db-'), 'db') },
      reports: { path: tempDir('tuned-reports-') },
      http: {
        port: 0,
        host: '127.0.0.1',
        tokens: [
          { name: 'otto', token: TRIGGER, scope: 'trigger' },
          { name: 'ada', token: ADMIN, scope: 'admin' },
        ],
      },
      services: [{ name: 'shop', url, breakerResetPath: '/admin/reset-breakers' }],
      jobs: [
        { id: 'shop-health', type: 'health-check', params: { service: 'shop', checkDependencies: false } },
        { id: 'shop-reset', type: 'reset-breakers', params: { services: ['shop'] } },
        {
          id: 'shop-streak',
          type: 'health-check',
          params: { service: 'shop', checkDependencies: false, failureThreshold: 3 },
        },
      ],
      incidents: { openAfter: 2, resolveAfter: 2, remediation: { shop: [{ job: 'shop-reset' }] } },
    });
    app = await startOpscron({ config, logger: silentLogger, metrics: new Metrics() });
  });
  afterEach(async () => {
    await app?.stop();
    app = null;
  });

  /** Triggers a job (shop-health) through the API and waits until its verdict is applied. */
  const trigger = async (token: string, params: Record<string, unknown>, job = 'shop-health') => {
    const response = await fetch(`${app!.address}/api/jobs/${job}/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ params }),
    });
    expect(response.status).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    const run = await eventually(async () => {
      const found = (await listRuns(app!.store.sql, { job })).find((r) => r.id === runId);
      return found && found.status !== 'running' ? found : null;
    }, `run ${runId} recorded`);
    await app!.incidents!.idle();
    return run;
  };
  const incidents = async (status?: 'open' | 'resolved') => app!.store.incidents.list({ status, limit: 10 });

  it('a trigger token cannot open an incident (and start remediation) by tightening the check', async () => {
    for (let i = 0; i < 3; i++) expect((await trigger(TRIGGER, { expectStatus: [599] })).status).toBe('critical');
    expect(await incidents()).toEqual([]);
    expect(state.resets).toBe(0);

    // The same check as configured, failing for real, still opens one.
    state.down = true;
    for (let i = 0; i < 2; i++) expect((await trigger(TRIGGER, {})).status).toBe('critical');
    expect(await incidents('open')).toHaveLength(1);
  });

  it('a real outage is not resolved by runs whose thresholds were loosened until they pass', async () => {
    state.down = true;
    for (let i = 0; i < 2; i++) await trigger(TRIGGER, {});
    const [open] = await incidents('open');
    expect(open).toBeDefined();

    for (let i = 0; i < 3; i++) expect((await trigger(ADMIN, { expectStatus: [503] })).status).toBe('ok');
    expect((await incidents('open')).map((i) => i.id)).toEqual([open!.id]);

    state.down = false;
    for (let i = 0; i < 2; i++) await trigger(TRIGGER, {});
    expect(await incidents('open')).toEqual([]);
  });

  it('a tuned run neither resets nor feeds the failure streak the configured runs keep', async () => {
    state.down = true;
    const configured = async () => trigger(TRIGGER, {}, 'shop-streak');
    const first = await configured();
    expect(first.status).toBe('warning');
    expect(first.summary).toMatch(/failure 1 of 3/);
    // Loosened until it passes, between the configured runs: it must not start the count again.
    expect((await trigger(TRIGGER, { expectStatus: [503] }, 'shop-streak')).status).toBe('ok');
    expect((await configured()).summary).toMatch(/failure 2 of 3/);
    expect((await configured()).status).toBe('critical');

    // Nor does a tightened run add failures to a healthy target's count.
    state.down = false;
    expect((await configured()).status).toBe('ok');
    for (let i = 0; i < 3; i++) await trigger(TRIGGER, { expectStatus: [599] }, 'shop-streak');
    state.down = true;
    expect((await configured()).summary).toMatch(/failure 1 of 3/);
  });
});
