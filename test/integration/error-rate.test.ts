/** The error-rate job against a real HTTP service whose request counters the test moves between scrapes. */
import { startPrometheus } from '../support/prometheus.js';
import { openMetrics, startPrometheusWithHistory, type RecordedCounter } from '../support/prometheus-history.js';
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
      message: '3.00 % of requests failed with 5xx (30 of 1000) over the last 100 ms, at or above the 1.00 % threshold',
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

      // SLO mode: 4.8 % errors burn a 99.9 % budget 48x (every tier: Prometheus has seconds of
      // data, so each window holds the same burn), a 90 % one 0.48x (none).
      const strict = await errorRateJob.run(
        ctx,
        errorRateParams.parse({ service: 'checkout', window: '10s', minRequests: 300, slo: { target: 0.999 } }),
      );
      expect(strict.findings.filter((f) => f.check === 'slo.burn-rate').map((f) => f.severity)).toEqual([
        'critical',
        'critical',
        'warning',
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

  describe('SLO burn-rate tiers over three days of recorded series in a real Prometheus', () => {
    const HOUR = 3_600_000;
    const now = Date.now();
    /** `rate` requests a second, of which the share `failing(ageMs)` fail with 503. */
    const service = (job: string, rate: number, failing: (ageMs: number) => number): RecordedCounter[] => [
      { name: 'http_requests_total', labels: { job, code: '200' }, perSecond: (at) => rate * (1 - failing(now - at)) },
      { name: 'http_requests_total', labels: { job, code: '503' }, perSecond: (at) => rate * failing(now - at) },
    ];
    let prometheus: Awaited<ReturnType<typeof startPrometheusWithHistory>>;
    beforeAll(async () => {
      prometheus = await startPrometheusWithHistory(
        openMetrics(
          [
            // One request a second (60 in a minute: under minRequests), 2 % failing for the last 2 hours.
            ...service('night', 1, (age) => (age < 2 * HOUR ? 0.02 : 0)),
            // Five a second, 0.4 % failing for three days: a slow burn.
            ...service('steady', 5, () => 0.004),
            // 0.15 % failing for three days: only the 3-day ticket.
            ...service('simmer', 5, () => 0.0015),
          ],
          now - 74 * HOUR,
          now,
        ),
      );
    }, 60_000);
    afterAll(() => prometheus.stop());

    const sloRun = (name: string) => {
      const config = parseConfig({
        prometheus: { url: prometheus.url },
        services: ['night', 'steady', 'simmer'].map((n) => ({ name: n, url: `http://127.0.0.1:${target.port}` })),
      });
      return errorRateJob.run(
        jobContext(config),
        errorRateParams.parse({ service: name, window: '1m', slo: { target: 0.999, period: '3d' } }),
      );
    };
    const burning = (o: Awaited<ReturnType<typeof sloRun>>) =>
      o.findings.filter((f) => f.check === 'slo.burn-rate').map((f) => `${f.severity}: ${f.message}`);

    it('pages on the 1 h and 6 h tiers although the 1-minute base window is under minRequests', async () => {
      const outcome = await sloRun('night');
      expect(outcome.status).toBe('critical');
      expect(outcome.findings.find((f) => f.check === 'error-rate.traffic')!.message).toMatch(
        /too little traffic for a verdict on the last 60000 ms \(\d+ < 100 requests\)/,
      );
      const pages = burning(outcome);
      expect(pages).toHaveLength(2);
      expect(pages[0]).toMatch(
        /^critical: error budget burning 2\d\.\dx over the last 1h and 2\d\.\dx over the last 5m \(page at 14.4x/,
      );
      // 6x over 6 h and 30 m is a page (critical), not a warning.
      expect(pages[1]).toMatch(
        /^critical: error budget burning [67]\.\dx over the last 6h and 2\d\.\dx over the last 30m \(page at 6x/,
      );
      expect(outcome.metrics!.burnRate1h).toBeGreaterThan(18);
      expect(outcome.metrics!.burnRate6h).toBeGreaterThan(6);
      expect(outcome.metrics!.burnRate1d).toBeLessThan(3);
      expect(outcome.metrics!.burnRate3d).toBeLessThan(1);
      const rates = outcome.findings.find((f) => f.check === 'slo.burn-rates')!;
      expect(rates.message.split('; ')).toEqual([
        expect.stringMatching(/^page at 14.4x over 1h and 5m: .* — fires$/),
        expect.stringMatching(/^page at 6x over 6h and 30m: .* — fires$/),
        expect.stringMatching(
          /^ticket at 3x over 1d and 2h: 1\.\dx over 1d \(\d+ requests\), 2\d\.\dx over 2h \(\d+ requests\)$/,
        ),
        expect.stringMatching(/^ticket at 1x over 3d and 6h: 0\.\dx over 3d/),
      ]);
      expect(outcome.summary).toMatch(/under the 100 needed for a verdict; error budget burning/);
    }, 60_000);

    it('opens tickets (warnings) on a slow three-day burn that no page sees', async () => {
      const steady = await sloRun('steady');
      expect(steady.status).toBe('warning');
      expect(burning(steady)).toEqual([
        expect.stringMatching(
          /^warning: error budget burning 4\.0x over the last 1d and 4\.0x over the last 2h \(ticket at 3x/,
        ),
        expect.stringMatching(
          /^warning: error budget burning 4\.0x over the last 3d and 4\.0x over the last 6h \(ticket at 1x/,
        ),
      ]);
      expect(steady.findings.find((f) => f.check === 'slo.burn-rate')!.remedy).toMatch(/working hours/);
      const simmer = await sloRun('simmer');
      expect(simmer.status).toBe('warning');
      expect(burning(simmer)).toEqual([expect.stringMatching(/^warning: .* 1\.5x over the last 3d .*\(ticket at 1x/)]);
      expect(simmer.findings.find((f) => f.check === 'slo.budget')!.message).toMatch(
        /^-?\d+\.\d % of the error budget left \(SLO 99.9 % over the last 3 d\)$/,
      );
    }, 60_000);

    it('judges the minimum of traffic per tier window: a higher minimum leaves the tiers unjudged and says why', async () => {
      const config = parseConfig({
        prometheus: { url: prometheus.url },
        services: [{ name: 'night', url: `http://127.0.0.1:${target.port}` }],
      });
      const outcome = await errorRateJob.run(
        jobContext(config),
        errorRateParams.parse({ service: 'night', window: '1m', minRequests: 1000, slo: { target: 0.999 } }),
      );
      // 300 requests in 5 minutes and 1,800 in 30: the first page is not judged, the second is.
      expect(outcome.findings.find((f) => f.check === 'slo.burn-rates')!.message).toMatch(
        /^page at 14.4x over 1h and 5m: .* — not judged, too little traffic: \d+ requests over 5m \(under 1000\); page at 6x over 6h and 30m: .* — fires;/,
      );
      expect(burning(outcome)).toHaveLength(1);
    }, 60_000);
  });
});
