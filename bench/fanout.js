/**
 * health-check fan-out: one run checking 10,000 HTTP targets on loopback, against raw
 * undici request() on the same targets in the same run. Targets are served by a separate
 * process (10 ports × 1,000 paths); each side runs in a fresh child process (cold, as the
 * issue's figure for undici is), `concurrency` requests in flight on both sides.
 *
 *   node bench/fanout.js targets <ports>            the target server (child)
 *   node bench/fanout.js raw|opscron <ports> <n> <c> one side of one round (child)
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';

const mode = process.argv[2];

function urls(ports, n) {
  return Array.from({ length: n }, (_, i) => `http://127.0.0.1:${ports[i % ports.length]}/health?t=${i}`);
}

if (mode === 'targets') {
  const count = Number(process.argv[3]);
  const ports = [];
  for (let i = 0; i < count; i++) {
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    });
    server.keepAliveTimeout = 5000;
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    ports.push(server.address().port);
  }
  process.stdout.write(`${JSON.stringify(ports)}\n`);
} else if (mode === 'raw') {
  const { request } = await import('undici');
  const ports = JSON.parse(process.argv[3]);
  const list = urls(ports, Number(process.argv[4]));
  const concurrency = Number(process.argv[5]);
  const latencies = new Array(list.length);
  let next = 0;
  let ok = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < list.length) {
        const i = next++;
        const t = performance.now();
        const res = await request(list[i]);
        await res.body.text();
        if (res.statusCode === 200) ok++;
        latencies[i] = performance.now() - t;
      }
    }),
  );
  const ms = performance.now() - started;
  latencies.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      ms,
      ok,
      rps: (list.length / ms) * 1000,
      p50: latencies[Math.floor(latencies.length * 0.5)],
      p99: latencies[Math.floor(latencies.length * 0.99)],
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
} else if (mode === 'opscron') {
  const { parseConfig } = await import('../dist/configure.js');
  const { healthCheck, healthCheckParams } = await import('../dist/jobs/health-check.js');
  const { silentLogger } = await import('../dist/observability/logger.js');
  const ports = JSON.parse(process.argv[3]);
  const n = Number(process.argv[4]);
  const concurrency = Number(process.argv[5]);
  const config = parseConfig({
    services: urls(ports, n).map((u, i) => {
      const url = new URL(u);
      return { name: `t-${i}`, url: url.origin, healthPath: `${url.pathname}${url.search}` };
    }),
  });
  const ctx = {
    runId: 'bench',
    jobId: 'fanout',
    attempt: 1,
    logger: silentLogger,
    signal: new AbortController().signal,
    config,
    sql: null,
    progress: () => {},
    now: () => new Date(),
  };
  const started = performance.now();
  const outcome = await healthCheck.run(
    ctx,
    healthCheckParams.parse({
      services: ['*'],
      concurrency,
      reuseConnections: process.env.FANOUT_FRESH !== '1',
      json: [{ path: 'status', equals: 'ok' }],
    }),
  );
  const ms = performance.now() - started;
  console.log(
    JSON.stringify({
      ms,
      ok: outcome.metrics.healthy,
      rps: (n / ms) * 1000,
      p50: outcome.metrics.p50Ms,
      p99: outcome.metrics.p99Ms,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      status: outcome.status,
    }),
  );
}

/** Runs the rounds: raw and opscron alternate, each in its own cold process. */
export async function fanoutBench({ targets = 10_000, concurrency = 50, rounds = 5 } = {}) {
  const server = spawn(process.execPath, [new URL(import.meta.url).pathname, 'targets', '10'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports = await new Promise((resolve) => server.stdout.once('data', (d) => resolve(d.toString().trim())));
  const side = (name) =>
    JSON.parse(
      execFileSync(
        process.execPath,
        [
          new URL(import.meta.url).pathname,
          name === 'fresh' ? 'opscron' : name,
          ports,
          String(targets),
          String(concurrency),
        ],
        { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, FANOUT_FRESH: name === 'fresh' ? '1' : '0' } },
      )
        .trim()
        .split('\n')
        .pop(),
    );
  const results = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const order = i % 2 ? ['opscron', 'fresh', 'raw'] : ['raw', 'fresh', 'opscron'];
      const r = {};
      for (const name of order) r[name] = side(name);
      r.ratio = r.opscron.rps / r.raw.rps;
      results.push(r);
      console.log(
        `  round ${i + 1}: raw undici ${Math.round(r.raw.rps)} req/s (p99 ${r.raw.p99.toFixed(1)} ms, ${Math.round(r.raw.maxRssMiB)} MiB) | opscron ${Math.round(r.opscron.rps)} checks/s (p99 ${r.opscron.p99} ms, ${Math.round(r.opscron.maxRssMiB)} MiB, ${r.opscron.ok}/${targets} healthy) | ratio ${r.ratio.toFixed(2)} | fresh connections: ${Math.round(r.fresh.rps)} checks/s (p99 ${r.fresh.p99} ms), ratio ${(r.fresh.rps / r.raw.rps).toFixed(2)}`,
      );
    }
  } finally {
    server.kill();
  }
  const median = (f) => results.map(f).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  return {
    raw: median((r) => r.raw.rps),
    opscron: median((r) => r.opscron.rps),
    ratio: median((r) => r.ratio),
    addedP99: median((r) => r.opscron.p99 - r.raw.p99),
    rssMiB: median((r) => r.opscron.maxRssMiB),
    addedMean: median((r) => ((r.opscron.ms - r.raw.ms) * concurrency) / targets),
    freshRatio: median((r) => r.fresh.rps / r.raw.rps),
  };
}
