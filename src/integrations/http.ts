/**
 * HTTP probes: one request on a fresh connection, timed phase by phase (DNS, connect,
 * TLS, first byte, total) the way blackbox exporter reports them, with the server's TLS
 * certificate, a bounded body, and cancellation through the caller's signal. Given a
 * keep-alive agent (fan-out over many targets) a probe may reuse a connection: its DNS,
 * connect and TLS phases are then 0, and the certificate is read from the open connection.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';
import type { Certificate, CertificateInfo } from '../analysis/certificates.js';
import type { ProbeResult, Timings } from '../analysis/http-checks.js';

// The probe's result is plain data, defined beside the analysis that judges it.
export type { ProbeResult, Timings } from '../analysis/http-checks.js';

/** How to send one probe. */
export interface ProbeOptions {
  method?: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  signal: AbortSignal;
  /** Extra CA certificates (PEM) to trust, e.g. a private CA. */
  ca?: string;
  /** Accept any certificate (the expiry is still read and judged). */
  insecure?: boolean;
  /** A keep-alive agent to reuse connections; default: a fresh connection per probe. */
  agent?: http.Agent;
}

const MAX_BODY = 1024 * 1024;

/**
 * One request, timed phase by phase. A failed request (refused, timed out, aborted, TLS
 * rejected) resolves too: the result carries the error beside whatever had been measured.
 */
export function probe(url: string, options: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  const since = () => performance.now() - started;
  const timings: Timings = { dns: 0, connect: 0, tls: 0, firstByte: 0, total: 0 };
  const result: ProbeResult = { url, headers: {}, body: '', totalMs: 0, timings };
  return new Promise((resolve) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined = undefined;
    let onAbort: (() => void) | undefined = undefined;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (onAbort) options.signal.removeEventListener('abort', onAbort);
      timings.total = since();
      result.totalMs = timings.total;
      if (error !== undefined) result.error = error;
      resolve(result);
    };
    let target: URL;
    let request: http.ClientRequest;
    try {
      target = new URL(url);
      request = (target.protocol === 'https:' ? https : http).request(target, requestOptions(target, options));
    } catch (error) {
      // A URL that does not parse, or a header value the HTTP client refuses, is a finding, not a crash.
      return finish(
        (error as NodeJS.ErrnoException).code === 'ERR_INVALID_URL' ? 'not a valid URL' : (error as Error).message,
      );
    }
    const abort = () => {
      request.destroy();
      finish('aborted');
    };
    onAbort = abort;
    timer = setTimeout(() => {
      request.destroy();
      finish(`no response within ${options.timeoutMs} ms`);
    }, options.timeoutMs);
    if (options.signal.aborted) return abort();
    options.signal.addEventListener('abort', abort, { once: true });

    request.on('socket', (socket: Socket) => timePhases(socket, target, result, since));
    request.on('response', (response) => readResponse(response, result, since, finish));
    request.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    request.end();
  });
}

function requestOptions(target: URL, options: ProbeOptions): https.RequestOptions {
  const secure = target.protocol === 'https:';
  return {
    method: options.method ?? 'GET',
    headers: options.headers,
    agent: options.agent ?? false, // a fresh connection unless asked, so every phase is measured
    // SNI names a host, never an address (RFC 6066; Node warns, DEP0123): for an IP target none is sent.
    ...(secure
      ? {
          ca: options.ca,
          rejectUnauthorized: !options.insecure,
          ...(isIP(target.hostname.replace(/^\[|\]$/g, '')) ? {} : { servername: target.hostname }),
        }
      : {}),
  };
}

/** Longest chain walked: real ones have 2 to 4 certificates; a longer one is cut, not followed forever. */
const MAX_CHAIN = 10;

const cn = (name: string | string[] | undefined) => (Array.isArray(name) ? name.join(', ') : (name ?? ''));
const infoOf = (cert: PeerCertificate): CertificateInfo => ({
  subject: cn(cert.subject?.CN),
  issuer: cn(cert.issuer?.CN),
  validTo: new Date(cert.valid_to),
});

/**
 * The server's certificate and the chain above it, leaf first: each issuer in turn, up to
 * a self-signed root (its issuer is itself), a certificate seen before, or MAX_CHAIN.
 */
function peerCertificate(socket: TLSSocket): Certificate | undefined {
  const leaf = socket.getPeerCertificate(true);
  if (!leaf || !leaf.valid_to) return undefined;
  const chain: CertificateInfo[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = leaf;
  while (cert?.valid_to && chain.length < MAX_CHAIN && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push(infoOf(cert));
    cert = cert.issuerCertificate;
  }
  return { ...infoOf(leaf), chain };
}

/** Marks when DNS, connect and TLS finish on a new connection, and reads the certificate. */
function timePhases(socket: Socket, target: URL, result: ProbeResult, since: () => number): void {
  const secure = target.protocol === 'https:';
  const readCertificate = () => {
    const certificate = peerCertificate(socket as TLSSocket);
    if (certificate) result.certificate = certificate;
  };
  if (!socket.connecting) {
    // A kept-alive connection: no phases to time; the certificate is the open connection's.
    if (secure) readCertificate();
    return;
  }
  const timings = result.timings;
  // An IP address needs no lookup, and the socket then emits no 'lookup': DNS stays 0.
  if (!isIP(target.hostname.replace(/^\[|\]$/g, ''))) socket.once('lookup', () => (timings.dns = since()));
  socket.once('connect', () => (timings.connect = since()));
  if (secure) {
    socket.once('secureConnect', () => {
      timings.tls = since();
      readCertificate();
    });
  }
}

/** Status, headers (repeated ones joined) and a body of at most MAX_BODY characters; `finish` at its end. */
function readResponse(
  response: http.IncomingMessage,
  result: ProbeResult,
  since: () => number,
  finish: () => void,
): void {
  result.timings.firstByte = since();
  result.status = response.statusCode;
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) result.headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    if (result.body.length < MAX_BODY) result.body += chunk;
    // Enough to judge: stop reading rather than hold a huge body in memory.
    if (result.body.length >= MAX_BODY) response.destroy();
  });
  response.on('end', () => finish());
  response.on('close', () => finish());
}
