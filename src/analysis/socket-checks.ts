/**
 * TCP and DNS probes judged as blackbox_exporter's tcp and dns modules and Gatus' tcp:// and
 * dns endpoints judge them: a TCP port that accepts a connection (and, with a query, answers
 * what is expected), a name that resolves with the expected response code, number of answers
 * and values. Pure: the recorded result in (src/integrations/tcp.ts, dns.ts), findings out.
 * What a server sent is untrusted: it appears cut short and as JSON, never as it came.
 */
import type { Finding } from '../model.js';
import { responseTimeFindings, type ResponseTimeLimits } from './http-checks.js';

/** One TCP probe, as src/integrations/tcp.ts records it. */
export interface TcpResult {
  /** `host:port`. */
  target: string;
  /** Milliseconds until the connection was open (0 if it never was). */
  connectMs: number;
  /** Milliseconds until the probe ended: connected, or the expected answer arrived. */
  totalMs: number;
  /** The connection could not be made: the error code (ECONNREFUSED, ETIMEDOUT, ...). */
  error?: string;
  /** What the server sent while the probe listened (bounded). */
  received: string;
  /** With an expected answer: whether it came; undefined when nothing was expected. */
  matched?: boolean;
  /** The server closed the connection before the expected answer came. */
  closed?: boolean;
  /** The probe stopped reading at its bound (64 KiB) before the expected answer came. */
  full?: boolean;
}

/** The response codes of RFC 1035 (and 2136) a resolver reports by name. */
export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;
export type DnsRcode = (typeof DNS_RCODES)[number];

/** One DNS query, as src/integrations/dns.ts records it. */
export interface DnsResult {
  name: string;
  type: string;
  /** `ip:port`, or `system` for the resolvers the host is configured with. */
  server: string;
  /** The server's response code; undefined when no answer came at all (see `error`). */
  rcode?: DnsRcode;
  /** The answer records as text: addresses, names, `10 mail.example.com` for MX. */
  answers: string[];
  totalMs: number;
  /** No answer: ETIMEOUT, ECONNREFUSED, ... */
  error?: string;
}

/** What a healthy DNS answer looks like. */
export interface DnsExpectations extends ResponseTimeLimits {
  rcode: DnsRcode;
  /** Values each of which must be among the answers (names compared without case or final dot). */
  contains: readonly string[];
  /** Default: 1 when NOERROR is expected (an empty answer is a broken record), else 0. */
  minAnswers?: number;
  maxAnswers?: number;
}

/** Text from a server, shown safely: JSON-quoted and cut to 100 characters. */
const shown = (text: string) => JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);

/** A TCP probe: not connected is critical; the wrong answer (or none) is critical; slow is judged by the limits. */
export function tcpFindings(
  result: TcpResult,
  expect: ResponseTimeLimits & { expectResponse?: string },
  resource: string,
): Finding[] {
  if (result.error !== undefined)
    return [
      {
        severity: 'critical',
        check: 'tcp.reachable',
        resource,
        message: `connect to ${result.target} failed: ${result.error}`,
        evidence: { ms: Math.round(result.totalMs) },
        remedy: `Check that the service listens on ${result.target} and that nothing (a firewall, a NetworkPolicy) drops opscron's connection.`,
      },
    ];
  const findings: Finding[] = [];
  if (expect.expectResponse !== undefined && !result.matched) {
    const how = result.closed
      ? 'it closed the connection'
      : result.full
        ? `stopped reading after ${Math.round(result.received.length / 1024)} KiB`
        : `waited ${Math.round(result.totalMs)} ms`;
    findings.push({
      severity: 'critical',
      check: 'tcp.response',
      resource,
      message: `${result.target}: no answer matching /${expect.expectResponse}/ (${how}); it sent ${result.received ? shown(result.received) : 'nothing'}`,
      evidence: { received: result.received.slice(0, 500) },
      remedy: `The port is open but what answers is not the expected service (or it is stuck): check what listens on ${result.target}.`,
    });
  }
  findings.push(...responseTimeFindings(result.totalMs, expect, resource, 'tcp.response-time'));
  return findings;
}

/** A name compared as DNS compares it: without case, without the final dot. */
const canonical = (value: string) => value.trim().toLowerCase().replace(/\.$/, '');

/** A DNS query: no answer, the wrong code, too few or too many records, a missing value; slow by the limits. */
export function dnsFindings(result: DnsResult, expect: DnsExpectations, resource: string): Finding[] {
  const query = `${result.type} ${result.name} at ${result.server === 'system' ? 'the system resolver' : result.server}`;
  const finding = (check: string, message: string, remedy: string): Finding => ({
    severity: 'critical',
    check,
    resource,
    message,
    evidence: { rcode: result.rcode ?? null, answers: result.answers.slice(0, 20), ms: Math.round(result.totalMs) },
    remedy,
  });
  if (result.rcode === undefined)
    return [
      finding(
        'dns.reachable',
        `${query}: no answer (${result.error ?? 'unknown error'})`,
        'Check that the DNS server runs and that opscron reaches it over UDP port 53 (or the port given).',
      ),
    ];
  if (result.rcode !== expect.rcode)
    return [
      finding(
        'dns.rcode',
        `${query} answered ${result.rcode}, expected ${expect.rcode}`,
        result.rcode === 'NXDOMAIN'
          ? `The name ${result.name} does not exist on that server: check the zone (a deleted or mistyped record).`
          : 'The server refuses or fails the query: check its logs and the zone it serves.',
      ),
    ];
  const findings: Finding[] = [];
  const min = expect.minAnswers ?? (expect.rcode === 'NOERROR' ? 1 : 0);
  const count = result.answers.length;
  if (count < min || (expect.maxAnswers !== undefined && count > expect.maxAnswers))
    findings.push(
      finding(
        'dns.answers',
        `${query} gave ${count} ${result.type} record${count === 1 ? '' : 's'}, expected ${count < min ? `at least ${min}` : `at most ${expect.maxAnswers}`}`,
        `Check the ${result.type} records of ${result.name} in its zone (and that every server of the zone has the same).`,
      ),
    );
  const have = new Set(result.answers.map(canonical));
  const missing = expect.contains.filter((value) => !have.has(canonical(value)));
  if (missing.length)
    findings.push(
      finding(
        'dns.answer',
        `${query} does not give ${missing.map((v) => JSON.stringify(v)).join(', ')}; it gives ${result.answers.length ? result.answers.slice(0, 10).map(shown).join(', ') : 'nothing'}`,
        `The record of ${result.name} points elsewhere than expected: check the zone, and whether a change to it is still propagating (its TTL).`,
      ),
    );
  findings.push(...responseTimeFindings(result.totalMs, expect, resource, 'dns.response-time'));
  return findings;
}
