/** /metrics as Prometheus sees it: promtool's lint, and a real Prometheus server scraping it. */
import { spawnSync } from 'node:child_process';
import { startOpscron, type Opscron } from '../../src/app.js';
import { buildServer } from '../../src/http/server.js';
import { parseConfig } from '../../src/configure.js';
import { silentLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { startPrometheus } from '../support/prometheus.js';
import { eventually } from '../support/target.js';

describe('/metrics', () => {
  let app: Opscron;
  beforeAll(async () => {
    const config = parseConfig({
      store: { path: 'memory://' },
      http: { port: 0 },
      jobs: [{ id: 'tick', type: 'noop', schedule: '* * * * * *' }],
    });
    app = await startOpscron({ config, logger: silentLogger, metrics: new Metrics({ defaultMetrics: true }) });
  });
  afterAll(async () => {
    await app.stop();
  });

  it('/health turns red when the scheduler heartbeat is stale', async () => {
    expect((await fetch(`${app.address}/health`)).status).toBe(200);
    const stale = buildServer({
      config: app.config,
      store: app.store,
      queue: app.queue,
      metrics: app.metrics,
      scheduler: app.scheduler,
      worker: app.worker,
      logger: silentLogger,
      feeds: app.feeds,
      now: () => Date.now() + 31_000,
    });
    const address = await stale.listen({ port: 0, host: '127.0.0.1' });
    const health = await fetch(`${address}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      status: 'unhealthy',
      reason: expect.stringMatching(/^scheduler heartbeat is 3\d s old$/),
    });
    expect((await fetch(`${app.address}/ready`)).status).toBe(200);
    await stale.close();
  });

  it('passes promtool check metrics', async () => {
    await eventually(
      async () => (await (await fetch(`${app.address}/metrics`)).text()).includes('opscron_job_runs_total{'),
      'a run counted',
    );
    const text = await (await fetch(`${app.address}/metrics`)).text();
    for (const name of [
      'opscron_job_runs_total',
      'opscron_job_duration_seconds_bucket',
      'opscron_schedule_lag_seconds_bucket',
      'opscron_queue_jobs',
      'opscron_last_success_timestamp_seconds',
      'opscron_scheduler_heartbeat_timestamp_seconds',
      'process_cpu_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
    // The embedded store's size, in bytes: a run is in it.
    expect(Number(/^opscron_run_history_bytes (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(4096);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text });
    expect({ status: check.status, out: `${check.stdout}${check.stderr}` }).toEqual({ status: 0, out: '' });
  });

  it('is scraped by a real Prometheus, which can query opscron_job_runs_total', async () => {
    // As README's scrape example: honor_labels, so `job` is opscron's job id.
    const prometheus = await startPrometheus('opscron', [new URL(app.address!).host], { honorLabels: true });
    try {
      const result = await eventually(
        async () => {
          const response = await fetch(
            `${prometheus.url}/api/v1/query?query=${encodeURIComponent('opscron_job_runs_total{job="tick"}')}`,
          ).catch(() => null);
          const body = (await response?.json()) as
            { data?: { result?: { metric: Record<string, string>; value: [number, string] }[] } } | undefined;
          return body?.data?.result?.length ? body.data.result : null;
        },
        'Prometheus to scrape and answer',
        30_000,
      );
      // honor_labels keeps opscron's `job` label (its job id) instead of renaming it exported_job.
      expect(result[0]!.metric).toMatchObject({ type: 'noop', status: 'ok' });
      expect(Number(result[0]!.value[1])).toBeGreaterThanOrEqual(1);
    } finally {
      await prometheus.stop();
    }
  });
});
