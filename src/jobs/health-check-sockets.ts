/** health-check's TCP and DNS probes: a tcp:// url or a `dns` query, judged like blackbox_exporter's tcp and dns modules. */
import { dnsFindings, tcpFindings } from '../analysis/socket-checks.js';
import { linearPattern } from '../analysis/pattern.js';
import { probeDns } from '../integrations/dns.js';
import { probeTcp } from '../integrations/tcp.js';
import type { HealthCheckParams } from './health-check-params.js';
import { statusOf, type JobContext, type JobOutcome } from './types.js';

/** Connects to the tcp:// url (sends `send`, waits for `expectResponse`) and judges it. */
export async function checkTcp(ctx: JobContext, params: HealthCheckParams): Promise<JobOutcome> {
  const url = new URL(params.url!);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const pattern = params.expectResponse === undefined ? undefined : linearPattern(params.expectResponse);
  const result = await probeTcp(host, Number(url.port), {
    timeoutMs: params.requestTimeout,
    signal: ctx.signal,
    send: params.send,
    expect: pattern && ((text) => pattern.test(text)),
  });
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const resource = `tcp/${url.host}`;
  const findings = tcpFindings(result, params, resource);
  const status = statusOf(findings);
  const metrics = { connectMs: round(result.connectMs), responseTimeMs: Math.round(result.totalMs) };
  const summary =
    status === 'ok'
      ? `${resource} answers: connected in ${metrics.connectMs} ms${pattern ? `, expected answer in ${metrics.responseTimeMs} ms` : ''}`
      : `${resource}: ${findings.map((f) => f.message).join('; ')}`;
  return { status, summary, findings, metrics };
}

/** Resolves the `dns` query and judges the answer against `expectDns`. */
export async function checkDns(
  ctx: JobContext,
  params: HealthCheckParams,
  query: NonNullable<HealthCheckParams['dns']>,
): Promise<JobOutcome> {
  const result = await probeDns(query, { timeoutMs: params.requestTimeout, signal: ctx.signal });
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const resource = `dns/${query.name}`;
  const findings = dnsFindings(result, { ...params, ...params.expectDns }, resource);
  const status = statusOf(findings);
  const metrics = { responseTimeMs: Math.round(result.totalMs), answers: result.answers.length };
  const summary =
    status === 'ok'
      ? `${resource} ${query.type}: ${result.rcode}, ${result.answers.slice(0, 5).join(', ') || 'no records'} in ${metrics.responseTimeMs} ms`
      : `${resource}: ${findings.map((f) => f.message).join('; ')}`;
  return { status, summary, findings, metrics };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
