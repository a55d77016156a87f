/**
 * Sending an incident event to an HTTP channel: one POST, bounded in time and in what is
 * read back. A receiver that refuses the request (4xx other than 408 and 429) will refuse
 * it again: that is a permanent failure, not retried. Anything else (5xx, 408, 429, no
 * answer) is retried by the outbox. Errors name the channel, never its URL (it holds a token).
 */
import type { ChannelConfig } from '../../config/schema.js';
import type { HttpChannel, NotificationEvent } from '../../store/deliveries.js';
import { pagerdutyBody, slackBody, webhookBody, webhookHeaders } from './payloads.js';

/** What a receiver answered is read up to this much, for the error message. */
const MAX_ANSWER_BYTES = 2048;

/** A receiver refused the notification; sending it again would be refused again. */
export class ChannelRefusedError extends Error {
  override readonly name = 'ChannelRefusedError';
}

/** The request for one event to one channel. */
export function requestFor(
  channel: ChannelConfig & { type: HttpChannel },
  event: NotificationEvent,
  unixSeconds: number,
): { url: string; body: string; headers: Record<string, string> } {
  const json = { 'content-type': 'application/json', 'user-agent': 'opscron' };
  switch (channel.type) {
    case 'webhook': {
      const body = webhookBody(event);
      return {
        url: channel.url,
        body,
        headers: { ...json, ...webhookHeaders(channel.secret, body, unixSeconds, event.id) },
      };
    }
    case 'slack':
      return { url: channel.url, body: slackBody(event), headers: json };
    case 'pagerduty':
      return { url: channel.url, body: pagerdutyBody(event, channel.routingKey), headers: json };
  }
}

async function answerOf(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** POSTs the event; resolves when the receiver took it (2xx), throws otherwise. */
export async function sendToChannel(
  name: string,
  channel: ChannelConfig & { type: HttpChannel },
  event: NotificationEvent,
  unixSeconds: number,
): Promise<void> {
  const request = requestFor(channel, event, unixSeconds);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'POST',
      body: request.body,
      headers: request.headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(channel.timeout),
    });
  } catch (error) {
    const why = (error as Error).name === 'TimeoutError' ? `no answer within ${channel.timeout} ms` : 'not reachable';
    const code = ((error as { cause?: { code?: string } }).cause?.code ?? '') as string;
    throw new Error(`${channel.type} channel ${name}: ${why}${code ? ` (${code})` : ''}`);
  }
  const answer = await answerOf(response);
  if (response.status >= 200 && response.status < 300) return;
  const redirect = response.status < 400 ? ' (redirects are not followed: configure the final URL)' : '';
  const message = `${channel.type} channel ${name}: HTTP ${response.status}${redirect}${answer ? `: ${answer}` : ''}`;
  const transient = response.status >= 500 || response.status === 408 || response.status === 429;
  if (transient) throw new Error(message);
  throw new ChannelRefusedError(message);
}
