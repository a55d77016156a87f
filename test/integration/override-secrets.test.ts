/**
 * A credential an admin sends in a trigger's params (a header the run needs, say) is used
 * by the run but is shown to nobody: the run's recorded params and the audit entry, both
 * readable with a `read` token, show the key with `***`. Secrets in the configuration are
 * registered at load; these never passed through it. Real HTTP target, the whole opscron.
 */
import { join } from 'node:path';
import { startOpscron, type Opscron } from '../../src/app.js';
import { parseConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { listRuns } from '../../src/store/runs.js';
import { tempDir } from '../support/cli.js';
import { eventually, Target } from '../support/target.js';

const READ = 'read-token-0123456789ab';
const ADMIN = 'admin-token-0123456789ab';
const BEARER = 'Bearer typed-by-admin-7f3a9c';
const API_KEY = 'k-55aa77bb99cc';

describe('secrets in trigger params', () => {
  let target: Target;
  let app: Opscron;

  beforeAll(async () => {
    target = await new Target().start();
    const config = parseConfig({
      store: { path: join(tempDir('override-secrets-'), 'db') },
      http: {
        port: 0,
        host: '127.0.0.1',
        tokens: [
          { name: 'dash', token: READ, scope: 'read' },
          { name: 'ada', token: ADMIN, scope: 'admin' },
        ],
      },
      jobs: [{ id: 'api-health', type: 'health-check', params: { url: target.url('api') } }],
    });
    app = await startOpscron({ config, logger: silentLogger, metrics: new Metrics() });
  });
  afterAll(async () => {
    await app.stop();
    await target.stop();
  });

  const call = async (path: string, token: string, body?: unknown) => {
    const response = await fetch(`${app.address}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, text: await response.text() };
  };

  it('an admin override of a credential header is used by the run, and shown to a read token as ***', async () => {
    const triggered = await call('/api/jobs/api-health/runs', ADMIN, {
      params: { headers: { Authorization: BEARER, 'X-Api-Key': API_KEY, 'X-Tenant': 'blue' } },
      reason: 'probe as the tenant',
    });
    expect(triggered.status).toBe(202);
    const { runId } = JSON.parse(triggered.text) as { runId: string };
    await eventually(async () => {
      const run = (await listRuns(app.store.sql, { job: 'api-health' })).find((r) => r.id === runId);
      return run && run.status !== 'running';
    }, 'the run recorded');
    expect(target.lastHeaders).toMatchObject({ authorization: BEARER, 'x-api-key': API_KEY });

    const run = await call(`/api/runs/${runId}`, READ);
    expect(run.status).toBe(200);
    expect(JSON.parse(run.text)).toMatchObject({
      status: 'ok',
      params: { headers: { Authorization: '***', 'X-Api-Key': '***', 'X-Tenant': 'blue' } },
    });
    for (const path of [`/api/runs/${runId}`, '/api/runs', '/api/audit']) {
      const { text } = await call(path, READ);
      expect(text).not.toContain('typed-by-admin');
      expect(text).not.toContain(API_KEY);
    }
    const audit = JSON.parse((await call('/api/audit', READ)).text) as { entries: { params: unknown }[] };
    expect(audit.entries.at(-1)!.params).toEqual({
      headers: { Authorization: '***', 'X-Api-Key': '***', 'X-Tenant': 'blue' },
    });
  });
});
