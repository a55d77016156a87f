/** redis-cli, psql, pg_dump, pg_isready and pg_restore (pure): the cache, database and backup jobs. */
import { connectionUrl, literal, overridable, slug, type Connection } from '../targets.js';
import type { Proposal, Recognition, ShellCommand } from '../types.js';
import { flag, option, positionals } from './args.js';
import type { Seen } from './scripts.js';

const REDIS_VALUED = ['-h', '-p', '-a', '-n', '-u', '--user', '--pass', '--pattern', '-i', '-r', '--count'];
const PG_VALUED = [
  '-h',
  '--host',
  '-p',
  '--port',
  '-U',
  '--username',
  '-d',
  '--dbname',
  '-c',
  '--command',
  '-f',
  '--file',
  '-F',
  '--format',
  '-t',
  '--table',
  '-j',
  '--jobs',
  '-Z',
  '--compress',
  '-n',
  '--schema',
  '-o',
];

/** Recognises a Redis or PostgreSQL client command; undefined for anything else. */
export function recogniseData(command: ShellCommand, seen: Seen): Recognition | undefined {
  switch (command.argv[0]) {
    case 'redis-cli':
      return redis(command, seen);
    case 'psql':
      return psql(command);
    case 'pg_dump':
      return database(command, 'db-backup', 'db-backup');
    case 'pg_isready': {
      const conn = pgConnection(command, positionals(command.argv.slice(1), PG_VALUED)[0]);
      const store = conn && { databases: [{ name: conn.name, url: conn.url }] };
      return (conn && dependency(seen, conn, store!)) ?? database(command, 'db-health', 'db-health');
    }
    case 'nc':
    case 'ncat':
      return portCheck(command, seen);
    case 'pg_dumpall':
      return { unmapped: 'pg_dumpall dumps the whole cluster with its roles; db-backup dumps one database' };
    case 'pg_restore':
      return { unmapped: 'restoring is done by hand with `opscron restore <backup> --to <url> --confirm`, audited' };
    default:
      return undefined;
  }
}

function redisConnection(args: string[]): Connection | undefined {
  const given = option(args, ['-u']);
  if (given) return connectionUrl(given, 'redis', 'redis_url');
  const host = option(args, ['-h']) ?? '127.0.0.1';
  const port = option(args, ['-p']) ?? '6379';
  const db = option(args, ['-n']);
  if (!/^[A-Za-z0-9.-]{1,200}$/.test(host) || !/^\d{1,5}$/.test(port) || (db && !/^\d{1,2}$/.test(db)))
    return undefined;
  const conn = connectionUrl(`redis://${host}:${port}${db ? `/${db}` : ''}`, 'redis', 'redis_url');
  if (conn && (option(args, ['-a', '--pass']) !== undefined || args.includes('--askpass')))
    conn.secrets.push({ variable: conn.variable, why: `a Redis password was given: set ${conn.variable} with it` });
  return conn;
}

/**
 * "Is it up?" (`pg_isready`, `redis-cli ping`, `nc -z`) after the runbook named a service: a
 * dependency of that service, probed by its health check (select 1, PING, a connect).
 */
function dependency(seen: Seen, conn: Connection, store: Partial<Proposal>): Recognition | undefined {
  if (!seen.service) return undefined;
  return {
    proposals: [
      {
        id: `${seen.service}-health`,
        type: 'health-check',
        params: { service: seen.service },
        services: [{ name: seen.service, origin: '', dependencies: [overridable(conn.variable, conn.url)] }],
        ...store,
        secrets: conn.secrets,
        note: `${seen.service}'s dependencies (services[].dependencies) are probed with it`,
      },
    ],
  };
}

function portCheck(command: ShellCommand, seen: Seen): Recognition {
  const args = command.argv.slice(1);
  const [host, port] = positionals(args, ['-w', '-i', '-p', '-s']);
  if (!flag(args, ['-z']) || !host || !port || !/^[A-Za-z0-9.-]{1,200}$/.test(host) || !/^\d{1,5}$/.test(port))
    return { unmapped: `${command.argv[0]} other than a port check (-z host port): nothing to automate` };
  const url = `tcp://${host}:${port}`;
  const conn = { name: slug(host), url, variable: `${slug(host).toUpperCase().replace(/-/g, '_')}_ADDR`, secrets: [] };
  return dependency(seen, conn, {}) ?? { unmapped: 'a port check before the runbook names the service it belongs to' };
}

function redis(command: ShellCommand, seen: Seen): Recognition {
  const args = command.argv.slice(1);
  const conn = redisConnection(args);
  if (!conn) return { unmapped: 'the Redis address is not literal (a variable or an odd host)' };
  const words = positionals(args, REDIS_VALUED).map((w) => w.toLowerCase());
  const cache = conn.name;
  const caches = [{ name: cache, url: conn.url }];
  const job = (suffix: string, type: string, params: Record<string, unknown>, extra: Partial<Proposal> = {}) => ({
    proposals: [
      { id: `${cache}-${suffix}`, type, params: { cache, ...params }, caches, secrets: conn.secrets, ...extra },
    ],
  });
  if (flag(args, ['--scan'])) {
    const pattern = option(args, ['--pattern']) ?? '*';
    const deletes = command.pipedTo.some(
      (argv) => argv.includes('del') || argv.includes('unlink') || argv.includes('DEL') || argv.includes('UNLINK'),
    );
    if (pattern === '*') return { unmapped: 'a SCAN of every key: say which pattern to clear' };
    const params = { pattern: literal(pattern), dryRun: !deletes };
    return job(`clear-${slug(pattern)}`, 'cache-clear', params, deletes ? { destructive: true } : {});
  }
  if (flag(args, ['--bigkeys', '--memkeys', '--hotkeys'])) return job('optimize', 'cache-optimize', {});
  const verb = words[0] ?? 'ping';
  if (verb === 'ping') {
    const asDependency = dependency(seen, conn, { caches });
    if (asDependency) return asDependency;
  }
  if (
    ['info', 'ping', 'dbsize', 'slowlog', 'latency', 'memory', 'client', '--stat'].includes(verb) ||
    flag(args, ['--stat', '--latency'])
  )
    return job('health', 'cache-health', {});
  if (verb === 'config' && words[1] === 'get') return job('optimize', 'cache-optimize', {});
  if (verb === 'flushdb' || verb === 'flushall')
    return job(
      'flush',
      'cache-clear',
      { all: true, dryRun: false },
      { destructive: true, note: 'empties the whole database' },
    );
  return { unmapped: `redis-cli ${verb}: no cache job runs that command` };
}

/** The database a libpq command names: a URL argument, or -h/-p/-U/-d (or its first positional). */
function pgConnection(command: ShellCommand, positional: string | undefined): Connection | undefined {
  const args = command.argv.slice(1);
  const url = args.find((a) => /^postgres(ql)?:\/\//.test(a)) ?? option(args, ['-d', '--dbname']);
  if (url && url.includes('://')) return withEnvPassword(connectionUrl(url, 'postgres', 'database_url'), command);
  const db = option(args, ['-d', '--dbname']) ?? positional ?? command.env.PGDATABASE;
  const host = option(args, ['-h', '--host']) ?? command.env.PGHOST ?? '127.0.0.1';
  const port = option(args, ['-p', '--port']) ?? command.env.PGPORT ?? '5432';
  const user = option(args, ['-U', '--username']) ?? command.env.PGUSER;
  if (!db || !/^[A-Za-z0-9_-]{1,63}$/.test(db) || !/^[A-Za-z0-9.-]{1,200}$/.test(host) || !/^\d{1,5}$/.test(port))
    return undefined;
  if (user !== undefined && !/^[A-Za-z0-9_-]{1,63}$/.test(user)) return undefined;
  const conn = connectionUrl(`postgres://${user ? `${user}@` : ''}${host}:${port}/${db}`, 'postgres', 'database_url');
  return withEnvPassword(conn, command);
}

function withEnvPassword(conn: Connection | undefined, command: ShellCommand): Connection | undefined {
  if (conn && command.env.PGPASSWORD !== undefined && !conn.secrets.length)
    conn.secrets.push({ variable: conn.variable, why: `PGPASSWORD was given: set ${conn.variable} with the password` });
  return conn;
}

function database(command: ShellCommand, type: string, suffix: string): Recognition {
  const words = positionals(command.argv.slice(1), PG_VALUED);
  const conn = pgConnection(command, words[0]);
  if (!conn) return { unmapped: 'no literal database named (-d, a URL or PGDATABASE)' };
  return {
    proposals: [
      {
        id: `${conn.name}-${suffix}`,
        type,
        params: { database: conn.name },
        databases: [{ name: conn.name, url: conn.url }],
        secrets: conn.secrets,
      },
    ],
  };
}

/** What a psql -c statement does, by the catalogues it reads. */
function psql(command: ShellCommand): Recognition {
  const args = command.argv.slice(1);
  const sql = option(args, ['-c', '--command']);
  if (sql === undefined) return { unmapped: 'an interactive psql session (no -c statement to judge)' };
  const words = positionals(args, PG_VALUED);
  const text = sql.toLowerCase();
  if (/^\s*(vacuum|reindex|analy[sz]e|cluster)\b/.test(text))
    return {
      unmapped: 'a maintenance statement that writes to the database; no job runs it (db-health reports what needs it)',
    };
  if (/pg_stat_statements/.test(text)) return database(command, 'query-analysis', 'queries');
  if (
    /pg_terminate_backend|pg_cancel_backend/.test(text) ||
    (/pg_stat_activity/.test(text) && /idle in transaction/.test(text))
  ) {
    const terminates = /pg_terminate_backend/.test(text);
    const conn = pgConnection(command, words[0]);
    if (!conn) return { unmapped: 'no literal database named (-d, a URL or PGDATABASE)' };
    return {
      proposals: [
        {
          id: `${conn.name}-clear-stuck`,
          type: 'clear-stuck',
          params: terminates ? { database: conn.name, terminate: true } : { database: conn.name },
          destructive: terminates,
          databases: [{ name: conn.name, url: conn.url }],
          secrets: conn.secrets,
          note: 'sessions idle in transaction (and stalled queue jobs)',
        },
      ],
    };
  }
  if (/pg_stat_|pg_locks|pg_database_size|pg_replication|pg_settings|^\s*select 1\b/.test(text))
    return database(command, 'db-health', 'db-health');
  return {
    unmapped: 'an SQL statement no job runs (db-health, query-analysis and clear-stuck read the pg_stat views)',
  };
}
