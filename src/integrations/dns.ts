/**
 * DNS probes: one query through node:dns's Resolver (c-ares, not the system's getaddrinfo),
 * to the resolvers the host is configured with or to a given server, as blackbox_exporter's
 * dns module asks. The response code is read from the resolver's error (NXDOMAIN comes back
 * as ENOTFOUND, an empty NOERROR answer as ENODATA). Bounded: one try, the caller's timeout
 * and signal, at most 100 answers of 255 characters kept.
 */
import { Resolver } from 'node:dns/promises';
import type { DnsRcode, DnsResult } from '../analysis/socket-checks.js';

export type { DnsResult } from '../analysis/socket-checks.js';

/** Record types a probe can ask for. */
export const DNS_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SRV', 'PTR'] as const;
export type DnsType = (typeof DNS_TYPES)[number];

export interface DnsQuery {
  name: string;
  type: DnsType;
  /** `ip` or `ip:port` (`[ipv6]:port`); undefined: the system's resolvers. */
  server?: string;
}

/** c-ares' error codes that carry a response code; any other error means no answer came. */
const RCODE_OF: Record<string, DnsRcode> = {
  ENODATA: 'NOERROR',
  ENOTFOUND: 'NXDOMAIN',
  ESERVFAIL: 'SERVFAIL',
  EREFUSED: 'REFUSED',
  EFORMERR: 'FORMERR',
  ENOTIMP: 'NOTIMP',
};

/** One record as text: an address or name as it is, `10 mail.example.com` for MX, `0 5 5060 sip.example.com` for SRV. */
function recordText(record: unknown): string {
  if (typeof record === 'string') return record;
  if (Array.isArray(record)) return record.join('');
  const r = record as { priority?: number; exchange?: string; weight?: number; port?: number; name?: string };
  if (r.exchange !== undefined) return `${r.priority} ${r.exchange}`;
  if (r.port !== undefined) return `${r.priority} ${r.weight} ${r.port} ${r.name}`;
  return JSON.stringify(record);
}

/** One query; it always resolves, with the response code, or without one and the error. */
export async function probeDns(
  query: DnsQuery,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<DnsResult> {
  const started = performance.now();
  const result: DnsResult = {
    name: query.name,
    type: query.type,
    server: query.server ?? 'system',
    answers: [],
    totalMs: 0,
  };
  const resolver = new Resolver({ timeout: Math.max(1, Math.round(options.timeoutMs)), tries: 1 });
  // c-ares may try again past its timeout (without EDNS, say): the caller's bound is kept here.
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    resolver.cancel();
  }, options.timeoutMs);
  const cancel = () => resolver.cancel();
  options.signal.addEventListener('abort', cancel, { once: true });
  try {
    if (query.server !== undefined) resolver.setServers([query.server]);
    if (options.signal.aborted) throw Object.assign(new Error('aborted'), { code: 'ECANCELLED' });
    const records = (await resolver.resolve(query.name, query.type)) as unknown[];
    result.rcode = 'NOERROR';
    result.answers = records.slice(0, 100).map((r) => recordText(r).slice(0, 255));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    const rcode = RCODE_OF[code];
    if (rcode) result.rcode = rcode;
    // c-ares' own timeout is the same bound as the timer here: whichever fires first, it timed out.
    else if (code === 'ETIMEOUT' || (code === 'ECANCELLED' && timedOut))
      result.error = `timed out after ${options.timeoutMs} ms`;
    else if (code === 'ECANCELLED') result.error = 'aborted';
    else result.error = code;
  } finally {
    clearTimeout(timer);
    options.signal.removeEventListener('abort', cancel);
    result.totalMs = performance.now() - started;
  }
  return result;
}
