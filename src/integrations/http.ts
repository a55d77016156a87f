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
import type { TLSSocket } from 'node:tls';

export interface Timings {
  /** Milliseconds from the start of the probe; each phase's own length is the difference. */
  dns: number;
  connect: number;
  tls: number;
  firstByte: number;
  total: number;
}

export interface Certificate {
  subject: string;
  issuer: string;
  validTo: Date;
}

export interface ProbeResult {
  url: string;
  status?: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds until the whole body arrived (same as timings.total). */
  totalMs: number;
  timings: Timings;
  certificate?: Certificate;
  error?: string;
}

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

export function probe(url: string, options: ProbeOptions): Promise<ProbeResult> {
  const started = performance.now();
  const since = () => performance.now() - started;
  const timings: Timings = { dns: 0, connect: 0, tls: 0, firstByte: 0, total: 0 };
  const result: ProbeResult = { url, headers: {}, body: '', totalMs: 0, timings };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      timings.total = since();
      result.totalMs = timings.total;
      if (error !== undefined) result.error = error;
      resolve(result);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return finish('not a valid URL');
    }
    const secure = target.protocol === 'https:';
    const request = (secure ? https : http).request(target, {
      method: options.method ?? 'GET',
      headers: options.headers,
      agent: options.agent ?? false, // a fresh connection unless asked, so every phase is measured
      ...(secure ? { ca: options.ca, rejectUnauthorized: !options.insecure, servername: target.hostname } : {}),
    });
    const onAbort = () => {
      request.destroy();
      finish('aborted');
    };
    const timer = setTimeout(() => {
      request.destroy();
      finish(`no response within ${options.timeoutMs} ms`);
    }, options.timeoutMs);
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });

    const readCertificate = (socket: TLSSocket) => {
      const cert = socket.getPeerCertificate();
      if (cert && cert.valid_to) {
        const cn = (name: string | string[] | undefined) => (Array.isArray(name) ? name.join(', ') : (name ?? ''));
        result.certificate = {
          subject: cn(cert.subject?.CN),
          issuer: cn(cert.issuer?.CN),
          validTo: new Date(cert.valid_to),
        };
      }
    };
    request.on('socket', (socket: Socket) => {
      if (!socket.connecting) {
        // A kept-alive connection: no phases to time; the certificate is the open connection's.
        if (secure) readCertificate(socket as TLSSocket);
        return;
      }
      if (!isIP(target.hostname.replace(/^\[|\]$/g, ''))) socket.once('lookup', () => (timings.dns = since()));
      socket.once('connect', () => (timings.connect = since()));
      if (secure) {
        socket.once('secureConnect', () => {
          timings.tls = since();
          readCertificate(socket as TLSSocket);
        });
      }
    });
    request.on('response', (response) => {
      timings.firstByte = since();
      result.status = response.statusCode;
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) result.headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (result.body.length < MAX_BODY) result.body += chunk;
        if (result.body.length >= MAX_BODY) response.destroy();
      });
      response.on('end', () => finish());
      response.on('close', () => finish());
    });
    request.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
    request.end();
  });
}
