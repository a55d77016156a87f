/** The health-check job against a real HTTP service whose answers the test sets. */
import { createServer } from 'node:https';
import { createServer as createTcpServer, type Server } from 'node:net';
import { certificateChain, selfSignedCertificate } from '../support/certificate.js';
import { DnsServer } from '../support/dns-server.js';
import { tempDir } from '../support/cli.js';
import { freePort } from '../support/services.mjs';
import { parseConfig } from '../../src/configure.js';
import { jobContext, type RunOptions } from '../support/job-context.js';
import { openStore } from '../../src/store/index.js';
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
        'set exactly one of service, services, url or dns',
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

describe('health-check: TCP ports (a real TCP server in the test)', () => {
  let server: Server;
  let port = 0;
  /** What the server does with what it reads: answer it, or say nothing. */
  let answer: ((line: string) => string | null) | null = null;
  beforeAll(async () => {
    server = createTcpServer((socket) => {
      socket.on('error', () => {});
      socket.setEncoding('utf8');
      socket.on('data', (text: string) => {
        const reply = answer?.(text);
        if (reply) socket.write(reply);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const run = (params: Record<string, unknown>) =>
    healthCheck.run(jobContext(parseConfig({})), healthCheckParams.parse(params));

  it('a port that accepts the connection is ok, with the connect time; a closed one is critical', async () => {
    const open = await run({ url: `tcp://127.0.0.1:${port}` });
    expect(open).toMatchObject({ status: 'ok', findings: [] });
    expect(open.summary).toMatch(new RegExp(`^tcp/127\\.0\\.0\\.1:${port} answers: connected in [\\d.]+ ms$`));
    expect(open.metrics!.connectMs).toBeGreaterThan(0);
    const closed = await freePort();
    const refused = await run({ url: `tcp://127.0.0.1:${closed}` });
    expect(refused.status).toBe('critical');
    expect(refused.findings).toEqual([
      expect.objectContaining({
        check: 'tcp.reachable',
        resource: `tcp/127.0.0.1:${closed}`,
        message: `connect to 127.0.0.1:${closed} failed: ECONNREFUSED`,
      }),
    ]);
  });

  it('sends a query and waits for the expected answer (blackbox query_response); a wrong or missing one is critical', async () => {
    answer = (text) => (text === 'PING\r\n' ? '+PONG\r\n' : '-ERR unknown\r\n');
    const params = { url: `tcp://127.0.0.1:${port}`, send: 'PING\r\n', requestTimeout: 2000 };
    expect((await run({ ...params, expectResponse: '^\\+PONG' })).status).toBe('ok');
    const wrong = await run({ ...params, requestTimeout: 300, send: 'HELLO\r\n', expectResponse: '^\\+PONG' });
    expect(wrong.status).toBe('critical');
    expect(wrong.findings[0]).toMatchObject({ check: 'tcp.response' });
    expect(wrong.findings[0]!.message).toMatch(
      /^127\.0\.0\.1:\d+: no answer matching \/\^\\\+PONG\/ \(waited \d+ ms\); it sent "-ERR unknown\\r\\n"$/,
    );
    answer = () => null;
    const silent = await run({ ...params, requestTimeout: 300, expectResponse: 'PONG' });
    expect(silent.findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/: no answer matching \/PONG\/ \(waited \d+ ms\); it sent nothing$/),
    ]);
    expect(silent.metrics!.responseTimeMs).toBeGreaterThanOrEqual(290);
    answer = null;
  });

  it('reads at most 64 KiB of what a server sends, and never repeats what was sent to it', async () => {
    answer = () => 'x'.repeat(200 * 1024);
    const started = Date.now();
    const flood = await run({
      url: `tcp://127.0.0.1:${port}`,
      send: 'AUTH s3cret-token\r\n',
      expectResponse: '^OK',
      requestTimeout: 5000,
    });
    expect(Date.now() - started).toBeLessThan(4000); // stopped at the bound, not at the timeout
    expect(flood.findings.map((f) => f.check)).toEqual(['tcp.response']);
    expect((flood.findings[0]!.evidence as { received: string }).received).toHaveLength(500);
    expect(flood.findings[0]!.message).toMatch(
      /^127\.0\.0\.1:\d+: no answer matching \/\^OK\/ \(stopped reading after 64 KiB\); it sent "x{100}…"$/,
    );
    expect(JSON.stringify(flood)).not.toContain('s3cret-token');
    answer = null;
  });

  it('judges the time to the answer against maxResponseTime and criticalResponseTime', async () => {
    answer = () => null;
    const slow = await run({
      url: `tcp://127.0.0.1:${port}`,
      send: 'x',
      expectResponse: 'never',
      requestTimeout: 150,
      maxResponseTime: 50,
      criticalResponseTime: 100,
    });
    expect(slow.findings.map((f) => `${f.check} ${f.severity}`)).toEqual([
      'tcp.response critical',
      'tcp.response-time critical',
    ]);
    answer = null;
  });

  it('refuses at load what does not fit a tcp target, and keeps the target and what is sent out of a trigger', () => {
    expect(() => healthCheckParams.parse({ url: 'tcp://127.0.0.1' })).toThrow('a tcp:// url is tcp://host:port');
    expect(() => healthCheckParams.parse({ url: 'tcp://127.0.0.1:80', json: [{ path: 'a' }] })).toThrow(
      'json and expectHeaders judge an HTTP answer',
    );
    expect(() => healthCheckParams.parse({ url: 'http://x/', send: 'PING' })).toThrow(
      'send and expectResponse are for a tcp:// url',
    );
    expect(() => healthCheckParams.parse({ url: 'tcp://127.0.0.1:80', expectResponse: '(a)\\1' })).toThrow(
      /RE2 syntax/,
    );
    expect(healthCheck.overridable).not.toContain('send');
    expect(healthCheck.overridable).toContain('expectResponse');
  });
});

describe('health-check: DNS (the real node:dns resolver against a real UDP DNS server in the test)', () => {
  let dns: DnsServer;
  beforeAll(async () => {
    dns = await new DnsServer().start();
    dns.zone.set('api.test', {
      records: [
        { type: 'A', address: '10.0.0.7' },
        { type: 'A', address: '10.0.0.8' },
      ],
    });
    dns.zone.set('mail.test', { records: [{ type: 'MX', priority: 10, exchange: 'mx1.mail.test' }] });
    dns.zone.set('empty.test', { records: [{ type: 'TXT', text: 'v=spf1 -all' }] });
    dns.zone.set('broken.test', { rcode: 2 });
    dns.zone.set('dropped.test', { silent: true });
  });
  afterAll(() => dns.stop());

  const run = (query: Record<string, unknown>, params: Record<string, unknown> = {}) =>
    healthCheck.run(
      jobContext(parseConfig({})),
      healthCheckParams.parse({ dns: { server: `127.0.0.1:${dns.port}`, ...query }, ...params }),
    );

  it('a name that resolves to the expected addresses is ok; the query reached the server', async () => {
    const ok = await run({ name: 'api.test' }, { expectDns: { contains: ['10.0.0.8'], minAnswers: 2 } });
    expect(ok).toMatchObject({ status: 'ok', findings: [], metrics: { answers: 2 } });
    expect(ok.summary).toMatch(/^dns\/api\.test A: NOERROR, 10\.0\.0\.7, 10\.0\.0\.8 in \d+ ms$/);
    expect(dns.queries).toContain('1 api.test');
    const mx = await run({ name: 'mail.test', type: 'MX' }, { expectDns: { contains: ['10 MX1.mail.test.'] } });
    expect(mx.status).toBe('ok');
  });

  it('a different answer, too many records, no records, NXDOMAIN and SERVFAIL are critical, each named', async () => {
    const server = `127.0.0.1:${dns.port}`;
    const moved = await run({ name: 'api.test' }, { expectDns: { contains: ['10.0.0.9'], maxAnswers: 1 } });
    expect(moved.findings.map((f) => [f.check, f.message])).toEqual([
      ['dns.answers', `A api.test at ${server} gave 2 A records, expected at most 1`],
      ['dns.answer', `A api.test at ${server} does not give "10.0.0.9"; it gives "10.0.0.7", "10.0.0.8"`],
    ]);
    const empty = await run({ name: 'empty.test' });
    expect(empty.findings.map((f) => f.message)).toEqual([
      `A empty.test at ${server} gave 0 A records, expected at least 1`,
    ]);
    const missing = await run({ name: 'nope.test' });
    expect(missing.findings).toEqual([
      expect.objectContaining({
        check: 'dns.rcode',
        severity: 'critical',
        message: `A nope.test at ${server} answered NXDOMAIN, expected NOERROR`,
        remedy: expect.stringContaining('does not exist'),
      }),
    ]);
    expect((await run({ name: 'nope.test' }, { expectDns: { rcode: 'NXDOMAIN' } })).status).toBe('ok');
    const failing = await run({ name: 'broken.test' });
    expect(failing.findings.map((f) => f.message)).toEqual([
      `A broken.test at ${server} answered SERVFAIL, expected NOERROR`,
    ]);
  });

  it('a server that does not answer is critical within requestTimeout', async () => {
    const dropped = await run({ name: 'dropped.test' }, { requestTimeout: 300 });
    // The message is opscron's own timer's (c-ares would retry past it and say ETIMEOUT); the time only has to be
    // far from a hang — a loaded machine delays timers, so it is not held to 300 ms.
    expect(dropped.metrics!.responseTimeMs).toBeLessThan(5_000);
    expect(dropped.findings).toEqual([
      expect.objectContaining({
        check: 'dns.reachable',
        message: `A dropped.test at 127.0.0.1:${dns.port}: no answer (timed out after 300 ms)`,
      }),
    ]);
  });

  it('what a run is told to expect is bounded: 100 DNS values, 50 body and 50 header conditions, each refused by name', () => {
    const many = (n: number, make: (i: number) => unknown) => Array.from({ length: n }, (_, i) => make(i));
    const refused = (params: Record<string, unknown>) => {
      const parsed = healthCheckParams.safeParse(params);
      return parsed.success ? null : parsed.error.issues.map((i) => i.path.join('.'));
    };
    const dns = { name: 'a.test' };
    expect(refused({ dns, expectDns: { contains: many(100, (i) => `10.0.0.${i}`) } })).toBeNull();
    expect(refused({ dns, expectDns: { contains: many(101, (i) => `10.0.0.${i}`) } })).toEqual(['expectDns.contains']);
    expect(refused({ url: 'http://x.test', json: many(51, (i) => ({ path: `a${i}` })) })).toEqual(['json']);
    expect(refused({ url: 'http://x.test', expectHeaders: many(51, (i) => ({ name: `h${i}` })) })).toEqual([
      'expectHeaders',
    ]);
  });

  it('the server is a target (config only); what is expected may be tuned; a bad server address is refused', () => {
    expect(healthCheck.overridable).not.toContain('dns');
    expect(healthCheck.overridable).toContain('expectDns');
    expect(() => healthCheckParams.parse({ dns: { name: 'a.test', server: 'dns.example.com' } })).toThrow(
      'must be an IP address, optionally with a port',
    );
    expect(() => parseConfig({ jobs: [{ id: 'd', type: 'health-check', params: { dns: { name: 'a b' } } }] })).toThrow(
      /jobs\[0\]\.params\.dns\.name: "a b" — must be a DNS name/,
    );
  });
});

describe('health-check: what the answer says (a real HTTP service)', () => {
  let target: Target;
  beforeAll(async () => {
    target = await new Target().start();
  });
  afterAll(() => target.stop());
  const run = (params: Record<string, unknown>, options: RunOptions = {}) =>
    healthCheck.run(
      jobContext(parseConfig({}), () => {}, options),
      healthCheckParams.parse(params),
    );

  it('body conditions compare numbers, lengths and patterns as Gatus does', async () => {
    target.behaviour = { body: { queue: { depth: 120 }, workers: '3', items: [1, 2], version: '2.4.1' } };
    const url = target.url('body');
    const passing = await run({
      url,
      json: [
        { path: 'queue.depth', gt: 100, lte: 120 },
        { path: 'workers', gte: 3 },
        { path: 'items', length: { gte: 1 } },
        { path: 'version', matches: '^2\\.', notEquals: '2.4.0' },
        { path: '$', matches: '"version"', length: { lt: 1000 } },
      ],
    });
    expect(passing).toMatchObject({ status: 'ok', findings: [] });
    const failing = await run({
      url,
      json: [
        { path: 'queue.depth', lt: 100 },
        { path: 'items', length: 3 },
        { path: 'version', matches: '^3\\.' },
        { path: 'version', notEquals: '2.4.1' },
        { path: 'version', gt: 1 },
      ],
    });
    expect(failing.status).toBe('critical');
    expect(failing.findings.map((f) => f.message)).toEqual([
      'queue.depth is 120, expected < 100',
      'items has length 2, expected == 3',
      'version is "2.4.1", expected to match /^3\\./',
      'version is "2.4.1", expected anything else',
      'version is "2.4.1", not a number',
    ]);
    target.behaviour = {};
  });

  it('a response slower than criticalResponseTime is critical, slower than maxResponseTime a warning', async () => {
    target.behaviour = { delayMs: 120 };
    const url = target.url('slow');
    const warned = await run({ url, maxResponseTime: 50 });
    expect(warned.findings.map((f) => `${f.check} ${f.severity}`)).toEqual(['http.response-time warning']);
    const critical = await run({ url, maxResponseTime: 50, criticalResponseTime: 100 });
    expect(critical.status).toBe('critical');
    expect(critical.findings[0]!.message).toMatch(/^answered in \d+ ms, above 100 ms \(criticalResponseTime\)$/);
    expect(() => healthCheckParams.parse({ url, maxResponseTime: 500, criticalResponseTime: 100 })).toThrow(
      'criticalResponseTime must be at least maxResponseTime',
    );
    target.behaviour = {};
  });

  it('failureThreshold holds back a blip and successThreshold a flap, kept per target in the store between runs', async () => {
    const store = await openStore({ path: 'memory://' });
    try {
      let now = new Date('2026-12-01T10:00:00Z');
      const options = { store, jobId: 'shop-health', now: () => now };
      const params = { url: target.url('streak'), failureThreshold: 3, successThreshold: 2 };
      const next = async () => {
        const outcome = await run(params, { ...options, runId: `r-${now.toISOString()}` });
        now = new Date(now.getTime() + 5 * 60_000);
        return outcome;
      };
      target.behaviour = { status: 503 };
      const first = await next();
      expect(first.status).toBe('warning');
      expect(first.findings[0]!.message).toBe(
        'status 503, expected 200 — failure 1 of 3 in a row before this is critical (failureThreshold; none yet)',
      );
      expect(first.summary).toMatch(/\(failure 1 of 3\)$/);
      const second = await next();
      expect(second.findings[0]!.message).toMatch(/failure 2 of 3 in a row .*the previous run 5 min ago\)$/);
      expect(second.status).toBe('warning');
      const third = await next();
      expect(third).toMatchObject({
        status: 'critical',
        findings: [expect.objectContaining({ message: 'status 503, expected 200' })],
      });
      target.behaviour = {};
      const recovering = await next();
      expect(recovering.status).toBe('warning');
      expect(recovering.findings).toEqual([
        expect.objectContaining({
          check: 'probe.recovering',
          message: `url/${params.url} passes again: good run 1 of 2 in a row before it counts as recovered (successThreshold); failing since 2026-12-01T10:00:00.000Z`,
        }),
      ]);
      target.behaviour = { status: 503 };
      expect((await next()).status).toBe('critical'); // still failing: a flap does not start a new count
      target.behaviour = {};
      expect((await next()).status).toBe('warning');
      expect(await next()).toMatchObject({ status: 'ok', findings: [] });
      target.behaviour = { status: 503 };
      expect((await next()).status).toBe('warning'); // recovered: a new failure counts from 1 again
    } finally {
      target.behaviour = {};
      await store.close();
    }
  });
});

describe('health-check: thresholds in a fan-out are per service', () => {
  it("one service's failures do not count against another's, and the run names which is on which count", async () => {
    const up = await new Target().start();
    const down = await new Target().start();
    down.behaviour = { status: 503 };
    const store = await openStore({ path: 'memory://' });
    try {
      const config = parseConfig({
        services: [
          { name: 'cart', url: `http://127.0.0.1:${up.port}` },
          { name: 'search', url: `http://127.0.0.1:${down.port}` },
        ],
      });
      const params = healthCheckParams.parse({ services: ['*'], failureThreshold: 2 });
      const run = (runId: string) =>
        healthCheck.run(
          jobContext(config, () => {}, { store, jobId: 'all', runId }),
          params,
        );
      const first = await run('r1');
      expect(first.status).toBe('warning');
      expect(first.findings.map((f) => `${f.resource} ${f.severity}`)).toEqual(['service/search warning']);
      down.behaviour = {};
      up.behaviour = { status: 503 };
      const second = await run('r2'); // search recovered; cart fails for the first time: both below threshold
      expect(second.findings.map((f) => `${f.resource} ${f.severity}`)).toEqual(['service/cart warning']);
      const third = await run('r3');
      expect(third.status).toBe('critical');
      expect(third.findings.map((f) => `${f.resource} ${f.severity}`)).toEqual(['service/cart critical']);
    } finally {
      await store.close();
      await up.stop();
      await down.stop();
    }
  });
});

describe('health-check: the whole TLS chain (root CA → intermediate → leaf, made by openssl)', () => {
  it('judges the earliest expiry in the chain and names the intermediate that expires first', async () => {
    const dir = tempDir('opscron-chain-');
    const chain = certificateChain(dir, 'short-intermediate', { root: 3650, intermediate: 5, leaf: 60 });
    const server = createServer({ key: chain.key, cert: chain.cert }, (_req, res) => res.end('{"status":"ok"}'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `https://127.0.0.1:${(server.address() as { port: number }).port}/health`;
      const outcome = await healthCheck.run(
        jobContext(parseConfig({})),
        healthCheckParams.parse({ url, caFile: chain.caFile }),
      );
      expect(outcome.status).toBe('warning');
      expect(outcome.findings).toEqual([
        expect.objectContaining({
          check: 'tls.expiry',
          message: expect.stringMatching(
            /^TLS intermediate certificate "Test Intermediate CA" \(2 of 3 in the chain for 127\.0\.0\.1\) expires in [45]\.\d days/,
          ),
          remedy: expect.stringContaining('from Test Root CA'),
        }),
      ]);
      expect(outcome.metrics!.tlsDaysLeft).toBeCloseTo(5, 0);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
