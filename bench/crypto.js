/**
 * Backup encryption, streamed: the segmented format (OPSCENC2, 64 KiB AES-256-GCM segments)
 * against the single-stream AES-256-GCM it replaced (OPSCENC1), same data, same run,
 * alternating rounds. Each round is a fresh child process that encrypts SIZE bytes from a
 * generator to a file (on /dev/shm when there is one) and decrypts the file to nowhere, so
 * its peak RSS is its own.
 *
 *   npm run bench:crypto [-- --size=1024 --rounds=5]   (MiB; builds first)
 *   node bench/crypto.js child <new|old> <MiB> <dir>   one round (child)
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, randomBytes, scryptSync } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The 0.1 encryptor (test/support/legacy-encryptor.ts), in JavaScript for the bench. */
function legacyEncryptor(passphrase) {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = scryptSync(passphrase, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  let started = false;
  const head = () => (started ? [] : ((started = true), [Buffer.concat([Buffer.from('OPSCENC1'), salt, iv])]));
  return new Transform({
    transform(chunk, _e, done) {
      for (const h of head()) this.push(h);
      done(null, cipher.update(chunk));
    },
    flush(done) {
      for (const h of head()) this.push(h);
      this.push(cipher.final());
      done(null, cipher.getAuthTag());
    },
  });
}

async function child(mode, mib, dir) {
  const { encryptor, decryptedStream } = await import('../dist/backup/crypto.js');
  const passphrase = 'bench passphrase';
  const block = randomBytes(256 * 1024); // gzip's chunk size in db-backup
  const blocks = (mib * 2 ** 20) / block.length;
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < blocks; i++) yield block;
    })(),
  );
  const path = join(dir, `${mode}.enc`);
  const rssStart = process.memoryUsage().rss;
  let t = performance.now();
  await pipeline(source, mode === 'new' ? encryptor(passphrase) : legacyEncryptor(passphrase), createWriteStream(path));
  const encryptMs = performance.now() - t;
  t = performance.now();
  let plain = 0;
  const sink = new Writable({ write: (c, _e, done) => ((plain += c.length), done()) });
  await pipeline(await decryptedStream(createReadStream(path, { highWaterMark: 2 ** 20 }), path, passphrase), sink);
  const decryptMs = performance.now() - t;
  if (plain !== mib * 2 ** 20) throw new Error(`decrypted ${plain} bytes, expected ${mib * 2 ** 20}`);
  const bytes = statSync(path).size;
  rmSync(path);
  const maxRss = process.resourceUsage().maxRSS * 1024;
  console.log(
    JSON.stringify({ encryptMs, decryptMs, bytes, rssStartMiB: rssStart / 2 ** 20, maxRssMiB: maxRss / 2 ** 20 }),
  );
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const arg = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt);
  const mib = arg('size', 1024);
  const rounds = arg('rounds', 5);
  // tmpfs when there is one: the disk of a shared machine moves a round by 3× (bench/README.md).
  const dir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'opscron-crypto-bench-'));
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${mib} MiB per round, ${rounds} rounds`,
  );
  const runs = { new: [], old: [] };
  try {
    for (let r = 0; r < rounds; r++)
      for (const mode of r % 2 ? ['new', 'old'] : ['old', 'new']) {
        const out = execFileSync(process.execPath, [process.argv[1], 'child', mode, String(mib), dir]).toString();
        const m = JSON.parse(out);
        runs[mode].push(m);
        console.log(
          `round ${r + 1} ${mode}: encrypt ${(mib / (m.encryptMs / 1000)).toFixed(0)} MiB/s, decrypt ${(mib / (m.decryptMs / 1000)).toFixed(0)} MiB/s, peak RSS ${m.maxRssMiB.toFixed(0)} MiB (at start ${m.rssStartMiB.toFixed(0)})`,
        );
      }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const mode of ['old', 'new']) {
    const rs = runs[mode];
    console.log(
      `median ${mode === 'new' ? 'segmented (OPSCENC2)' : 'single-stream (OPSCENC1)'}: encrypt ${(mib / (median(rs.map((m) => m.encryptMs)) / 1000)).toFixed(0)} MiB/s, decrypt ${(mib / (median(rs.map((m) => m.decryptMs)) / 1000)).toFixed(0)} MiB/s, peak RSS ${median(rs.map((m) => m.maxRssMiB)).toFixed(0)} MiB, size overhead ${(rs[0].bytes - mib * 2 ** 20).toLocaleString('en')} bytes`,
    );
  }
  const ratio = (k) => median(runs.old.map((m) => m[k])) / median(runs.new.map((m) => m[k]));
  console.log(
    `segmented / single-stream throughput: encrypt ${ratio('encryptMs').toFixed(2)}×, decrypt ${ratio('decryptMs').toFixed(2)}×`,
  );
}

if (process.argv[2] === 'child') await child(process.argv[3], Number(process.argv[4]), process.argv[5]);
else await main();
