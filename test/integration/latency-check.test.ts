/** The latency-check job against a real HTTP service whose delay the test sets. */
import { bucketOfMetric, quantileOf, RELATIVE_ERROR } from '../../src/analysis/histogram.js';
import { summarize, percentile } from '../../src/analysis/percentiles.js';
import { parseConfig } from '../../src/configure.js';
import { jobContext } from '../support/job-context.js';
import { HISTOGRAM_PREFIX, latencyCheck, latencyCheckParams } from '../../src/jobs/latency-check.js';
import { startPrometheus } from '../support/prometheus.js';
import { eventually, Target } from '../support/target.js';

/** The histogram a run kept among its metrics. */
const histogramOfRun = (metrics: Record<string, number>) =>
  new Map(
    Object.entries(metrics).flatMap(([k, v]) => {
      const bucket = bucketOfMetric(k, HISTOGRAM_PREFIX);
      return bucket === null ? [] : [[bucket, v] as [number, number]];
    }),
  );

describe('percentiles', () => {
  it('uses nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(values, 50), percentile(values, 95), percentile(values, 99), percentile(values, 100)]).toEqual([
      50, 95, 99, 100,
    ]);
    expect(summarize([30, 10, 20])).toEqual({ p50: 20, p95: 30, p99: 30, max: 30, count: 3 });
  });
});

describe('latency-check', () => {
  let target: Target;
  beforeAll(async () => {
    target = await new Target().start();
  });
  afterAll(async () => {
    await target.stop();
  });
  const run = (params: Record<string, unknown> = {}) => {
    const config = parseConfig({ services: [{ name: 'api', url: `http://127.0.0.1:${target.port}` }] });
    const progress: number[] = [];
    const ctx = jobContext(config, (f) => progress.push(f));
    return latencyCheck
      .run(ctx, latencyCheckParams.parse({ service: 'api', probes: 5, ...params }))
      .then((o) => ({ ...o, progress }));
  };

  it('measures percentiles over the probes and reports progress', async () => {
    target.behaviour = {};
    const outcome = await run();
    expect(outcome.status).toBe('ok');
    expect(outcome.metrics).toMatchObject({ probes: 5, failedProbes: 0 });
    expect(outcome.progress).toEqual([0.2, 0.4, 0.6, 0.8, 1]);
    // The probes' times are kept as a histogram a report can merge with other runs'.
    const buckets = histogramOfRun(outcome.metrics!);
    expect([...buckets.values()].reduce((a, b) => a + b, 0)).toBe(5);
    expect(quantileOf(buckets, 0.99)! / outcome.metrics!.p99Ms!).toBeCloseTo(1, 1);
  });

  it('warns and pages on the thresholds it crosses', async () => {
    target.behaviour = { delayMs: 120 };
    const slow = await run({ warn: { p95: '100ms' }, critical: { p99: '1s' } });
    expect(slow.status).toBe('warning');
    expect(slow.findings.map((f) => f.check)).toEqual(['latency.p95']);
    expect(slow.metrics!.p50Ms).toBeGreaterThanOrEqual(115);
    const slower = await run({ warn: {}, critical: { p50: '100ms' } });
    expect(slower.findings).toEqual([
      expect.objectContaining({
        severity: 'critical',
        check: 'latency.p50',
        message: expect.stringMatching(/^p50 1\d\d ms over 5 probes, above 100 ms$/),
      }),
    ]);
  });

  it('counts failed probes as failures, not as fast answers', async () => {
    target.behaviour = { status: 503 };
    const down = await run();
    expect(down).toMatchObject({ status: 'critical', summary: 'service/api: every probe failed' });
    expect(down.findings[0]).toMatchObject({
      check: 'latency.failed-probes',
      message: '5 of 5 probes failed (status 503)',
    });
    target.behaviour = {};
  });

  it('from Prometheus histograms when Prometheus is configured', async () => {
    // 100 requests/s: 90 % within 250 ms, the rest within 1 s.
    const started = Date.now();
    target.behaviour = {
      metrics: () => {
        const n = Math.floor(((Date.now() - started) / 1000) * 100);
        const fast = Math.floor(n * 0.9);
        return [
          '# TYPE http_request_duration_seconds histogram',
          `http_request_duration_seconds_bucket{le="0.1"} 0`,
          `http_request_duration_seconds_bucket{le="0.25"} ${fast}`,
          `http_request_duration_seconds_bucket{le="1"} ${n}`,
          `http_request_duration_seconds_bucket{le="+Inf"} ${n}`,
          `http_request_duration_seconds_count ${n}`,
          `http_request_duration_seconds_sum ${n * 0.2}`,
          '',
        ].join('\n');
      },
    };
    const prometheus = await startPrometheus('api', [`127.0.0.1:${target.port}`]);
    try {
      const config = parseConfig({
        prometheus: { url: prometheus.url },
        services: [{ name: 'api', url: `http://127.0.0.1:${target.port}` }],
      });
      const ctx = jobContext(config);
      const outcome = await eventually(
        async () => {
          const o = await latencyCheck
            .run(ctx, latencyCheckParams.parse({ service: 'api', window: '10s' }))
            .catch(() => null);
          return o?.metrics?.p50Ms !== undefined ? o : null;
        },
        'Prometheus to have samples',
        30_000,
      );
      // histogram_quantile interpolates inside buckets: p50 ≈ 183 ms, p95 ≈ 625 ms, p99 ≈ 925 ms.
      expect(outcome.metrics!.p50Ms).toBeGreaterThan(150);
      expect(outcome.metrics!.p50Ms).toBeLessThan(220);
      expect(outcome.metrics!.p99Ms).toBeGreaterThan(850);
      expect(outcome.status).toBe('warning'); // p95 above the default 500 ms, p99 under the critical 2 s
      expect(outcome.findings.map((f) => f.check)).toEqual(['latency.p95']);
      // The window's requests by bucket: the same percentiles, read from the kept histogram.
      const buckets = histogramOfRun(outcome.metrics!);
      for (const q of ['p50', 'p95', 'p99'] as const)
        expect(
          Math.abs(quantileOf(buckets, { p50: 0.5, p95: 0.95, p99: 0.99 }[q])! / outcome.metrics![`${q}Ms`]! - 1),
        ).toBeLessThan(RELATIVE_ERROR + 0.02);
      target.behaviour = {};
    } finally {
      await prometheus.stop();
    }
  }, 60_000);
});
