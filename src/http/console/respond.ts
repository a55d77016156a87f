/** How console pages leave: security headers on every response, HTML gzipped when the browser takes it. */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Html } from './html.js';

const gzipAsync = promisify(gzip);

/**
 * Scripts and styles from this origin only (no inline script, no other origin), frames
 * only for the report PDF from this origin, forms only to this origin, and no page of
 * ours inside anyone else's frame.
 */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "frame-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function securityHeaders(reply: FastifyReply): void {
  void reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY')
    .header('cross-origin-opener-policy', 'same-origin');
}

/** Pages below this many bytes are sent as they are: gzip would save less than a packet. */
const COMPRESS_FROM = 1400;

export async function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  body: Html,
  status = 200,
): Promise<FastifyReply> {
  void reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('vary', 'accept-encoding');
  const text = body.text;
  const accepts = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
  if (!accepts || text.length < COMPRESS_FROM) return reply.send(text);
  // Level 4: nearly the size of level 6 on HTML this repetitive, at about half the time.
  const packed = await gzipAsync(Buffer.from(text, 'utf8'), { level: 4 });
  return reply.header('content-encoding', 'gzip').send(packed);
}
