/**
 * `npm run bench:s3 [-- --rounds=3 --sizes=100,1000]`: db-backup to an S3-compatible bucket
 * against raw `pg_dump -Fc` to a file, same database, same machine, same run. The bucket is
 * s3rver (the tests' S3 server) in a process of its own, keeping objects in a temp
 * directory on the same disk as the raw dump. Each opscron backup runs in a fresh child
 * process, so its peak RSS is its own, for a 100 MB and a 1 GB database (seeded as in
 * bench/backup.js: poorly compressible rows). Rounds alternate which side goes first.
 *
 *   node bench/s3.js s3-server                        the S3 server (child)
 *   node bench/s3.js s3-backup <url> <endpoint> <bucket> <prefix> <level>   one opscron backup (child)
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { median } from './stats.js';

const mode = process.argv[2];

if (mode === 's3-server') {
  const { startS3 } = await import('../test/support/s3.mjs');
  const s3 = await startS3('opscron-bench');
  console.log(JSON.stringify({ endpoint: s3.endpoint, bucket: s3.bucket, directory: s3.directory, env: s3.env }));
  process.once('SIGTERM', () => void s3.stop().then(() => process.exit(0)));
} else if (mode === 's3-backup') {
  const [, , , url, endpoint, bucket, prefix, level] = process.argv;
  const { parseConfig } = await import('../dist/configure.js');
  const { openStorage } = await import('../dist/integrations/storage-open.js');
  const { backupDatabase } = await import('../dist/backup/backup.js');
  const config = parseConfig({ storage: { kind: 's3', bucket, prefix, endpoint, forcePathStyle: true } });
  const started = performance.now();
  const m = await backupDatabase({
    database: { name: 'bench', url },
    storage: openStorage(config, 'backups'),
    compressionLevel: Number(level),
  });
  console.log(
    JSON.stringify({
      ms: performance.now() - started,
      bytes: m.bytes,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
} else {
  await main();
}

function flag(name, fallback) {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

async function startServer() {
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, 's3-server'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await createInterface({ input: child.stdout })
    [Symbol.asyncIterator]()
    .next()
    .then((r) => [r.value]);
  return { ...JSON.parse(line), stop: () => child.kill('SIGTERM') };
}

function rawDump(url, name, file) {
  const u = new URL(url);
  const t = performance.now();
  execFileSync('pg_dump', ['-Fc', '-h', u.hostname, '-p', u.port, '-U', 'postgres', '-d', name, '-f', file]);
  return { ms: performance.now() - t, bytes: statSync(file).size };
}

function oursToS3(s3, url, prefix, level) {
  const out = execFileSync(
    process.execPath,
    [new URL(import.meta.url).pathname, 's3-backup', url, s3.endpoint, s3.bucket, prefix, String(level)],
    { encoding: 'utf8', env: { ...process.env, ...s3.env } },
  );
  return JSON.parse(out.trim().split('\n').pop());
}

async function main() {
  const { startPostgres } = await import('./services.js');
  const { seedRandomText } = await import('./backup.js');
  const rounds = Number(flag('rounds', '3'));
  const sizes = flag('sizes', '100,1000').split(',').map(Number);
  const level = 3;
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${execFileSync('pg_dump', ['--version']).toString().trim()}`,
  );
  const cluster = await startPostgres();
  const s3 = await startServer();
  const results = {};
  try {
    for (const mb of sizes) {
      const name = `bench_s3_${mb}`;
      const admin = new pg.Client({ connectionString: cluster.url('postgres') });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      const url = cluster.url(name);
      const seeded = performance.now();
      const size = await seedRandomText(url, mb);
      console.log(
        `${name}: ${(size / 1e6).toFixed(0)} MB seeded in ${Math.round((performance.now() - seeded) / 1000)} s`,
      );
      const rows = [];
      for (let i = 0; i < rounds; i++) {
        const dir = mkdtempSync(join(os.tmpdir(), 'opscron-bench-s3-'));
        const prefix = `round-${mb}-${i}/`;
        try {
          const raw = () => rawDump(url, name, join(dir, 'raw.dump'));
          const ours = () => oursToS3(s3, url, prefix, level);
          const r = i % 2 ? { ours: ours(), raw: raw() } : { raw: raw(), ours: ours() };
          r.ratio = r.raw.ms / r.ours.ms;
          rows.push(r);
          console.log(
            `${mb} MB round ${i + 1}: raw pg_dump -Fc ${(size / 1e6 / (r.raw.ms / 1000)).toFixed(1)} MB/s (${(r.raw.bytes / 1e6).toFixed(0)} MB file) | opscron to S3 ${(size / 1e6 / (r.ours.ms / 1000)).toFixed(1)} MB/s (${(r.ours.bytes / 1e6).toFixed(0)} MB object, peak RSS ${Math.round(r.ours.maxRssMiB)} MiB) | ratio ${r.ratio.toFixed(2)}`,
          );
        } finally {
          rmSync(dir, { recursive: true, force: true });
          rmSync(join(s3.directory, s3.bucket, prefix.slice(0, -1)), { recursive: true, force: true });
        }
      }
      results[mb] = {
        ratio: median(rows.map((r) => r.ratio)),
        rawMBs: median(rows.map((r) => size / 1e6 / (r.raw.ms / 1000))),
        oursMBs: median(rows.map((r) => size / 1e6 / (r.ours.ms / 1000))),
        rssMiB: median(rows.map((r) => r.ours.maxRssMiB)),
      };
    }
  } finally {
    s3.stop();
    cluster.stop();
  }
  const [small, big] = sizes.map((mb) => results[mb]);
  console.log(
    `median (${sizes.at(-1)} MB): raw ${big.rawMBs.toFixed(1)} MB/s, opscron to S3 ${big.oursMBs.toFixed(1)} MB/s, ratio ${big.ratio.toFixed(2)} (target ≥ 0.9: ${big.ratio >= 0.9 ? 'MET' : 'NOT MET'}); peak RSS ${Math.round(small.rssMiB)} MiB at ${sizes[0]} MB, ${Math.round(big.rssMiB)} MiB at ${sizes.at(-1)} MB`,
  );
}
