/**
 * PDF rendering off the event loop. pdfkit lays out and compresses synchronously: ~50 ms
 * for a small report, 850 ms for 1,000 services (bench/README.md) — time the scheduler's
 * timer, the API and running jobs would otherwise wait (the fuzz suite measured 150-200 ms
 * stalls). Each render runs in a worker thread of its own, which exits when done, so
 * pdfkit's memory is given back between reports.
 *
 * From the TypeScript sources (the test runner) there is no compiled worker to start: the
 * report is rendered in-process, as before. `opscron` itself always runs compiled.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Report } from '../types.js';

const entry = new URL('./render-worker.js', import.meta.url);
const threaded = import.meta.url.endsWith('.js') && existsSync(fileURLToPath(entry));

/**
 * The PDF as bytes that own their whole ArrayBuffer, so the worker can transfer them to the main
 * thread instead of copying: the buffer itself when it does, else a copy. Node hands out small
 * Buffers as slices of a shared pool that cannot be transferred (DataCloneError): under 4 KiB on
 * Node 22, but under 32 KiB on Node 24, whose pool is 64 KiB, so a small report's PDF is one.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : new Uint8Array(bytes);
}

/**
 * The worker's error as the main thread gets it. A DOMException thrown there (a DataCloneError,
 * say) arrives without its message, so the CLI printed "opscron: " and nothing else; its stack
 * still names it, when there is a stack.
 */
function rendererError(error: Error): Error {
  if (error.message) return error;
  const named = error.stack?.split('\n').find((line) => /^\w+: /.test(line));
  return new Error(`the report renderer failed: ${named ?? 'the worker sent no message'}`);
}

export async function renderOffThread(report: Report): Promise<Buffer> {
  if (!threaded) {
    const { renderReport } = await import('./render.js');
    return renderReport(report);
  }
  return new Promise<Buffer>((resolve, reject) => {
    const worker = new Worker(entry, { workerData: report });
    let pdf: Buffer | null = null;
    worker.once('message', (data: Uint8Array) => (pdf = Buffer.from(data.buffer, data.byteOffset, data.byteLength)));
    worker.once('error', (error) => reject(rendererError(error)));
    worker.once('exit', (code) =>
      pdf ? resolve(pdf) : reject(new Error(`the report renderer exited with code ${code} before it sent the PDF`)),
    );
  });
}
