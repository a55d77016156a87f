/**
 * Private Redis and PostgreSQL servers for the tests, started from the installed
 * binaries on free ports in temp directories, so no test depends on (or disturbs) a
 * service someone started by hand. PostgreSQL refuses to run as root, so as root the
 * cluster runs as the `postgres` user.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/** @returns {Promise<number>} */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {{port: number}} */ (server.address());
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(check, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function pgBin(name) {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(base, v, 'bin', name))) return join(base, v, 'bin', name);
  }
  return name;
}

/**
 * `args`: more redis-server arguments (`['--replicaof', '127.0.0.1', '6380']`, `['--enable-debug-command', 'yes']`).
 * `options.tls`: serve TLS only (`--port 0 --tls-port`), clients verified against `caFile`
 * and required to present a certificate it signed (`--tls-auth-clients yes`); url is rediss://.
 */
export async function startRedis(port, args = [], options = {}) {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'opscron-redis-'));
  const tls = options.tls;
  const listen = tls
    ? ['--port', '0', '--tls-port', String(p), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile]
    : ['--port', String(p)];
  const tlsArgs = tls ? ['--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', 'yes'] : [];
  const cliTls = tls ? ['--tls', '--cacert', tls.caFile, '--cert', tls.clientCertFile, '--key', tls.clientKeyFile] : [];
  const launch = () =>
    spawn(
      'redis-server',
      [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...tlsArgs, ...args],
      { stdio: 'ignore' },
    );
  const ping = async () => {
    try {
      return (
        execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(p), ...cliTls, 'ping'], {
          stdio: ['ignore', 'pipe', 'ignore'],
        })
          .toString()
          .trim() === 'PONG'
      );
    } catch {
      return false;
    }
  };
  const server = {
    port: p,
    dir,
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${p}`,
    process: launch(),
    async stop() {
      if (server.process.exitCode === null && server.process.signalCode === null) {
        const exited = new Promise((r) => server.process.once('exit', r));
        server.process.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(downForMs = 0) {
      const exited = new Promise((r) => server.process.once('exit', r));
      server.process.kill('SIGKILL');
      await exited;
      await new Promise((r) => setTimeout(r, downForMs));
      server.process = launch();
      await waitFor(ping, `redis on ${p}`);
    },
  };
  await waitFor(ping, `redis on ${p}`);
  return server;
}

/**
 * `options.ssl`: serve TLS with this certificate and key (copied into the data directory, where
 * the server user owns them) and refuse connections over TCP without it (`hostnossl ... reject`).
 */
export async function startPostgres(options = {}) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'opscron-pg-'));
  const asRoot = process.getuid?.() === 0;
  const run = (bin, args) =>
    asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', pgBin(bin), ...args], { stdio: 'pipe' })
      : execFileSync(pgBin(bin), args, { stdio: 'pipe' });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  run('initdb', ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const ssl = options.ssl ? serveSsl(dir, options.ssl, asRoot) : '';
  const start = () =>
    run('pg_ctl', [
      '-D',
      dir,
      '-l',
      join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c shared_preload_libraries=pg_stat_statements${ssl}`,
      'start',
    ]);
  start();
  const cluster = {
    port,
    dir,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    /** Stops the server as a crash would (immediate mode); `start()` brings it back on the same port and data. */
    crash: () => run('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop']),
    start,
    stop: () => {
      try {
        run('pg_ctl', ['-D', dir, '-m', 'immediate', 'stop']);
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return cluster;
}

/** Certificate and key into the data directory, TCP without TLS refused; the server options that turn it on. */
function serveSsl(dir, { certFile, keyFile }, asRoot) {
  copyFileSync(certFile, join(dir, 'server.crt'));
  copyFileSync(keyFile, join(dir, 'server.key'));
  chmodSync(join(dir, 'server.key'), 0o600);
  writeFileSync(
    join(dir, 'pg_hba.conf'),
    'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n',
  );
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    for (const f of ['server.crt', 'server.key', 'pg_hba.conf']) chownSync(join(dir, f), uid, gid);
  }
  return ' -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key';
}

/** A new, empty database in the suite's PostgreSQL, for one test file. */
export async function createDatabase(prefix = 't') {
  const base = process.env.OPSCRON_TEST_PG_URL;
  if (!base)
    throw new Error('OPSCRON_TEST_PG_URL is not set: run the tests through jest (globalSetup starts PostgreSQL)');
  const name =
    `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  return base.replace(/\/[^/]*$/, `/${name}`);
}
