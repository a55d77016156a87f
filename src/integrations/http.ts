/** HTTP probes: one request, timed, bounded in size, cancelled through the caller's signal. */
export interface ProbeResult {
  url: string;
  status?: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds until the whole body arrived. */
  totalMs: number;
  error?: string;
}

const MAX_BODY = 1024 * 1024;

export async function probe(url: string, options: { method?: string; headers?: Record<string, string>; timeoutMs: number; signal: AbortSignal }): Promise<ProbeResult> {
  const started = performance.now();
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  try {
    const response = await fetch(url, { method: options.method ?? 'GET', headers: options.headers, signal, redirect: 'manual' });
    let body = '';
    if (response.body) {
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (let read = await reader.read(); !read.done; read = await reader.read()) {
        body += decoder.decode(read.value, { stream: true });
        if (body.length > MAX_BODY) {
          await reader.cancel();
          break;
        }
      }
    }
    return { url, status: response.status, headers: Object.fromEntries(response.headers), body, totalMs: performance.now() - started };
  } catch (error) {
    const err = error as Error & { cause?: { code?: string; message?: string } };
    const reason = options.signal.aborted
      ? 'aborted'
      : err.name === 'TimeoutError'
        ? `no response within ${options.timeoutMs} ms`
        : (err.cause?.code ?? err.cause?.message ?? err.message);
    return { url, headers: {}, body: '', totalMs: performance.now() - started, error: reason };
  }
}
