/**
 * A receiver of notifications (webhook, Slack, PagerDuty): a real HTTP server on loopback
 * that records every request and answers what the test says — a status, or 0 for no answer.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** Records each request; `answer` decides the status by path. */
export class Receiver {
  readonly received: Received[] = [];
  private readonly held: ServerResponse[] = [];
  answer: (path: string) => number = () => 200;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = this.answer(req.url ?? '');
        if (status === 0) return void this.held.push(res); // no answer at all
        this.received.push({
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
          status,
        });
        // A receiver that echoes what it was asked (its URL holds the token) must not leak it through our errors.
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `refused ${req.url}`);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
  /** What a receiver took (2xx), on paths starting with `prefix`. */
  accepted(prefix: string): Received[] {
    return this.received.filter((r) => r.status < 300 && r.path.startsWith(prefix));
  }
  json(prefix: string): Array<Record<string, any>> {
    return this.accepted(prefix).map((r) => JSON.parse(r.body) as Record<string, any>);
  }
}
