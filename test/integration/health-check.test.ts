/** The health-check job against a real HTTP service whose answers the test sets. */
import { parseConfig } from '../../src/config/load.js';
import { healthCheck, healthCheckParams } from '../../src/jobs/health-check.js';
import type { JobContext } from '../../src/jobs/types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Target } from '../support/target.js';

describe('health-check', () => {
  let target: Target;
  beforeAll(async () => {
    target = await new Target().start();
  });
  afterAll(async () => {
    await target.stop();
  });

  const run = (params: Record<string, unknown>) => {
    const config = parseConfig({ services: [{ name: 'shop', url: `http://127.0.0.1:${target.port}`, healthPath: '/health', metricsPath: '/metrics' }] });
    const ctx: JobContext = { runId: 'r', jobId: 'j', attempt: 1, logger: silentLogger, signal: new AbortController().signal, config, progress: () => {}, now: () => new Date() };
    return healthCheck.run(ctx, healthCheckParams.parse(params));
  };

  it('checks response headers: presence, exact value, pattern', async () => {
    target.behaviour = { headers: { 'cache-control': 'no-store', 'x-version': '2.4.1' } };
    const ok = await run({ service: 'shop', expectHeaders: [{ name: 'Cache-Control', equals: 'no-store' }, { name: 'x-version', matches: '^2\\.' }] });
    expect(ok.status).toBe('ok');
    const bad = await run({ service: 'shop', expectHeaders: [{ name: 'x-version', matches: '^3\\.' }, { name: 'x-request-id' }, { name: 'cache-control', equals: 'public' }] });
    expect(bad.status).toBe('critical');
    expect(bad.findings.map((f) => f.message)).toEqual([
      'header x-version is "2.4.1", expected to match /^3\\./',
      'header x-request-id is missing',
      'header cache-control is "no-store", expected "public"',
    ]);
  });

  it("scrapes the service's /metrics: a scrape that does not parse is a finding with a remedy", async () => {
    target.behaviour = { metrics: '# TYPE up gauge\nup 1\nhttp_requests_total{code="200"} 5\n' };
    const good = await run({ service: 'shop', scrapeMetrics: true });
    expect(good).toMatchObject({ status: 'ok', metrics: { metricSamples: 2 } });
    target.behaviour = { metrics: 'up 1\nhttp_requests_total{code=200} 5\nbroken\n' };
    const bad = await run({ service: 'shop', scrapeMetrics: true });
    expect(bad.status).toBe('warning');
    expect(bad.findings).toEqual([expect.objectContaining({
      check: 'metrics.parse', resource: 'service/shop',
      message: `http://127.0.0.1:${target.port}/metrics is not valid Prometheus text: line 2: expected ="..." after label code; line 3: broken has no numeric value`,
      remedy: expect.stringContaining('Fix the exporter'),
    })]);
  });

  it('refuses at config load a service that is not configured, and scrapeMetrics without a service', () => {
    expect(() => parseConfig({ jobs: [{ id: 'h', type: 'health-check', params: { service: 'nope' } }] })).toThrow('jobs[0].params.service: "nope" — not in services; configured: none');
    expect(() => parseConfig({ jobs: [{ id: 'h', type: 'health-check', params: { url: 'http://x/', scrapeMetrics: true } }] })).toThrow(/scrapeMetrics needs service/);
  });
});
