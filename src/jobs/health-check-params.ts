/**
 * health-check's params: what to probe (a service, many, an http(s):// or tcp:// URL, or a
 * DNS name) and what a healthy answer looks like. Targets — where the probe goes and what
 * it sends — come from config; thresholds and expectations may be tuned by a trigger
 * (the list is `overridable` in health-check.ts).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { duration } from '../config/schema.js';
import { linearRegex } from '../analysis/pattern.js';
import { DNS_RCODES } from '../analysis/socket-checks.js';
import { DNS_TYPES } from '../integrations/dns.js';

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const finite = z.number().refine(Number.isFinite, { error: 'must be a finite number' });
const comparisons = { gt: finite.optional(), gte: finite.optional(), lt: finite.optional(), lte: finite.optional() };
const count = z.number().int().min(0);

const jsonCondition = z.strictObject({
  /** Dot path into the JSON body: `status`, `checks.db.status`, `items.0.id`; `$`: the body text itself. */
  path: z.string().min(1),
  equals: scalar.optional(),
  notEquals: scalar.optional(),
  /** The value, a number (or a string holding one), compared: `[BODY].queue.depth < 100`. */
  ...comparisons,
  /** Length of the string or list there (`len(...)`): exact, or `{gt, gte, lt, lte, equals}`. */
  length: z.union([count, z.strictObject({ equals: count.optional(), ...comparisons })]).optional(),
  /** A regular expression in RE2 syntax (linear time) the value (as text) must match. */
  matches: linearRegex.optional(),
});

const headerCondition = z.strictObject({
  name: z.string().min(1),
  /** Exact value; without it (and without `matches`) the header only has to be present. */
  equals: z.string().optional(),
  /** A regular expression (RE2 syntax: linear time) the value must match. */
  matches: linearRegex.optional(),
});

/** A probe target: http(s), or tcp://host:port. */
const target = z.url({
  protocol: /^(https?|tcp)$/,
  error: 'must be an http(s) URL or tcp://host:port',
});

/** A DNS server: an IP address, optionally with a port (`10.0.0.2`, `10.0.0.2:5353`, `[fd00::2]:53`). */
const dnsServer = z.string().refine(
  (s) => {
    const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(s) ?? (isIP(s) === 6 ? [s, s] : null);
    const host = m?.[1] ?? m?.[2] ?? '';
    return isIP(host) !== 0 && (m?.[3] === undefined || (Number(m[3]) >= 1 && Number(m[3]) <= 65_535));
  },
  { error: 'must be an IP address, optionally with a port: 10.0.0.2, 10.0.0.2:5353 or [fd00::2]:53' },
);

const HOSTNAME =
  /^(?=.{1,253}$)([a-zA-Z0-9_*]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?\.)*[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?\.?$/;

const dnsQuery = z.strictObject({
  /** The name to resolve. */
  name: z.string().regex(HOSTNAME, { error: 'must be a DNS name such as api.example.com' }),
  type: z.enum(DNS_TYPES).default('A'),
  /** The DNS server to ask (a target: config only); default: the resolvers the host uses. */
  server: dnsServer.optional(),
});

const dnsExpectations = z.strictObject({
  rcode: z.enum(DNS_RCODES).default('NOERROR'),
  /** Values that must be among the answers: `10.0.0.7`, `mail.example.com`, `10 mail.example.com` (MX). */
  /** At most 100: a probe keeps at most 100 answers. */
  contains: z.array(z.string().min(1).max(255)).max(100).default([]),
  minAnswers: count.optional(),
  maxAnswers: count.optional(),
});

/** What to probe (one service, many, a URL or a DNS name) and what a healthy answer looks like. */
export const healthCheckParams = z
  .strictObject({
    service: z.string().optional(),
    /** Fan-out: check each of these services (`["*"]`: every configured service) in one run. */
    services: z.array(z.string()).min(1).optional(),
    /** Fan-out: checks in flight at once. */
    concurrency: z.number().int().min(1).max(1000).default(50),
    /**
     * Fan-out: keep connections open between the run's checks (default yes). Thousands of
     * fresh connections cost time and ephemeral ports; a reused one has no DNS, connect or
     * TLS phase to measure. A single-target check always uses a fresh connection.
     */
    reuseConnections: z.boolean().optional(),
    url: target.optional(),
    /** tcp:// targets: text written once connected (blackbox's query_response `send`). */
    send: z.string().max(4096).optional(),
    /** tcp:// targets: RE2 pattern what the server sends must match (read up to 64 KiB, within requestTimeout). */
    expectResponse: linearRegex.optional(),
    /** A DNS query to judge instead of a URL. */
    dns: dnsQuery.optional(),
    expectDns: dnsExpectations.default({ rcode: 'NOERROR', contains: [] }),
    method: z.enum(['GET', 'HEAD']).default('GET'),
    headers: z.record(z.string(), z.string()).default({}),
    expectStatus: z.array(z.number().int().min(100).max(599)).min(1).default([200]),
    /** Slower than this is a warning. */
    maxResponseTime: duration.default(2000),
    /** Slower than this is critical. */
    criticalResponseTime: duration.optional(),
    requestTimeout: duration.default(10_000),
    json: z.array(jsonCondition).max(50).default([]),
    expectHeaders: z.array(headerCondition).max(50).default([]),
    /** Failed runs in a row (per target) before the run is critical; earlier ones are warnings. */
    failureThreshold: z.number().int().min(1).max(100).default(1),
    /** Good runs in a row (per target) after failing before it counts as recovered. */
    successThreshold: z.number().int().min(1).max(100).default(1),
    /** Also GET the service's metrics path and check it parses as Prometheus text (needs `service`). */
    scrapeMetrics: z.boolean().default(false),
    /** HTTPS: days before the earliest expiry in the certificate chain that make a warning and a critical finding. */
    tls: z
      .strictObject({ warnDays: z.number().min(0).default(14), criticalDays: z.number().min(0).default(3) })
      .default({ warnDays: 14, criticalDays: 3 }),
    /** HTTPS: a PEM file of extra CA certificates to trust (a private CA). */
    caFile: z.string().optional(),
    /** HTTPS: accept any certificate (its expiry is still judged). */
    insecureSkipVerify: z.boolean().default(false),
    /** Probe the service's dependencies (services[].dependencies). */
    checkDependencies: z.boolean().default(true),
  })
  .refine((p) => [p.service, p.url, p.services, p.dns].filter((v) => v !== undefined).length === 1, {
    error: 'set exactly one of service, services, url or dns',
  })
  .refine((p) => !p.scrapeMetrics || (p.url === undefined && p.dns === undefined), {
    error: 'scrapeMetrics needs service (its metricsPath says where)',
  })
  .refine((p) => !p.url?.startsWith('tcp:') || /^tcp:\/\/[^/]+:\d+\/?$/.test(p.url), {
    error: 'a tcp:// url is tcp://host:port, with a port and nothing after it',
    path: ['url'],
  })
  .refine((p) => (p.send === undefined && p.expectResponse === undefined) || p.url?.startsWith('tcp:'), {
    error: 'send and expectResponse are for a tcp:// url',
    path: ['expectResponse'],
  })
  .refine((p) => (!p.json.length && !p.expectHeaders.length) || (!p.url?.startsWith('tcp:') && p.dns === undefined), {
    error: 'json and expectHeaders judge an HTTP answer: not for a tcp:// url or dns',
    path: ['json'],
  })
  .refine((p) => p.criticalResponseTime === undefined || p.criticalResponseTime >= p.maxResponseTime, {
    error: 'criticalResponseTime must be at least maxResponseTime (the warning comes first)',
    path: ['criticalResponseTime'],
  });

/** health-check's params after parsing, defaults filled in. */
export type HealthCheckParams = z.output<typeof healthCheckParams>;
