/** A real Prometheus (Debian's package) scraping the given targets every second, in a temp dir. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './cli.js';
import { freePort } from './services.mjs';

export interface PrometheusServer {
  url: string;
  stop(): Promise<void>;
}

export async function startPrometheus(
  jobName: string,
  targets: string[],
  options: { honorLabels?: boolean } = {},
): Promise<PrometheusServer> {
  const dir = tempDir('opscron-prom-');
  const port = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s }',
      'scrape_configs:',
      `  - job_name: ${jobName}`,
      ...(options.honorLabels ? ['    honor_labels: true'] : []),
      `    static_configs: [{ targets: [${targets.map((t) => `'${t}'`).join(', ')}] }]`,
    ].join('\n'),
  );
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
