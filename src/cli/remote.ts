/** Asking a running opscron over its API: where it is, with which token, and what it answers. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import type { OpscronConfig } from '../config/schema.js';
import { OpscronError, type ErrorCode } from '../errors.js';
import type { LocalApi } from '../local-api.js';
import type { ReportKind, Scope } from '../model.js';

/** A running opscron's API and the token shown to it (never printed). */
export interface Server {
  url: string;
  token?: string;
}

/** The opscron at `url` (--server), with the token in $OPSCRON_API_TOKEN. */
export const serverAt = (url: string): Server => ({ url, token: process.env.OPSCRON_API_TOKEN || undefined });

const RANK: Record<Scope, number> = { read: 0, trigger: 1, admin: 2 };

/**
 * The opscron that holds this configuration's embedded store, where it said it listens
 * (local-api.ts). The CLI acts with the configuration's authority, so without
 * $OPSCRON_API_TOKEN it shows the configuration's strongest token.
 */
export function localServer(cfg: OpscronConfig, api: LocalApi): Server {
  const strongest = [...cfg.http.tokens].sort((a, b) => RANK[b.scope] - RANK[a.scope])[0];
  return { url: api.url, token: process.env.OPSCRON_API_TOKEN || strongest?.token };
}

const origin = (server: Server) => new URL(server.url).origin;

async function call(
  server: Server,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  timeoutMs = 30_000,
): Promise<Response> {
  const url = new URL(path, server.url);
  try {
    return await fetch(url, {
      ...init,
      headers: { ...(server.token ? { authorization: `Bearer ${server.token}` } : {}), ...(init.headers ?? {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new OpscronError(
      'OPSCRON_SERVER_UNREACHABLE',
      `cannot reach ${url.origin}: ${(error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`,
    );
  }
}

/** The error an answer other than `expected` makes: the server's own message, and what to do about a token. */
async function refusal(server: Server, response: Response, code: ErrorCode): Promise<OpscronError> {
  const body = (await response.json().catch(() => ({}))) as { message?: string };
  const hint =
    response.status === 401 ? ' — give the CLI one of its API tokens in $OPSCRON_API_TOKEN (http.tokens)' : '';
  return new OpscronError(
    code,
    `${origin(server)} answered ${response.status}: ${body.message ?? response.statusText}${hint}`,
  );
}

/**
 * GET `path` and parse the answer with `schema`; null for a 404 when `missing` allows it.
 * What a server answers is unknown until parsed, like anything else from outside.
 */
export async function getJson<S extends z.ZodType>(
  server: Server,
  path: string,
  schema: S,
  missing: 'null' | 'error' = 'error',
): Promise<z.output<S> | null> {
  const response = await call(server, path);
  if (response.status === 404 && missing === 'null') return null;
  if (!response.ok) throw await refusal(server, response, 'OPSCRON_API_REFUSED');
  const result = schema.safeParse(await response.json().catch(() => undefined));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new OpscronError(
      'OPSCRON_API_REFUSED',
      `${origin(server)} answered GET ${path.split('?')[0]} with what this opscron cannot read (${issue?.path.join('.') || 'body'}: ${issue?.message}); is it another version?`,
    );
  }
  return result.data;
}

/** POST `body` to `path`; the answer's JSON when it is 2xx, else the server's refusal as `code`. */
export async function postJson(
  server: Server,
  path: string,
  body: unknown,
  code: ErrorCode,
  method: 'POST' | 'DELETE' = 'POST',
): Promise<unknown> {
  const response = await call(server, path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await refusal(server, response, code);
  return response.json().catch(() => null);
}

/** POST /api/jobs/:id/runs on a running opscron; the token's name is the actor it records. */
export async function triggerThroughApi(
  server: Server,
  id: string,
  params: Record<string, unknown>,
  reason?: string,
): Promise<string> {
  const response = await call(server, `/api/jobs/${encodeURIComponent(id)}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params, reason }),
  });
  if (response.status !== 202) throw await refusal(server, response, 'OPSCRON_TRIGGER_REFUSED');
  const body = (await response.json().catch(() => ({}))) as { runId?: string };
  if (!body.runId) throw new OpscronError('OPSCRON_TRIGGER_REFUSED', `${origin(server)} answered 202 without a run id`);
  return body.runId;
}

export interface RemoteReportRequest {
  kind: ReportKind;
  from?: Date;
  to?: Date;
  lengthMs?: number;
  incidentId?: string;
  email: boolean;
}

interface ReportAnswer {
  id: string;
  title?: string;
  status?: string;
  bytes?: number;
  sha256?: string;
  pdf?: string;
  summary?: { headline: string };
  delivery?: { recipients: string[]; channel: string } | null;
}

/** The same report built by a running opscron (POST /api/reports), its PDF fetched to `out`. */
export async function reportThroughApi(
  server: Server,
  request: RemoteReportRequest,
  out: string | undefined,
): Promise<void> {
  const response = await call(
    server,
    '/api/reports',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: request.kind,
        from: request.from?.toISOString(),
        to: request.to?.toISOString(),
        period: request.lengthMs,
        incident: request.incidentId,
        email: request.email,
      }),
    },
    120_000,
  );
  if (response.status !== 201) throw await refusal(server, response, 'OPSCRON_REPORT_REFUSED');
  const body = (await response.json().catch(() => ({}))) as Partial<ReportAnswer>;
  if (!body.id) throw new OpscronError('OPSCRON_REPORT_REFUSED', `${origin(server)} answered 201 without a report`);
  if (out) {
    const pdf = await call(server, body.pdf!, {}, 120_000);
    if (!pdf.ok) throw new OpscronError('OPSCRON_REPORT_REFUSED', `GET ${body.pdf} answered ${pdf.status}`);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, Buffer.from(await pdf.arrayBuffer()));
  }
  console.log(`${body.title} ${body.id}: ${String(body.status).toUpperCase()} — ${body.summary?.headline ?? ''}`);
  console.log(
    `stored by ${origin(server)} (${body.bytes} bytes, sha256 ${body.sha256})${out ? `; written to ${out}` : ''}`,
  );
  if (body.delivery) console.log(`queued for ${body.delivery.recipients.join(', ')} (${body.delivery.channel})`);
}
