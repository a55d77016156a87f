/** The worker-thread side of renderOffThread: renders the report it is given and posts the PDF back. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Report } from '../types.js';
import { renderReport } from './render.js';

const rendered = await renderReport(workerData as Report);
// Transferred, not copied: the PDF's memory moves to the main thread (a pooled slice is copied out first).
const whole =
  rendered.byteOffset === 0 && rendered.byteLength === rendered.buffer.byteLength ? rendered : Buffer.from(rendered);
parentPort!.postMessage(whole, [whole.buffer as ArrayBuffer]);
