/** The health-check job against a real HTTP service whose answers the test sets. */
import { createServer } from 'node:https';
import { selfSignedCertificate } from '../support/certificate.js';
import { tempDir } from '../support/cli.js';
import { freePort } from '../support/services.mjs';
import { parseConfig } from '../../src/configure.js';
import { jobContext } from '../support/job-context.js';
import { healthCheck, healthCheckParams } from '../../src/jobs/health-check.js';
import { Target } from '../support/target.js';

describe('health-check', () => {
  let target: Target;
  beforeAll(async () => {
    target = await new Target().start();
  });
  afterAll(async () => {
    await target.stop();
  });

  const run = (params: Record<string, unknown>, dependencies: string[] = []) => {
    const config = parseConfig({
      services: [
        {
          name: 'shop',
          url: `http://127.0.0.1:${target.port}`,
          healthPath: '/health',
          metricsPath: '/metrics',
          dependencies,
        },
      ],
    });
    const ctx = jobContext(config);
    return healthCheck.run(ctx, healthCheckParams.parse(params));
  };

  it('fans out over many services in one run, `concurrency` at a time, and names the failing ones', async () => {
    const down = await new Target().start();
    down.behaviour = { status: 503 };
    try {
      const config = parseConfig({
        services: [
          ...Array.from({ length: 30 }, (_, i) => ({
            name: `svc-${i}`,
            url: `http://127.0.0.1:${target.port}`,
            healthPath: `/health?job=fan${i}`,
          })),
          { name: 'broken', url: `http://127.0.0.1:${down.port}` },
        ],
      });
      target.behaviour = { delayMs: 20 };
      const notes: string[] = [];
      const started = Date.now();
      const outcome = await healthCheck.run(
        jobContext(config, (_f, note) => notes.push(note ?? '')),
        healthCheckParams.parse({ services: ['*'], concurrency: 10 }),
      );
      expect(Date.now() - started).toBeLessThan(30 * 20); // 10 at a time, not one after another
      expect(outcome.status).toBe('critical');
      expect(outcome.summary).toBe('30 of 31 services healthy; not: broken');
      expect(outcome.findings).toEqual([
        expect.objectContaining({
          check: 'http.status',
          resource: 'service/broken',
          message: 'status 503, expected 200',
        }),
      ]);
      expect(outcome.metrics).toMatchObject({ targets: 31, healthy: 30, failing: 1 });
      // Each service's own verdict and time, for reports to count per service.
      expect(outcome.targets).toHaveLength(31);
      expect(outcome.targets!.find((t) => t.service === 'broken')).toEqual({
        service: 'broken',
        status: 'critical',
        ms: expect.any(Number),
      });
      expect(outcome.targets!.filter((t) => t.status === 'ok' && t.ms! >= 20).map((t) => t.service)).toEqual(
        Array.from({ length: 30 }, (_, i) => `svc-${i}`),
      );
      expect(outcome.metrics!.p50Ms).toBeGreaterThanOrEqual(20);
      for (let i = 0; i < 30; i++) expect(target.count(`fan${i}`)).toBe(1);
      expect(notes.at(-1)).toBe('31 of 31 checked');
      expect(() => healthCheckParams.parse({ service: 'svc-1', services: ['svc-2'] })).toThrow(
        'set exactly one of service, services or url',
      );
      await expect(
        healthCheck.run(jobContext(config), healthCheckParams.parse({ services: ['svc-1', 'nope'] })),
      ).rejects.toThrow('service "nope" is not in config.services');
    } finally {
      target.behaviour = {};
      await down.stop();
    }
  });

  it('checks response headers: presence, exact value, pattern', async () => {
    target.behaviour = { headers: { 'cache-control': 'no-store', 'x-version': '2.4.1' } };
    const ok = await run({
      service: 'shop',
      expectHeaders: [
        { name: 'Cache-Control', equals: 'no-store' },
        { name: 'x-version', matches: '^2\\.' },
      ],
    });
    expect(ok.status).toBe('ok');
    const bad = await run({
      service: 'shop',
      expectHeaders: [
        { name: 'x-version', matches: '^3\\.' },
        { name: 'x-request-id' },
        { name: 'cache-control', equals: 'public' },
      ],
    });
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
    expect(bad.findings).toEqual([
      expect.objectContaining({
        check: 'metrics.parse',
        resource: 'service/shop',
        message: `http://127.0.0.1:${target.port}/metrics is not valid Prometheus text: line 2: expected ="..." after label code; line 3: broken has no numeric value`,
        remedy: expect.stringContaining('Fix the exporter'),
      }),
    ]);
  });

  it('refuses at config load a service that is not configured, and scrapeMetrics without a service', () => {
    expect(() => parseConfig({ jobs: [{ id: 'h', type: 'health-check', params: { service: 'nope' } }] })).toThrow(
      'jobs[0].params.service: "nope" — not in services; configured: none',
    );
    expect(() =>
      parseConfig({ jobs: [{ id: 'h', type: 'health-check', params: { url: 'http://x/', scrapeMetrics: true } }] }),
    ).toThrow(/scrapeMetrics needs service/);
  });

  it('splits the latency into phases', async () => {
    target.behaviour = { delayMs: 50 };
    const result = await run({ url: target.url('phases') });
    expect(result.metrics).toMatchObject({ dnsMs: 0, statusCode: 200 }); // an IP literal needs no lookup
    expect(result.metrics!.connectMs).toBeGreaterThan(0);
    expect(result.metrics!.firstByteMs).toBeGreaterThanOrEqual(45);
    expect(result.metrics!.responseTimeMs).toBeGreaterThanOrEqual(result.metrics!.firstByteMs!);
    target.behaviour = {};
  });

  describe('TLS certificate expiry (a real TLS server, self-signed certificates made by openssl)', () => {
    const dir = tempDir('opscron-tls-');
    const serve = async (days: number) => {
      const { key, cert, file } = selfSignedCertificate(dir, days);
      const server = createServer({ key, cert }, (_req, res) => res.end('{"status":"ok"}'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      let connections = 0;
      server.on('secureConnection', () => connections++);
      return {
        url: `https://127.0.0.1:${(server.address() as { port: number }).port}/health`,
        ca: file,
        connections: () => connections,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(r);
          }),
      };
    };

    it.each([
      [60, 'ok', []],
      [10, 'warning', ['warning']],
      [2, 'critical', ['critical']],
    ])('a certificate valid for %i more days gives %s', async (days, status, severities) => {
      const server = await serve(days);
      try {
        const result = await run({ url: server.url, caFile: server.ca });
        expect(result.status).toBe(status);
        expect(result.findings.map((f) => f.severity)).toEqual(severities);
        if (severities.length)
          expect(result.findings[0]).toMatchObject({
            check: 'tls.expiry',
            remedy: expect.stringMatching(/^Renew the certificate for 127\.0\.0\.1/),
          });
        expect(result.metrics!.tlsDaysLeft).toBeCloseTo(days, 0);
        expect(result.metrics!.tlsMs).toBeGreaterThan(0);
      } finally {
        await server.close();
      }
    });

    it("fan-out over one TLS server reuses connections and still judges every check's certificate", async () => {
      const server = await serve(10);
      try {
        const config = parseConfig({
          services: Array.from({ length: 12 }, (_, i) => ({ name: `s${i}`, url: new URL(server.url).origin })),
        });
        const outcome = await healthCheck.run(
          jobContext(config),
          healthCheckParams.parse({ services: ['*'], concurrency: 3, caFile: server.ca }),
        );
        expect(outcome.findings.map((f) => `${f.resource} ${f.check} ${f.severity}`)).toEqual(
          Array.from({ length: 12 }, (_, i) => `service/s${i} tls.expiry warning`),
        );
        expect(server.connections()).toBeLessThanOrEqual(3); // 12 checks over at most `concurrency` connections
        const fresh = await healthCheck.run(
          jobContext(config),
          healthCheckParams.parse({ services: ['*'], concurrency: 3, caFile: server.ca, reuseConnections: false }),
        );
        expect(fresh.findings).toHaveLength(12);
        expect(server.connections()).toBeLessThanOrEqual(3 + 12);
        expect(server.connections()).toBeGreaterThanOrEqual(12);
      } finally {
        await server.close();
      }
    });

    it('an untrusted certificate is critical with a remedy; insecureSkipVerify still judges its expiry', async () => {
      const server = await serve(2);
      try {
        const untrusted = await run({ url: server.url });
        expect(untrusted.findings).toEqual([
          expect.objectContaining({
            check: 'http.reachable',
            message: expect.stringContaining('DEPTH_ZERO_SELF_SIGNED_CERT'),
            remedy: expect.stringContaining('caFile'),
          }),
        ]);
        const skipped = await run({ url: server.url, insecureSkipVerify: true });
        expect(skipped.findings.map((f) => f.check)).toEqual(['tls.expiry']);
      } finally {
        await server.close();
      }
    });
  });

  it('probes dependencies: PostgreSQL select 1, Redis PING, TCP and HTTP; a dead one is critical, its password redacted', async () => {
    const closed = await freePort();
    const pgUrl = process.env.OPSCRON_TEST_PG_URL!;
    const live = [pgUrl, process.env.OPSCRON_TEST_REDIS_URL!, `tcp://127.0.0.1:${target.port}`, target.url('dep')];
    const healthy = await run({ service: 'shop' }, live);
    expect(healthy.findings).toEqual([]);
    expect(healthy.metrics).toMatchObject({ statusCode: 200 });
    const dead = [
      `postgres://app:s3cret-pw@127.0.0.1:${closed}/orders`,
      `redis://127.0.0.1:${closed}`,
      `tcp://127.0.0.1:${closed}`,
    ];
    const broken = await run({ service: 'shop' }, [...live, ...dead]);
    expect(broken.status).toBe('critical');
    expect(broken.findings.map((f) => [f.check, f.message])).toEqual([
      [
        'dependency.postgres',
        `shop depends on postgres://app:***@127.0.0.1:${closed}/orders, which does not answer: ECONNREFUSED`,
      ],
      ['dependency.redis', `shop depends on redis://127.0.0.1:${closed}, which does not answer: ECONNREFUSED`],
      ['dependency.tcp', `shop depends on tcp://127.0.0.1:${closed}, which does not answer: ECONNREFUSED`],
    ]);
    expect(JSON.stringify(broken)).not.toContain('s3cret-pw');
    expect(broken.findings[0]!.remedy).toMatch(/^Restore postgres:\/\/app:\*\*\*@/);
  });

  it('refuses a dependency that is not a probe-able URL', () => {
    expect(() => parseConfig({ services: [{ name: 's', url: 'http://x/', dependencies: ['mysql://db'] }] })).toThrow(
      'services[0].dependencies[0]: "mysql://db" — must be a tcp://, postgres://, redis:// or http(s):// URL',
    );
  });
});
