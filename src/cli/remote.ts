/** Asking a running opscron over its API: a trigger, a report (and its PDF). */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OpscronError } from '../errors.js';
import type { ReportKind } from '../model.js';

const authorization = (): Record<string, string> => {
  const token = process.env.OPSCRON_API_TOKEN;
  return token ? { authorization: `Bearer ${token}` } : {};
};

async function call(
  server: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  timeoutMs = 30_000,
): Promise<Response> {
  const url = new URL(path, server);
  try {
    return await fetch(url, {
      ...init,
      headers: { ...authorization(), ...(init.headers ?? {}) },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new OpscronError(
      'OPSCRON_SERVER_UNREACHABLE',
      `cannot reach ${url.origin}: ${(error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message}`,
    );
  }
}

/** POST /api/jobs/:id/runs on a running opscron; the token's name is the actor it records. */
export async function triggerThroughApi(
  server: string,
  id: string,
  params: Record<string, unknown>,
  reason?: string,
): Promise<string> {
  const response = await call(server, `/api/jobs/${encodeURIComponent(id)}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ params, reason }),
  });
  const body = (await response.json().catch(() => ({}))) as { runId?: string; message?: string };
  if (response.status !== 202 || !body.runId)
    throw new OpscronError(
      'OPSCRON_TRIGGER_REFUSED',
      `${new URL(server).origin} answered ${response.status}: ${body.message ?? response.statusText}`,
    );
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

/** The same report built by a running opscron (POST /api/reports), its PDF fetched to `out`. */
export async function reportThroughApi(
  server: string,
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
  const body = (await response.json().catch(() => ({}))) as {
    id?: string;
    title?: string;
    status?: string;
    bytes?: number;
    sha256?: string;
    pdf?: string;
    summary?: { headline: string };
    delivery?: { recipients: string[]; channel: string } | null;
    message?: string;
  };
  if (response.status !== 201 || !body.id)
    throw new OpscronError(
      'OPSCRON_REPORT_REFUSED',
      `${new URL(server).origin} answered ${response.status}: ${body.message ?? response.statusText}`,
    );
  if (out) {
    const pdf = await call(server, body.pdf!, {}, 120_000);
    if (!pdf.ok) throw new OpscronError('OPSCRON_REPORT_REFUSED', `GET ${body.pdf} answered ${pdf.status}`);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, Buffer.from(await pdf.arrayBuffer()));
  }
  console.log(`${body.title} ${body.id}: ${String(body.status).toUpperCase()} — ${body.summary?.headline ?? ''}`);
  console.log(
    `stored by ${new URL(server).origin} (${body.bytes} bytes, sha256 ${body.sha256})${out ? `; written to ${out}` : ''}`,
  );
  if (body.delivery) console.log(`queued for ${body.delivery.recipients.join(', ')} (${body.delivery.channel})`);
}
