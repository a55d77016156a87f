/**
 * A real HTTP service for health-check jobs to probe. Each request's `?job=` is counted,
 * and the test sets how it answers: status, body, delay, or never (to test timeouts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Behaviour {
  status?: number;
  body?: unknown;
  /** Answer with the request's headers as the body. */
  echoHeaders?: boolean;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Served as text at /metrics (any other path answers as above). */
  metrics?: string | (() => string);
  delayMs?: number;
  hang?: boolean;
}

export class Target {
  readonly hits = new Map<string, number>();
  /** Requests whose connection the client closed before an answer was sent. */
  abandoned = 0;
  behaviour: Behaviour = {};
  lastHeaders: Record<string, string | string[] | undefined> = {};
  /** Every request as `METHOD path`. */
  readonly requests: string[] = [];
  private readonly server: Server;
  private readonly waiting = new Set<ServerResponse>();
  port = 0;
  onRequest: ((job: string) => void) | null = null;

  constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  url(job: string, path = '/health'): string {
    return `http://127.0.0.1:${this.port}${path}?job=${encodeURIComponent(job)}`;
  }

  count(job: string): number {
    return this.hits.get(job) ?? 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const job = new URL(req.url ?? '/', 'http://x').searchParams.get('job') ?? '';
    this.hits.set(job, this.count(job) + 1);
    this.lastHeaders = req.headers;
    this.requests.push(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
    this.onRequest?.(job);
    const b = this.behaviour;
    this.waiting.add(res);
    res.on('close', () => {
      if (!res.writableEnded) this.abandoned++;
      this.waiting.delete(res);
    });
    if (b.hang) return;
    setTimeout(() => {
      if (res.destroyed) return;
      if (b.metrics !== undefined && req.url?.startsWith('/metrics')) {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(typeof b.metrics === 'function' ? b.metrics() : b.metrics);
        return;
      }
      res.writeHead(b.status ?? 200, { 'content-type': 'application/json', ...b.headers });
      res.end(JSON.stringify(b.echoHeaders ? req.headers : (b.body ?? { status: 'ok' })));
    }, b.delayMs ?? 0);
  }

  async stop(): Promise<void> {
    for (const res of this.waiting) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls until `fn` returns a truthy value (a real outcome in a store or a server), or fails after `timeoutMs`. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
