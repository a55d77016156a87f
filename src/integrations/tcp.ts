/**
 * TCP probes: connect, and optionally send a query and wait for an answer that matches, as
 * blackbox_exporter's query_response does (`send: "PING\r\n"`, expect `^\+PONG`). Bounded:
 * the caller's timeout and signal end it, at most 64 KiB of what the server sends is read,
 * and the connection is always closed.
 */
import { connect, type Socket } from 'node:net';
import type { TcpResult } from '../analysis/socket-checks.js';

export type { TcpResult } from '../analysis/socket-checks.js';

export interface TcpProbeOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** Written once the connection is open. */
  send?: string;
  /** Whether what arrived so far is the expected answer; without it the probe ends at connect (or after sending). */
  expect?: (received: string) => boolean;
}

const MAX_RECEIVED = 64 * 1024;

/** Adds what arrived to the result; true when the probe is done: the expected answer came, or the bound was reached. */
function received(result: TcpResult, chunk: string, expect: TcpProbeOptions['expect']): boolean {
  result.received = (result.received + chunk).slice(0, MAX_RECEIVED);
  if (expect?.(result.received)) result.matched = true;
  else if (result.received.length >= MAX_RECEIVED) result.full = true;
  return result.matched === true || result.full === true;
}

/** One TCP probe; it always resolves, a failure is in the result's `error` or `matched`. */
export function probeTcp(host: string, port: number, options: TcpProbeOptions): Promise<TcpResult> {
  const started = performance.now();
  const since = () => performance.now() - started;
  const result: TcpResult = {
    target: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    connectMs: 0,
    totalMs: 0,
    received: '',
  };
  return new Promise((resolve) => {
    let socket: Socket | undefined;
    let settled = false;
    let connected = false;
    const finish = (end?: { error?: string; closed?: boolean }) => {
      if (settled) return;
      settled = true;
      result.totalMs = since();
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      socket?.destroy();
      if (end?.error !== undefined) result.error = end.error;
      if (end?.closed) result.closed = true;
      if (options.expect && result.error === undefined) result.matched ??= false;
      resolve(result);
    };
    const onAbort = () => finish({ error: 'aborted' });
    const timer = setTimeout(
      () => finish(connected ? {} : { error: `no connection within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    if (options.signal.aborted) return onAbort();
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      socket = connect({ host, port });
    } catch (error) {
      return finish({ error: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
    }
    socket.setEncoding('utf8');
    socket.on('error', (e: NodeJS.ErrnoException) =>
      finish(connected ? { closed: true } : { error: e.code ?? e.message }),
    );
    socket.once('close', () => finish({ closed: true }));
    socket.on('data', (chunk: string) => {
      if (received(result, chunk, options.expect)) finish();
    });
    socket.once('connect', () => {
      connected = true;
      result.connectMs = since();
      if (options.expect) {
        if (options.send !== undefined) socket!.write(options.send);
      } else if (options.send !== undefined) socket!.write(options.send, () => finish());
      else finish();
    });
  });
}
