/** The worker-thread side of renderOffThread: renders the report it is given and posts the PDF back. */
import { parentPort, workerData } from 'node:worker_threads';
import type { Report } from '../types.js';
import { renderReport } from './render.js';
import { ownBytes } from './thread.js';

// Transferred, not copied: the PDF's memory moves to the main thread (a pooled slice is copied out first).
const pdf = ownBytes(await renderReport(workerData as Report));
parentPort!.postMessage(pdf, [pdf.buffer as ArrayBuffer]);
