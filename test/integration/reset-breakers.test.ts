/** reset-breakers against real HTTP services: the POST, then the health probe after it. */
import { parseConfig } from '../../src/configure.js';
import { jobContext } from '../support/job-context.js';
import { resetBreakers, resetBreakersParams } from '../../src/jobs/reset-breakers.js';
import { Target } from '../support/target.js';

describe('reset-breakers', () => {
  let a: Target;
  let b: Target;
  beforeEach(async () => {
    [a, b] = await Promise.all([new Target().start(), new Target().start()]);
  });
  afterEach(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });
  const run = (params: Record<string, unknown> = {}) => {
    const config = parseConfig({
      services: [
        { name: 'cart', url: `http://127.0.0.1:${a.port}`, breakerResetPath: '/admin/reset-breakers' },
        { name: 'pay', url: `http://127.0.0.1:${b.port}`, breakerResetPath: '/admin/reset-breakers' },
        { name: 'static', url: 'http://127.0.0.1:9' },
      ],
    });
    const ctx = jobContext(config);
    return resetBreakers.run(ctx, resetBreakersParams.parse(params));
  };

  it('POSTs the runbook path on each service that has one, then checks its health', async () => {
    const outcome = await run();
    expect(outcome.status).toBe('ok');
    expect(a.requests).toEqual(['POST /admin/reset-breakers', 'GET /health']);
    expect(b.requests).toEqual(['POST /admin/reset-breakers', 'GET /health']);
    expect(outcome.findings.map((f) => [f.resource, f.message])).toEqual([
      ['service/cart', 'breakers reset; /health answers 200'],
      ['service/pay', 'breakers reset; /health answers 200'],
    ]);
  });

  it('says when the reset fails, or when the service is still unhealthy after it', async () => {
    b.behaviour = { status: 503 };
    const outcome = await run({ services: ['pay'] });
    expect(a.requests).toEqual([]);
    expect(outcome).toMatchObject({
      status: 'critical',
      findings: [
        { check: 'breakers.reset', message: `POST http://127.0.0.1:${b.port}/admin/reset-breakers failed: status 503` },
      ],
    });
    await expect(run({ services: ['static'] })).rejects.toThrow('no breakerResetPath configured for: static');
  });
});
