/** The health-check's judgements on recorded probe results: what an operator would be told to check. */
import { readFileSync } from 'node:fs';
import { bodyFindings, fieldAt } from '../../src/analysis/body-conditions.js';
import { certificateFindings } from '../../src/analysis/certificates.js';
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
