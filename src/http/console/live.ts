/**
 * A run's progress as Server-Sent Events (`event: run`): its status, and its progress when
 * this process runs it, each time either changes; the stream ends when the run does. The
 * run row is read twice a second per stream; streams are bounded per process and in time
 * (a browser's EventSource reconnects by itself after one ends).
 */
import type { FastifyInstance } from 'fastify';
import { OpscronError } from '../../errors.js';
import { seg } from './html.js';
import { sessionOf, type ConsoleDeps } from './context.js';

const POLL_MS = 500;
const MAX_STREAMS = 200;
const MAX_STREAM_MS = 10 * 60_000;

export function liveRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  let open = 0;
  app.get<{ Params: { id: string } }>('/runs/:id/events', async (request, reply) => {
    sessionOf(request);
    if (open >= MAX_STREAMS)
      throw new OpscronError('OPSCRON_BUSY', `${open} live views are open; the page still shows the run (reload it)`);
    const id = request.params.id;
    open++;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-accel-buffering': 'no',
    });
    let last = '';
    let busy = false;
    const started = Date.now();
    const tick = async () => {
      if (busy) return;
      busy = true;
      try {
        const run = await deps.store.runs.get(id);
        const status = run?.status ?? 'queued';
        const finished = run !== null && run.status !== 'running';
        const progress = deps.worker?.progress().get(id) ?? null;
        const payload = JSON.stringify({ status, progress, finished, url: `/runs/${seg(id)}` });
        if (payload !== last) raw.write(`event: run\ndata: ${payload}\n\n`);
        last = payload;
        if (finished || Date.now() - started > MAX_STREAM_MS) stop();
      } catch {
        // The store did not answer this time: the next tick asks again.
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(() => void tick(), POLL_MS);
    const stop = () => {
      clearInterval(timer);
      if (!raw.writableEnded) raw.end();
    };
    raw.on('close', () => {
      clearInterval(timer);
      open--;
    });
    await tick();
  });
}
