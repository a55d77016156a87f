/** The health-check's judgements on recorded probe results (HTTP, TLS chains, TCP, DNS, streaks): what an operator would be told to check. */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  bodyFindings,
  conditionProblems,
  failedComparisons,
  fieldAt,
  type JsonCondition,
} from '../../src/analysis/body-conditions.js';
import { certificateFindings, type Certificate } from '../../src/analysis/certificates.js';
import { applyStreak, asStreak, type ProbeStreak } from '../../src/analysis/probe-streak.js';
import { dnsFindings, tcpFindings, type DnsResult, type TcpResult } from '../../src/analysis/socket-checks.js';
import { initialSignal, step, verdictOf } from '../../src/incidents/signal.js';
import { statusOf, type Finding } from '../../src/model.js';
import {
  answerFindings,
  answerMetrics,
  headerFindings,
  metricsFindings,
  phaseMetrics,
  responseTimeFindings,
  statusFindings,
  unreachableFinding,
  type ProbeResult,
} from '../../src/analysis/http-checks.js';

const resource = 'service/checkout';
const now = new Date('2026-11-26T12:00:00Z');
const DAY = 86_400_000;

/** A recorded HTTPS answer of a healthy checkout service (timings from the start of the probe). */
const healthy: ProbeResult = {
  url: 'https://checkout.internal:8443/healthz',
  status: 200,
  headers: { 'content-type': 'application/json', 'x-version': '2.4.1' },
  body: JSON.stringify({ status: 'ok', checks: { db: { status: 'ok' }, cache: { status: null } }, items: [{ id: 7 }] }),
  totalMs: 41.26,
  timings: { dns: 1.04, connect: 3.51, tls: 12.78, firstByte: 39.9, total: 41.26 },
  certificate: { subject: 'checkout.internal', issuer: 'Internal CA', validTo: new Date(now.getTime() + 90 * DAY) },
};

const recorded = (changes: Partial<ProbeResult>): ProbeResult => ({ ...healthy, ...changes });

const expectations = {
  expectStatus: [200],
  maxResponseTime: 2000,
  expectHeaders: [{ name: 'X-Version', matches: '^2\\.' }],
  json: [{ path: 'status', equals: 'ok' }, { path: 'checks.db.status', equals: 'ok' }, { path: 'items.0.id' }],
};

const summary = (findings: { severity: string; check: string }[]) => findings.map((f) => `${f.check} ${f.severity}`);

describe('a healthy answer', () => {
  it('has no findings, and its phases split as blackbox exporter reports them', () => {
    expect(answerFindings(healthy, expectations, resource)).toEqual([]);
    expect(certificateFindings(healthy.certificate!, { warnDays: 14, criticalDays: 3 }, resource, now)).toEqual([]);
    expect(phaseMetrics(healthy)).toEqual({
      dnsMs: 1,
      connectMs: 2.5,
      tlsMs: 9.3,
      firstByteMs: 27.1,
      responseTimeMs: 41,
    });
    expect(answerMetrics(healthy, now)).toEqual({ statusCode: 200, tlsDaysLeft: 90 });
  });

  it('on a kept-alive connection (no DNS, connect or TLS phase) counts the first byte from the start', () => {
    const reused = recorded({ timings: { dns: 0, connect: 0, tls: 0, firstByte: 4.44, total: 5 }, totalMs: 5 });
    expect(phaseMetrics(reused)).toEqual({ dnsMs: 0, connectMs: 0, tlsMs: 0, firstByteMs: 4.4, responseTimeMs: 5 });
  });
});

describe('no answer', () => {
  it('is critical and says to check the service when the connection was refused', () => {
    const finding = unreachableFinding(healthy.url, 'ECONNREFUSED', resource);
    expect(finding).toMatchObject({
      severity: 'critical',
      check: 'http.reachable',
      resource,
      message: 'GET https://checkout.internal:8443/healthz failed: ECONNREFUSED',
      remedy: 'Check that the service is running and reachable from opscron.',
    });
  });

  it('names the method the probe used', () => {
    expect(unreachableFinding(healthy.url, 'ETIMEDOUT', resource, 'HEAD').message).toBe(
      'HEAD https://checkout.internal:8443/healthz failed: ETIMEDOUT',
    );
  });

  it('points at the certificate chain when TLS was rejected', () => {
    for (const error of ['SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED'])
      expect(unreachableFinding(healthy.url, error, resource).remedy).toBe(
        'The TLS certificate is not trusted: fix the chain, or give its CA in caFile.',
      );
  });
});

describe('status code', () => {
  it('a 503 is the service reporting itself broken, with the start of its body as evidence', () => {
    const [finding] = statusFindings(recorded({ status: 503, body: 'x'.repeat(600) }), [200], resource);
    expect(finding).toMatchObject({ severity: 'critical', check: 'http.status', message: 'status 503, expected 200' });
    expect((finding!.evidence as { body: string }).body).toHaveLength(500);
    expect(finding!.remedy).toMatch(/reports itself broken.*rollout undo/);
  });

  it('a 404 is the check looking in the wrong place', () => {
    const [finding] = statusFindings(recorded({ status: 404 }), [200, 204], resource);
    expect(finding!.message).toBe('status 404, expected 200 or 204');
    expect(finding!.remedy).toBe(
      'Check the health path (services[].healthPath) and expectStatus: 404 is not what this check expects.',
    );
  });

  it('any expected status passes', () => {
    expect(statusFindings(recorded({ status: 204 }), [200, 204], resource)).toEqual([]);
  });
});

describe('response time', () => {
  it('slower than the limit is a warning with the time rounded in the message', () => {
    const findings = responseTimeFindings(2345.6, { maxResponseTime: 2000 }, resource);
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        check: 'http.response-time',
        message: 'answered in 2346 ms, above 2000 ms',
        evidence: { ms: 2345.6, limit: 2000 },
      }),
    ]);
  });

  it('exactly at the limit passes', () => {
    expect(responseTimeFindings(2000, { maxResponseTime: 2000 }, resource)).toEqual([]);
  });
});

describe('headers', () => {
  const headers = { 'x-version': '3.0.0', 'cache-control': 'no-store' };

  it('names a missing header, a wrong value and a value that does not match', () => {
    const findings = headerFindings(
      headers,
      [
        { name: 'X-Request-Id' },
        { name: 'Cache-Control', equals: 'no-cache' },
        { name: 'X-Version', matches: '^2\\.' },
        { name: 'x-version' },
      ],
      resource,
    );
    expect(findings.map((f) => f.message)).toEqual([
      'header X-Request-Id is missing',
      'header Cache-Control is "no-store", expected "no-cache"',
      'header X-Version is "3.0.0", expected to match /^2\\./',
    ]);
    expect(findings.every((f) => f.severity === 'critical' && f.check === 'http.header')).toBe(true);
  });
});

describe('JSON body', () => {
  it('finds fields by dot path, array indexes included, and tells a null field from a missing one', () => {
    const body = JSON.parse(healthy.body) as unknown;
    expect(fieldAt(body, 'checks.db.status')).toEqual({ found: true, value: 'ok' });
    expect(fieldAt(body, 'items.0.id')).toEqual({ found: true, value: 7 });
    expect(fieldAt(body, 'checks.cache.status')).toEqual({ found: true, value: null });
    expect(fieldAt(body, 'checks.queue.status')).toEqual({ found: false });
    expect(fieldAt(body, 'status.length')).toEqual({ found: false });
  });

  it('a degraded dependency and a changed shape are critical findings', () => {
    const body = JSON.stringify({ status: 'degraded', checks: { db: { status: 'down' } } });
    const findings = bodyFindings(body, expectations.json, resource);
    expect(findings.map((f) => [f.check, f.message])).toEqual([
      ['http.body-field', 'status is "degraded", expected "ok"'],
      ['http.body-field', 'checks.db.status is "down", expected "ok"'],
      ['http.body-field', 'body has no field items.0.id'],
    ]);
    expect(findings[1]!.remedy).toBe(
      'The service reports checks.db.status = "down": the part it names is degraded; check it (and its dependency probes) first.',
    );
  });

  it('an error page instead of JSON is one finding, not one per condition', () => {
    const page = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    expect(bodyFindings(page, expectations.json, resource)).toEqual([
      expect.objectContaining({ check: 'http.body-json', message: 'body is not JSON', evidence: { body: page } }),
    ]);
  });

  it('without conditions the body is not read at all', () => {
    expect(bodyFindings('not json', [], resource)).toEqual([]);
  });
});

describe('TLS certificate expiry', () => {
  const limits = { warnDays: 14, criticalDays: 3 };
  const cert = (days: number) => ({
    subject: 'checkout.internal',
    issuer: 'Internal CA',
    validTo: new Date(now.getTime() + days * DAY),
  });

  it('warns inside warnDays and is critical inside criticalDays', () => {
    expect(summary(certificateFindings(cert(10), limits, resource, now))).toEqual(['tls.expiry warning']);
    expect(summary(certificateFindings(cert(2), limits, resource, now))).toEqual(['tls.expiry critical']);
    expect(certificateFindings(cert(14), limits, resource, now)).toEqual([]);
  });

  it('says when it expires, or how long ago it did, and how to renew it', () => {
    const [soon] = certificateFindings(cert(2.5), limits, resource, now);
    expect(soon!.message).toBe('TLS certificate for checkout.internal expires in 2.5 days (2026-11-29T00:00:00.000Z)');
    expect(soon!.remedy).toBe(
      'Renew the certificate for checkout.internal (issued by Internal CA) and reload the service before 2026-11-29T00:00:00.000Z.',
    );
    const [gone] = certificateFindings(
      { subject: '', issuer: '', validTo: new Date(now.getTime() - 1.25 * DAY) },
      limits,
      resource,
      now,
    );
    expect(gone!.message).toBe('TLS certificate for the service expired 1.3 days ago (2026-11-25T06:00:00.000Z)');
    expect(gone!.remedy).toMatch(/^Renew the certificate for the service \(issued by unknown\)/);
  });

  it('reports the days left as a metric, to one decimal', () => {
    expect(answerMetrics(recorded({ certificate: cert(6.04) }), now).tlsDaysLeft).toBe(6);
    expect(answerMetrics(recorded({ certificate: undefined, status: 204 }), now)).toEqual({ statusCode: 204 });
  });
});

describe('everything about one answer', () => {
  it('lists status, response time, headers and body in that order', () => {
    const bad = recorded({
      status: 500,
      totalMs: 2500,
      headers: { 'x-version': '1.9.0' },
      body: JSON.stringify({ status: 'error' }),
    });
    expect(summary(answerFindings(bad, expectations, resource))).toEqual([
      'http.status critical',
      'http.response-time warning',
      'http.header critical',
      'http.body-field critical',
      'http.body-field critical',
      'http.body-field critical',
    ]);
  });
});

describe('the /metrics scrape', () => {
  const service = { name: 'checkout', metricsPath: '/metrics' };
  const metricsUrl = 'https://checkout.internal:8443/metrics';

  it('counts the samples of valid Prometheus text', () => {
    const body = readFileSync(new URL('../fixtures/metrics/checkout-1.prom', import.meta.url), 'utf8');
    expect(metricsFindings(recorded({ status: 200, body }), metricsUrl, service, resource)).toEqual({
      findings: [],
      samples: 11,
    });
  });

  it('is a warning when it cannot be read, naming the status or the error', () => {
    const notFound = metricsFindings(recorded({ status: 404 }), metricsUrl, service, resource);
    expect(notFound.samples).toBeUndefined();
    expect(notFound.findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        check: 'metrics.reachable',
        message: 'GET https://checkout.internal:8443/metrics: status 404',
        remedy: 'Check that checkout exposes Prometheus metrics at /metrics (services[].metricsPath).',
      }),
    ]);
    const refused = metricsFindings(
      recorded({ status: undefined, error: 'ECONNREFUSED' }),
      metricsUrl,
      service,
      resource,
    );
    expect(refused.findings[0]!.message).toBe('GET https://checkout.internal:8443/metrics: ECONNREFUSED');
  });

  it('is a warning naming the first bad lines when Prometheus would drop the scrape', () => {
    const body = 'ok_metric 1\n{bad} 2\nno_value{a="b"}\nx{a=b} 3\ny 1 2 3\n';
    const judged = metricsFindings(recorded({ status: 200, body }), metricsUrl, service, resource);
    expect(judged.samples).toBe(1);
    expect(judged.findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        check: 'metrics.parse',
        message:
          'https://checkout.internal:8443/metrics is not valid Prometheus text: line 2: expected a metric name; line 3: no_value has no numeric value; line 4: expected ="..." after label a (and 1 more)',
        evidence: { errors: expect.arrayContaining(['line 5: unexpected text after the value of y']) },
      }),
    ]);
  });
});

describe('body conditions with comparisons, lengths and patterns (Gatus conditions, structured)', () => {
  const body = JSON.stringify({ queue: { depth: 120 }, ratio: '0.25', items: ['a', 'b'], name: 'checkout', ok: true });
  const messages = (conditions: JsonCondition[]) => bodyFindings(body, conditions, resource).map((f) => f.message);

  it('compares numbers, and numbers a JSON field carries as text, with every operator', () => {
    expect(
      messages([
        { path: 'queue.depth', gt: 100, gte: 120, lt: 121, lte: 120 },
        { path: 'ratio', lt: 0.5 },
      ]),
    ).toEqual([]);
    expect(
      messages([
        { path: 'queue.depth', gt: 120, lte: 100 },
        { path: 'ratio', gte: 1 },
      ]),
    ).toEqual(['queue.depth is 120, expected > 120 and <= 100', 'ratio is 0.25, expected >= 1']);
    expect(
      messages([
        { path: 'name', lt: 5 },
        { path: 'ok', gt: 0 },
        { path: 'items', gt: 0 },
      ]),
    ).toEqual(['name is "checkout", not a number', 'ok is true, not a number', 'items is ["a","b"], not a number']);
  });

  it('judges the length of a string, a list, or the body itself (`$`), exactly or compared', () => {
    expect(
      messages([
        { path: 'items', length: 2 },
        { path: 'name', length: { gte: 1, lt: 9 } },
      ]),
    ).toEqual([]);
    expect(
      messages([
        { path: 'items', length: 3 },
        { path: '$', length: { lt: 10 } },
        { path: 'queue', length: 1 },
      ]),
    ).toEqual([
      'items has length 2, expected == 3',
      `the body has length ${body.length}, expected < 10`,
      'queue is {"depth":120}, which has no length (not a string or list)',
    ]);
  });

  it('matches patterns in linear time, equals and notEquals any JSON scalar', () => {
    expect(
      messages([
        { path: 'name', matches: '^check' },
        { path: 'queue.depth', matches: '^1\\d\\d$' },
        { path: 'ok', notEquals: false },
      ]),
    ).toEqual([]);
    expect(
      messages([
        { path: 'name', matches: '^cart' },
        { path: 'ok', notEquals: true },
      ]),
    ).toEqual(['name is "checkout", expected to match /^cart/', 'ok is true, expected anything else']);
  });

  it('judges a body that is not JSON when only `$` is asked about', () => {
    expect(bodyFindings('OK', [{ path: '$', matches: '^OK$' }], resource)).toEqual([]);
    expect(bodyFindings('DOWN', [{ path: '$', equals: 'OK' }], resource).map((f) => f.message)).toEqual([
      'the body is "DOWN", expected "OK"',
    ]);
  });

  it('never walks into what the body inherits (a path through __proto__ or constructor is missing)', () => {
    expect(fieldAt({}, 'constructor')).toEqual({ found: false });
    expect(fieldAt(JSON.parse('{"a":{}}'), 'a.__proto__')).toEqual({ found: false });
    expect(fieldAt(['x'], '0')).toEqual({ found: true, value: 'x' });
  });

  it('any JSON at all under any condition gives findings, never an exception, with bounded messages', () => {
    const limits = fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined });
    const condition = fc.record(
      {
        path: fc.constantFrom('a', 'a.b', 'a.0', '$', 'x.y.z'),
        equals: fc.option(fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), { nil: undefined }),
        gt: limits,
        lte: limits,
        length: fc.option(fc.nat(5), { nil: undefined }),
        matches: fc.option(fc.constantFrom('^a', 'b+', '\\d'), { nil: undefined }),
      },
      { requiredKeys: ['path'] },
    );
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(condition, { maxLength: 4 }), (value, conditions) => {
        const found = bodyFindings(JSON.stringify({ a: value }), conditions as JsonCondition[], resource);
        for (const f of found) expect(f.message.length).toBeLessThan(400);
      }),
    );
  });

  it('agrees with the comparison operators on every pair of numbers', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true }), (value, limit) => {
        expect(failedComparisons(value, { gt: limit })).toEqual(value > limit ? [] : [`> ${limit}`]);
        expect(failedComparisons(value, { lte: limit })).toEqual(value <= limit ? [] : [`<= ${limit}`]);
        const finite = Number.isFinite(value) && Number.isFinite(limit);
        if (finite) expect(conditionProblems(value, { path: 'v', gte: limit })).toHaveLength(value >= limit ? 0 : 1);
      }),
    );
  });
});

describe('response time against two limits', () => {
  it('above maxResponseTime is a warning, above criticalResponseTime critical', () => {
    const limits = { maxResponseTime: 300, criticalResponseTime: 1000 };
    expect(responseTimeFindings(300, limits, resource)).toEqual([]);
    expect(summary(responseTimeFindings(301, limits, resource))).toEqual(['http.response-time warning']);
    expect(responseTimeFindings(1000.4, limits, resource)[0]!.severity).toBe('warning');
    expect(responseTimeFindings(1001, limits, resource)).toEqual([
      expect.objectContaining({
        severity: 'critical',
        message: 'answered in 1001 ms, above 1000 ms (criticalResponseTime)',
      }),
    ]);
  });
});

describe('TLS expiry over the whole chain', () => {
  const limits = { warnDays: 14, criticalDays: 3 };
  const at = (days: number) => new Date(now.getTime() + days * DAY);
  const chain = (leaf: number, intermediate: number, root: number): Certificate => ({
    subject: 'checkout.internal',
    issuer: 'Internal Issuing CA',
    validTo: at(leaf),
    chain: [
      { subject: 'checkout.internal', issuer: 'Internal Issuing CA', validTo: at(leaf) },
      { subject: 'Internal Issuing CA', issuer: 'Internal Root CA', validTo: at(intermediate) },
      { subject: 'Internal Root CA', issuer: 'Internal Root CA', validTo: at(root) },
    ],
  });

  it('names the intermediate that expires before the leaf, and how to replace it', () => {
    const [finding] = certificateFindings(chain(60, 2, 3650), limits, resource, now);
    expect(finding).toMatchObject({
      severity: 'critical',
      message:
        'TLS intermediate certificate "Internal Issuing CA" (2 of 3 in the chain for checkout.internal) expires in 2.0 days (2026-11-28T12:00:00.000Z)',
      remedy:
        'Get the current intermediate certificate Internal Issuing CA from Internal Root CA, install it in the chain the service presents, and reload the service before 2026-11-28T12:00:00.000Z.',
      evidence: expect.objectContaining({ chainIndex: 1, subject: 'Internal Issuing CA' }),
    });
    expect(answerMetrics(recorded({ certificate: chain(60, 2, 3650) }), now).tlsDaysLeft).toBe(2);
  });

  it('names a root that expires first, and the leaf when it is the first (as before)', () => {
    expect(certificateFindings(chain(60, 400, 10), limits, resource, now)[0]!.message).toMatch(
      /^TLS root certificate "Internal Root CA" \(3 of 3/,
    );
    expect(certificateFindings(chain(10, 400, 3650), limits, resource, now)[0]!.message).toBe(
      'TLS certificate for checkout.internal expires in 10.0 days (2026-12-06T12:00:00.000Z)',
    );
    expect(certificateFindings(chain(60, 400, 3650), limits, resource, now)).toEqual([]);
  });
});

describe('TCP and DNS probes, recorded', () => {
  const tcp: TcpResult = { target: 'db.internal:5432', connectMs: 1.2, totalMs: 3.4, received: '' };
  const limits = { maxResponseTime: 1000 };

  it('a TCP port: refused is critical; an answer that does not match names what was sent, quoted and cut', () => {
    expect(tcpFindings(tcp, limits, 'tcp/db.internal:5432')).toEqual([]);
    expect(tcpFindings({ ...tcp, error: 'ECONNREFUSED', connectMs: 0 }, limits, 'tcp/x')[0]).toMatchObject({
      check: 'tcp.reachable',
      message: 'connect to db.internal:5432 failed: ECONNREFUSED',
    });
    const noise = `\u001b[31m${'x'.repeat(300)}`;
    const [wrong] = tcpFindings(
      { ...tcp, received: noise, matched: false, closed: true },
      { ...limits, expectResponse: '^OK' },
      'tcp/x',
    );
    expect(wrong!.message).toBe(
      `db.internal:5432: no answer matching /^OK/ (it closed the connection); it sent ${JSON.stringify(`${noise.slice(0, 100)}…`)}`,
    );
  });

  const dns: DnsResult = {
    name: 'api.example.com',
    type: 'A',
    server: 'system',
    rcode: 'NOERROR',
    answers: ['10.0.0.7'],
    totalMs: 2,
  };
  const expectDns = { ...limits, rcode: 'NOERROR' as const, contains: [] };

  it('DNS: the expected rcode, at least one answer unless told otherwise, and the values asked for', () => {
    expect(dnsFindings(dns, { ...expectDns, contains: ['10.0.0.7'] }, 'dns/api')).toEqual([]);
    expect(dnsFindings({ ...dns, answers: [] }, expectDns, 'dns/api').map((f) => f.message)).toEqual([
      'A api.example.com at the system resolver gave 0 A records, expected at least 1',
    ]);
    expect(dnsFindings({ ...dns, answers: [] }, { ...expectDns, minAnswers: 0 }, 'dns/api')).toEqual([]);
    expect(
      dnsFindings({ ...dns, rcode: 'NXDOMAIN', answers: [] }, { ...expectDns, rcode: 'NXDOMAIN' }, 'dns/api'),
    ).toEqual([]);
    expect(
      dnsFindings({ ...dns, rcode: undefined, answers: [], error: 'ECONNREFUSED' }, expectDns, 'dns/api')[0],
    ).toMatchObject({
      check: 'dns.reachable',
      message: 'A api.example.com at the system resolver: no answer (ECONNREFUSED)',
    });
  });
});

describe('failure and success thresholds (per target, kept between runs)', () => {
  const thresholds = { failureThreshold: 3, successThreshold: 2 };
  const down: Finding = { severity: 'critical', check: 'http.status', resource, message: 'status 503, expected 200' };
  const expiring: Finding = {
    severity: 'critical',
    check: 'tls.expiry',
    resource,
    message: 'TLS certificate expires in 1.0 days',
  };
  const start = { streak: asStreak(null), at: null };

  /** Runs a sequence of outcomes (true: failed) through the streak; each run's severities. */
  function replay(failed: boolean[], t = thresholds): string[] {
    let kept: { streak: ProbeStreak; at: Date | null } = start;
    return failed.map((bad, i) => {
      const at = new Date(now.getTime() + i * 60_000);
      const applied = applyStreak(bad ? [down] : [], kept, t, resource, at);
      kept = { streak: applied.streak, at };
      return applied.findings.map((f) => f.severity).join(',') || 'ok';
    });
  }

  it('warns for the first failures, "k of N", and is critical from the N-th in a row', () => {
    expect(replay([true, true, true, true])).toEqual(['warning', 'warning', 'critical', 'critical']);
    expect(replay([true, true, false, true, true])).toEqual(['warning', 'warning', 'ok', 'warning', 'warning']);
    const first = applyStreak([down], start, thresholds, resource, now).findings[0]!;
    expect(first.message).toBe(
      'status 503, expected 200 — failure 1 of 3 in a row before this is critical (failureThreshold; none yet)',
    );
  });

  it('recovers only after M good runs in a row; a flap while recovering stays critical', () => {
    expect(replay([true, true, true, false, true, false, false, true])).toEqual([
      'warning',
      'warning',
      'critical',
      'warning',
      'critical',
      'warning',
      'ok',
      'warning',
    ]);
  });

  it('with both thresholds at 1 it changes nothing, and a certificate expiry is never held back', () => {
    expect(replay([true, false, true], { failureThreshold: 1, successThreshold: 1 })).toEqual([
      'critical',
      'ok',
      'critical',
    ]);
    expect(applyStreak([expiring], start, thresholds, resource, now).findings).toEqual([expiring]);
  });

  it('adds up with the incident signal as the README says: it opens after failureThreshold + openAfter − 1 failures', () => {
    for (const [failureThreshold, openAfter] of [
      [1, 2],
      [3, 2],
      [3, 1],
      [2, 3],
    ] as const) {
      let kept: { streak: ProbeStreak; at: Date | null } = start;
      let signal = initialSignal;
      let opened = 0;
      for (let run = 1; run <= 10 && !opened; run++) {
        const applied = applyStreak([down], kept, { failureThreshold, successThreshold: 1 }, resource, now);
        kept = { streak: applied.streak, at: now };
        const moved = step(signal, verdictOf(statusOf(applied.findings))!, now, { openAfter, resolveAfter: 2 });
        signal = moved.next;
        if (moved.transition === 'failing') opened = run;
      }
      expect(`${failureThreshold}+${openAfter}: ${opened}`).toBe(
        `${failureThreshold}+${openAfter}: ${failureThreshold + openAfter - 1}`,
      );
    }
  });

  it('reads back anything kept as a valid streak', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const streak = asStreak(value);
        expect(Number.isInteger(streak.failures) && streak.failures >= 0).toBe(true);
        expect(typeof streak.failing).toBe('boolean');
      }),
    );
    expect(asStreak({ failures: 2, successes: 0, failing: false, since: null })).toEqual({
      failures: 2,
      successes: 0,
      failing: false,
      since: null,
    });
  });
});
