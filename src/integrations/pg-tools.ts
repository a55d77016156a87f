/**
 * pg_dump and pg_restore, spawned with an argument array (never a shell string). The
 * password goes through the environment (PGPASSWORD), not the command line, so `ps` never
 * shows it; what the tools print on failure is redacted before it is reported.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { OpscronError } from '../errors.js';
import { redact } from '../observability/redact.js';
import { pgSslEnvironment } from '../config/pg-ssl.js';

export interface PgConnection {
  /** -h -p -U (and -d for the database). */
  args: string[];
  env: Record<string, string>;
  database: string;
}

export function pgConnection(url: string, database?: string): PgConnection {
  const u = new URL(url);
  // As node-postgres does: a URL without a database names the user's database.
  const user = u.username ? decodeURIComponent(u.username) : '';
  const db = database ?? (decodeURIComponent(u.pathname.replace(/^\//, '')) || user || 'postgres');
  const host = u.searchParams.get('host') ?? (u.hostname ? decodeURIComponent(u.hostname) : 'localhost');
  const args = ['-h', host, '-p', u.port || '5432', ...(user ? ['-U', user] : []), '-d', db];
  // TLS from the URL as the tools read it (PGSSLMODE, PGSSLROOTCERT, ...); without it, their own environment's.
  const env: Record<string, string> = pgSslEnvironment(url);
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  return { args, env, database: db };
}

/** The URL with another database name (scratch databases, the maintenance database). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export interface Tool {
  child: ChildProcessWithoutNullStreams;
  /** Resolves when the tool exits 0; rejects with its (redacted) stderr otherwise. */
  done: Promise<void>;
}

export function runTool(
  bin: 'pg_dump' | 'pg_restore',
  args: string[],
  env: Record<string, string>,
  signal?: AbortSignal,
): Tool {
  const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'], signal });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < 8192) stderr += chunk;
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (error) =>
      reject(
        new OpscronError(
          'OPSCRON_PG_TOOL',
          `${bin} could not run: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? `${bin} is not installed (Debian: postgresql-client)` : error.message}`,
        ),
      ),
    );
    child.once('close', (code, sig) => {
      if (code === 0) resolve();
      else
        reject(
          new OpscronError(
            'OPSCRON_PG_TOOL',
            `${bin} failed (${sig ? `signal ${sig}` : `exit ${code}`}): ${redact(stderr.trim().split('\n').slice(-5).join(' | ')) || 'no message'}`,
          ),
        );
    });
  });
  done.catch(() => {});
  return { child, done };
}
