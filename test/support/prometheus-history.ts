/**
 * A real Prometheus (Debian's package) holding recorded series: days of samples written as
 * OpenMetrics, turned into TSDB blocks by `promtool tsdb create-blocks-from openmetrics`
 * (Prometheus' own backfill), then served. Queries at "now" see them as if scraped.
 */
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './cli.js';
import type { PrometheusServer } from './prometheus.js';
import { freePort } from './services.mjs';
import { eventually } from './target.js';

/** A counter's samples: its labels, and the increase per second at each moment (ms since epoch). */
export interface RecordedCounter {
  name: string;
  labels: Record<string, string>;
  perSecond: (at: number) => number;
}

/** OpenMetrics text of `counters` sampled every `stepS` seconds from `fromMs` to `toMs`. */
export function openMetrics(counters: RecordedCounter[], fromMs: number, toMs: number, stepS = 30): string {
  const families = [...new Set(counters.map((c) => c.name.replace(/_total$/, '')))];
  const lines = families.map((f) => `# TYPE ${f} counter`);
  for (const c of counters) {
    const labels = Object.entries(c.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    let value = 0;
    for (let at = fromMs; at <= toMs; at += stepS * 1000) {
      value += c.perSecond(at) * stepS;
      lines.push(`${c.name}{${labels}} ${value} ${Math.floor(at / 1000)}`);
    }
  }
  // Samples of one family must be together: sort by family, keeping each series in time order.
  lines.sort((a, b) => (a.startsWith('#') ? -1 : b.startsWith('#') ? 1 : 0));
  return `${lines.join('\n')}\n# EOF\n`;
}

export async function startPrometheusWithHistory(history: string): Promise<PrometheusServer> {
  const dir = tempDir('opscron-prom-history-');
  const port = await freePort();
  writeFileSync(join(dir, 'history.om'), history);
  writeFileSync(join(dir, 'prometheus.yml'), 'global: { scrape_interval: 1m }\nscrape_configs: []\n');
  await promisify(execFile)('promtool', [
    'tsdb',
    'create-blocks-from',
    'openmetrics',
    '--max-block-duration=96h',
    join(dir, 'history.om'),
    join(dir, 'data'),
  ]);
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  };
  try {
    await eventually(async () => (await fetch(`${url}/-/ready`)).ok, 'Prometheus to be ready', 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
