/**
 * db-backup against raw `pg_dump -Fc` to a file, same database, same machine, same run.
 * The data is poorly compressible on purpose (random base64 and hex text beside ordinary
 * columns, not pgbench's padding). Throughput is database size / time; each opscron round
 * runs in a fresh child process so its peak RSS is its own, for a 100 MB and a 1 GB database.
 *
 *   node bench/backup.js child <databaseUrl> <dir> <level>   one opscron backup (child)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

if (process.argv[2] === 'child') {
  const [, , , url, dir, level] = process.argv;
  const { FileStorage } = await import('../dist/integrations/storage.js');
  const { backupDatabase } = await import('../dist/backup/backup.js');
  const started = performance.now();
  const m = await backupDatabase({
    database: { name: 'bench', url },
    storage: new FileStorage(dir),
    compressionLevel: Number(level),
  });
  console.log(
    JSON.stringify({
      ms: performance.now() - started,
      bytes: m.bytes,
      databaseBytes: m.databaseBytes,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

/** Fills `table` until the database is about `mb` MB. */
export async function seedRandomText(url, mb) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('create extension if not exists pgcrypto');
    await client.query(
      'create table if not exists items (id bigserial primary key, customer text, amount numeric(12,2), created timestamptz, body text, tag text)',
    );
    for (;;) {
      const { rows } = await client.query('select pg_database_size(current_database()) as b');
      if (Number(rows[0].b) >= mb * 1e6) return Number(rows[0].b);
      await client.query(`insert into items (customer, amount, created, body, tag)
        select 'customer-' || (random() * 100000)::int, (random() * 10000)::numeric(12,2), now() - random() * interval '365 days',
               encode(gen_random_bytes(600), 'base64'), md5(random()::text) || md5(random()::text)
          from generate_series(1, 50000)`);
    }
  } finally {
    await client.end();
  }
}

export async function backupBench({ adminUrl, databaseUrlFor, sizes = [100, 1000], rounds = 3, level = 3 }) {
  const results = {};
  for (const mb of sizes) {
    const name = `bench_backup_${mb}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`drop database if exists ${name}`);
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = databaseUrlFor(name);
    const seeded = performance.now();
    const size = await seedRandomText(url, mb);
    console.log(
      `  ${name}: ${(size / 1e6).toFixed(0)} MB seeded in ${Math.round((performance.now() - seeded) / 1000)} s`,
    );
    const u = new URL(url);
    const rows = [];
    for (let i = 0; i < rounds; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'opscron-bench-backup-'));
      try {
        const raw = () => {
          const t = performance.now();
          execFileSync(
            'pg_dump',
            [
              '-Fc',
              '-h',
              u.hostname,
              '-p',
              u.port,
              '-U',
              decodeURIComponent(u.username) || 'postgres',
              '-d',
              name,
              '-f',
              join(dir, 'raw.dump'),
            ],
            { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } },
          );
          return { ms: performance.now() - t, bytes: statSync(join(dir, 'raw.dump')).size };
        };
        const ours = () =>
          JSON.parse(
            execFileSync(
              process.execPath,
              [new URL(import.meta.url).pathname, 'child', url, join(dir, 'ours'), String(level)],
              { encoding: 'utf8' },
            )
              .trim()
              .split('\n')
              .pop(),
          );
        const r = i % 2 ? { ours: ours(), raw: raw() } : { raw: raw(), ours: ours() };
        r.ratio = r.raw.ms / r.ours.ms;
        rows.push(r);
        console.log(
          `  ${mb} MB round ${i + 1}: raw pg_dump -Fc ${(size / 1e6 / (r.raw.ms / 1000)).toFixed(1)} MB/s (${(r.raw.bytes / 1e6).toFixed(0)} MB file) | opscron ${(size / 1e6 / (r.ours.ms / 1000)).toFixed(1)} MB/s (${(r.ours.bytes / 1e6).toFixed(0)} MB, peak RSS ${Math.round(r.ours.maxRssMiB)} MiB) | ratio ${r.ratio.toFixed(2)}`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const median = (f) => rows.map(f).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
    results[mb] = {
      size,
      ratio: median((r) => r.ratio),
      rawMBs: median((r) => size / 1e6 / (r.raw.ms / 1000)),
      oursMBs: median((r) => size / 1e6 / (r.ours.ms / 1000)),
      rssMiB: median((r) => r.ours.maxRssMiB),
    };
  }
  return results;
}
