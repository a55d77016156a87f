/** Prometheus' HTTP API: instant queries, bounded by a timeout and the caller's signal. */
export interface VectorSample {
  metric: Record<string, string>;
  value: number;
}

export async function instantQuery(
  baseUrl: string,
  promql: string,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<VectorSample[]> {
  const url = new URL('/api/v1/query', baseUrl);
  url.searchParams.set('query', promql);
  const response = await fetch(url, {
    signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
  }).catch((e: Error & { cause?: { code?: string } }) => {
    throw new Error(`Prometheus at ${url.origin} did not answer: ${e.cause?.code ?? e.message}`);
  });
  const body = (await response.json().catch(() => null)) as {
    status?: string;
    error?: string;
    data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
  } | null;
  if (!response.ok || body?.status !== 'success' || !body.data)
    throw new Error(`Prometheus refused ${promql}: ${body?.error ?? `status ${response.status}`}`);
  if (body.data.resultType !== 'vector')
    throw new Error(`expected a vector from ${promql}, got ${body.data.resultType}`);
  return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
}
