/**
 * Health report over N services × D days of hourly health checks (default 1,000 × 30 =
 * 720,000 runs) in PostgreSQL: time to build (query, model) and render, and peak RSS of
 * the process that does it. Each round runs in a fresh child process so its peak RSS is
 * the report's own. `node bench/report.js child <databaseUrl> <services> <dir>` is the child.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const reportConfig = (services, reportsPath) => ({
  timezone: 'UTC',
  reports: { path: reportsPath },
  services: Array.from({ length: services }, (_, i) => ({
    name: `svc-${i + 1}`,
    url: `http://svc-${i + 1}.internal:8080`,
  })),
  jobs: Array.from({ length: services }, (_, i) => ({
    id: `hc-svc-${i + 1}`,
    type: 'health-check',
    schedule: '@hourly',
    params: { service: `svc-${i + 1}` },
  })),
});

/** Hourly health-check runs for each service over `days` days ending at `to`, about 0.3 % failing. */
export async function seedHealthRuns(databaseUrl, { services, days, to }) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `insert into runs (id, job_id, job_type, trigger, scheduled_for, created_at, started_at, finished_at, status, summary, findings, metrics)
       select 'bench-' || s || '-' || h, 'hc-svc-' || s, 'health-check', 'schedule', t, t, t, t + interval '40 ms',
              case when bad then 'critical' else 'ok' end,
              case when bad then 'service/svc-' || s || ': status 503, expected 200' else 'healthy' end,
              case when bad then jsonb_build_array(jsonb_build_object('severity', 'critical', 'check', 'http.status', 'resource', 'service/svc-' || s, 'message', 'status 503, expected 200', 'remedy', 'Check the service logs and its dependencies.')) else '[]'::jsonb end,
              jsonb_build_object('responseTimeMs', round((20 + 60 * random() + case when s % 97 = 0 then 200 else 0 end)::numeric, 1), 'statusCode', case when bad then 503 else 200 end)
         from generate_series(1, $1::int) s, generate_series(0, $2::int * 24 - 1) h,
              lateral (select $3::timestamptz - (h + 1) * interval '1 hour' as t, random() < case when s % 50 = 0 then 0.05 else 0.002 end as bad) x`,
      [services, days, to],
    );
    await client.query('analyze runs');
  } finally {
    await client.end();
  }
}

if (process.argv[2] === 'child') {
  const [, , , databaseUrl, services, dir, to] = process.argv;
  const { parseConfig } = await import('../dist/configure.js');
  const { openStore } = await import('../dist/store/index.js');
  const { produceReport } = await import('../dist/reports/publish.js');
  const config = parseConfig({ ...reportConfig(Number(services), dir), store: { databaseUrl } }, 'bench');
  const store = await openStore({ databaseUrl, path: dir });
  const started = performance.now();
  const produced = await produceReport(
    { sql: store.sql, config, now: () => new Date(to) },
    { kind: 'health', lengthMs: 30 * 86_400_000, email: false },
  );
  const totalMs = performance.now() - started;
  await store.close();
  const services_ = produced.report.services.data ?? [];
  console.log(
    JSON.stringify({
      totalMs,
      ...produced.timings,
      services: services_.length,
      checks: services_.reduce((n, s) => n + s.checks, 0),
      pages: produced.pdf.toString('latin1').match(/\/Type \/Page\b/g)?.length,
      bytes: produced.record.bytes,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      key: produced.record.storageKey,
    }),
  );
}

export async function healthReportBench({ databaseUrl, services = 1000, days = 30, rounds = 5 }) {
  const to = new Date('2026-11-26T00:00:00Z');
  const { openStore } = await import('../dist/store/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'opscron-bench-report-'));
  (await openStore({ databaseUrl, path: dir })).close(); // migrations
  const seedStart = performance.now();
  await seedHealthRuns(databaseUrl, { services, days, to });
  console.log(`  seeded ${services * days * 24} runs in ${Math.round(performance.now() - seedStart)} ms`);
  const results = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const out = execFileSync(
        process.execPath,
        [new URL(import.meta.url).pathname, 'child', databaseUrl, String(services), dir, to.toISOString()],
        { encoding: 'utf8' },
      );
      const r = JSON.parse(out.trim().split('\n').pop());
      results.push(r);
      console.log(
        `  round ${i + 1}: ${r.services} services, ${r.checks} checks, ${r.pages} pages; total ${Math.round(r.totalMs)} ms (query ${Math.round(r.queryMs)}, model ${Math.round(r.modelMs)}, render ${Math.round(r.renderMs)}, store ${Math.round(r.storeMs)}), ${Math.round(r.bytes / 1024)} KiB, peak RSS ${Math.round(r.maxRssMiB)} MiB`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (key) => results.map((r) => r[key]).sort((a, b) => a - b)[Math.floor(results.length / 2)];
  return {
    totalMs: median('totalMs'),
    queryMs: median('queryMs'),
    modelMs: median('modelMs'),
    renderMs: median('renderMs'),
    storeMs: median('storeMs'),
    maxRssMiB: median('maxRssMiB'),
    bytes: median('bytes'),
  };
}
