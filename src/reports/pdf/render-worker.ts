/** The worker-thread side of renderOffThread: renders the report it is given and posts the PDF back. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Report } from '../types.js';
import { renderReport } from './render.js';

const rendered = await renderReport(workerData as Report);
// Copied once into memory of its own, which is then transferred (moved, not copied again) to the
// main thread: Node 22+ refuses to transfer the memory behind a Buffer (it may be pooled).
const whole = new Uint8Array(rendered);
parentPort!.postMessage(whole, [whole.buffer]);
