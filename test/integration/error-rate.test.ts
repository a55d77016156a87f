/** The error-rate job against a real HTTP service whose request counters the test moves between scrapes. */
import { startPrometheus } from '../support/prometheus.js';
import { eventually } from '../support/target.js';
import { parseConfig } from '../../src/configure.js';
import { jobContext } from '../support/job-context.js';
import { errorRateJob, errorRateParams } from '../../src/jobs/error-rate.js';
import { Target } from '../support/target.js';

describe('error-rate', () => {
  let target: Target;
  beforeAll(async () => {
    target = await new Target().start();
  });
  afterAll(async () => {
    await target.stop();
  });

  /** Serves counters that grow by `ok` 200s and `failed` 503s between the first scrape and the second. */
  const traffic = (ok: number, failed: number, metric = 'http_requests_total') => {
    let scrapes = 0;
    target.behaviour = {
      metrics: () => {
        const n = scrapes++;
        return `# TYPE ${metric} counter\n${metric}{code="200",route="/"} ${5000 + n * ok}\n${metric}{code="503",route="/"} ${40 + n * failed}\n${metric}{code="404",route="/"} 7\n`;
      },
    };
  };
  const run = (params: Record<string, unknown> = {}) => {
    const config = parseConfig({ services: [{ name: 'checkout', url: `http://127.0.0.1:${target.port}` }] });
    const ctx = jobContext(config);
    return errorRateJob.run(ctx, errorRateParams.parse({ service: 'checkout', window: '100ms', ...params }));
  };

  it('is critical at or above the threshold (the runbook default 1 %), with the numbers and a remedy', async () => {
    traffic(970, 30);
    const outcome = await run();
    expect(outcome).toMatchObject({ status: 'critical', metrics: { requests: 1000, errors: 30, errorRatio: 0.03 } });
    expect(outcome.findings[0]).toMatchObject({
      check: 'error-rate',
      message: '3.00 % of requests failed with 5xx (30 of 1000), at or above the 1.00 % threshold',
      remedy: expect.stringContaining('rollout'),
    });
  });

  it('warns when approaching it and is ok well below', async () => {
    traffic(994, 6);
    expect((await run()).status).toBe('warning');
    traffic(998, 2);
    expect(await run()).toMatchObject({ status: 'ok', findings: [] });
    traffic(980, 20);
    expect((await run({ threshold: 0.05 })).status).toBe('ok');
  });

  it('gives no verdict on too little traffic', async () => {
    traffic(1, 2);
    const outcome = await run();
    expect(outcome).toMatchObject({ status: 'ok', findings: [{ severity: 'info', check: 'error-rate.traffic' }] });
    expect(outcome.summary).toMatch(/3 requests in 100 ms, under the 100 needed for a verdict/);
  });

  it('refuses SLO mode without Prometheus', async () => {
    traffic(990, 10);
    await expect(run({ slo: { target: 0.999 } })).rejects.toThrow(
      'slo mode needs Prometheus (prometheus.url): burn rates span hours',
    );
  });

  it('fails clearly when the counter is not there', async () => {
    traffic(100, 1, 'requests_served');
    await expect(run()).rejects.toThrow(
      /has no http_requests_total \(set params\.metric to the service's request counter\)/,
    );
    traffic(990, 10, 'requests_served');
    expect((await run({ metric: 'requests_served' })).status).toBe('critical');
  });

  it('from PromQL when Prometheus is configured: a real Prometheus scraping the service', async () => {
    // 100 requests/s, 5 of them 503s: 4.8 % errors.
    const started = Date.now();
    target.behaviour = {
      metrics: () => {
        const s = (Date.now() - started) / 1000;
        return `# TYPE http_requests_total counter\nhttp_requests_total{code="200"} ${Math.floor(95 * s)}\nhttp_requests_total{code="503"} ${Math.floor(5 * s)}\n`;
      },
    };
    const prometheus = await startPrometheus('checkout', [`127.0.0.1:${target.port}`]);
    try {
      const config = parseConfig({
        prometheus: { url: prometheus.url },
        services: [{ name: 'checkout', url: `http://127.0.0.1:${target.port}` }],
      });
      const ctx = jobContext(config);
      const outcome = await eventually(
        async () => {
          const o = await errorRateJob
            .run(ctx, errorRateParams.parse({ service: 'checkout', window: '10s', minRequests: 300 }))
            .catch(() => null);
          return o && o.metrics?.errorRatio !== undefined ? o : null;
        },
        'Prometheus to have 10 s of samples',
        30_000,
      );
      expect(outcome.status).toBe('critical');
      expect(outcome.metrics!.errorRatio).toBeGreaterThan(0.04);
      expect(outcome.metrics!.errorRatio).toBeLessThan(0.06);
      expect(outcome.findings[0]).toMatchObject({ check: 'error-rate' });

      // SLO mode: 4.8 % errors burn a 99.9 % budget 48x (both alerts), a 90 % one 0.48x (none).
      const strict = await errorRateJob.run(
        ctx,
        errorRateParams.parse({ service: 'checkout', window: '10s', minRequests: 300, slo: { target: 0.999 } }),
      );
      expect(strict.findings.filter((f) => f.check === 'slo.burn-rate').map((f) => f.severity)).toEqual([
        'critical',
        'warning',
      ]);
      expect(strict.findings.find((f) => f.severity === 'critical')!.remedy).toMatch(/act now/);
      const loose = await errorRateJob.run(
        ctx,
        errorRateParams.parse({
          service: 'checkout',
          window: '10s',
          minRequests: 300,
          slo: { target: 0.9 },
          threshold: 0.2,
        }),
      );
      expect(loose.status).toBe('ok');
      expect(loose.metrics!.errorBudgetRemaining).toBeGreaterThan(0.4);
      expect(loose.metrics!.errorBudgetRemaining).toBeLessThan(0.6);
    } finally {
      await prometheus.stop();
    }
  }, 60_000);
});
