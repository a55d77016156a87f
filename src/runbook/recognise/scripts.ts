/**
 * Scripts opscron cannot see inside (`./scripts/clear-cache.sh --service checkout`), mapped
 * by what their name and arguments say (pure) — or listed as unmapped when they say too little.
 */
import { literal, slug } from '../targets.js';
import type { Proposal, Recognition, ShellCommand } from '../types.js';
import { count, durationText, option, positionals, share } from './args.js';

/** What the runbook has named so far, for scripts that do not say which service, database or cache. */
export interface Seen {
  service?: string;
  database?: string;
  cache?: string;
}

const SCRIPT = /^(\.{0,2}\/)?([\w.-]+\/)*[\w.-]+\.(sh|bash|py|rb|pl)$|^(\.{0,2}\/)?(scripts?|bin|tools|ops)\/[\w./-]+$/;
const VALUED = [
  '--service',
  '-s',
  '--database',
  '--db',
  '--cache',
  '--threshold',
  '--window',
  '--top',
  '--idle',
  '--p95',
  '--p99',
  '--period',
  '--pattern',
  '--namespace',
  '-n',
];

type Rule = [RegExp, (ctx: ScriptContext) => Recognition];

interface ScriptContext {
  name: string;
  args: string[];
  seen: Seen;
  service?: string;
  database?: string;
  cache?: string;
}

/** Recognises a script by its name; undefined when the command is not a script. */
export function recogniseScript(command: ShellCommand, seen: Seen): Recognition | undefined {
  let argv = command.argv;
  if (/^(bash|sh|zsh|python3?|ruby|perl)$/.test(argv[0] ?? '') && argv[1]) argv = argv.slice(1);
  const path = argv[0] ?? '';
  if (!SCRIPT.test(path)) return undefined;
  const name = path
    .replace(/^.*\//, '')
    .replace(/\.\w+$/, '')
    .toLowerCase();
  const args = argv.slice(1);
  const first = positionals(args, VALUED)[0];
  const named = (flags: string[]) => {
    const value = option(args, flags) ?? first;
    return value && /^[A-Za-z0-9_-]{1,40}$/.test(value) ? slug(value) : undefined;
  };
  const ctx: ScriptContext = {
    name,
    args,
    seen,
    service: named(['--service', '-s']),
    database: option(args, ['--database', '--db']) ? named(['--database', '--db']) : undefined,
    cache: option(args, ['--cache']) ? named(['--cache']) : undefined,
  };
  for (const [pattern, map] of RULES) if (pattern.test(name)) return map(ctx);
  return { unmapped: `a script whose name (${name}) does not say what it does: read it and map it by hand` };
}

const job = (proposal: Proposal): Recognition => ({ proposals: [proposal] });

function needs(
  what: 'service' | 'database' | 'cache',
  ctx: ScriptContext,
  make: (name: string) => Proposal,
): Recognition {
  const name = ctx[what] ?? ctx.seen[what];
  return name
    ? job(make(name))
    : { unmapped: `the script does not say which ${what}, and the runbook named none before it` };
}

const RULES: Rule[] = [
  [
    /error[-_]?rate|errors?[-_]?check|check[-_]errors/,
    (ctx) =>
      needs('service', ctx, (service) => {
        const params: Record<string, unknown> = { service };
        const threshold = share(option(ctx.args, ['--threshold']));
        if (threshold !== undefined) params.threshold = threshold;
        const window = durationText(option(ctx.args, ['--window']));
        if (window) params.window = window;
        return { id: `${service}-error-rate`, type: 'error-rate', params };
      }),
  ],
  [
    /latency|response[-_]?time/,
    (ctx) =>
      needs('service', ctx, (service) => {
        const warn: Record<string, string> = {};
        for (const q of ['p95', 'p99']) {
          const v = durationText(option(ctx.args, [`--${q}`]));
          if (v) warn[q] = v;
        }
        const threshold = durationText(option(ctx.args, ['--threshold']));
        if (threshold && !warn.p95) warn.p95 = threshold;
        return {
          id: `${service}-latency`,
          type: 'latency-check',
          params: Object.keys(warn).length ? { service, warn } : { service },
        };
      }),
  ],
  [
    /dep(endenc(y|ies)|s)\b|check[-_]deps/,
    (ctx) =>
      needs('service', ctx, (service) => ({
        id: `${service}-health`,
        type: 'health-check',
        params: { service, checkDependencies: true },
        note: "probes services[].dependencies: list the service's dependencies there",
      })),
  ],
  [
    /(clear|flush|purge|invalidate)[-_]?cache|cache[-_]?(clear|flush|purge)/,
    (ctx) =>
      needs('cache', ctx, (cache) => {
        const pattern = option(ctx.args, ['--pattern']) ?? (ctx.service ? `${ctx.service}:*` : undefined);
        const params = pattern
          ? { cache, pattern: literal(pattern), dryRun: false }
          : { cache, all: true, dryRun: false };
        return {
          id: `${cache}-clear${ctx.service ? `-${ctx.service}` : ''}`,
          type: 'cache-clear',
          params,
          destructive: true,
          note:
            pattern && !option(ctx.args, ['--pattern'])
              ? `key pattern ${pattern} assumed from --service: check the prefix your service uses`
              : undefined,
        };
      }),
  ],
  [
    /optimi[sz]e[-_]?cache|cache[-_]?optimi[sz]|tune[-_]?cache/,
    (ctx) => needs('cache', ctx, (cache) => ({ id: `${cache}-optimize`, type: 'cache-optimize', params: { cache } })),
  ],
  [
    /cache[-_]?(health|stats|check)|check[-_]?cache/,
    (ctx) => needs('cache', ctx, (cache) => ({ id: `${cache}-health`, type: 'cache-health', params: { cache } })),
  ],
  [
    /verify[-_]?backup|backup[-_]?verify|restore[-_]?test|test[-_]?restore/,
    (ctx) =>
      needs('database', ctx, (database) => ({
        id: `${database}-backup-verify`,
        type: 'backup-verify',
        params: { database },
      })),
  ],
  [
    /(backup|dump)[-_]?(db|database|postgres|pg)|(db|database|postgres|pg)[-_]?(backup|dump)/,
    (ctx) =>
      needs('database', ctx, (database) => ({ id: `${database}-db-backup`, type: 'db-backup', params: { database } })),
  ],
  [
    /(backup|dump)[-_]?(config|configmaps?|k8s)|config[-_]?backup/,
    () => job({ id: 'config-backup-cluster', type: 'config-backup', params: {} }),
  ],
  [
    /quer(y|ies)|slow[-_]?log/,
    (ctx) =>
      needs('database', ctx, (database) => {
        const top = count(option(ctx.args, ['--top']), 100);
        return { id: `${database}-queries`, type: 'query-analysis', params: top ? { database, top } : { database } };
      }),
  ],
  [
    /(db|database|postgres|pg)[-_]?(health|check)|check[-_]?(db|database)/,
    (ctx) =>
      needs('database', ctx, (database) => ({ id: `${database}-db-health`, type: 'db-health', params: { database } })),
  ],
  [/stuck|stalled|hung/, (ctx) => stuck(ctx)],
  [
    /breaker/,
    (ctx) =>
      needs('service', ctx, (service) => ({
        id: `${service}-reset-breakers`,
        type: 'reset-breakers',
        params: { services: [service] },
        note: `set services[${service}].breakerResetPath: the script does not say which path it POSTs`,
      })),
  ],
  [
    /roll[-_]?back|undo[-_]?deploy/,
    (ctx) =>
      needs('service', ctx, (service) => ({
        id: `${service}-rollout-undo`,
        type: 'rollout',
        params: { service, action: 'undo' },
        destructive: true,
        note: `needs services[${service}].namespace and deployment`,
      })),
  ],
  [
    /(health|performance|compliance|incident)[-_]?report|report[-_]?(health|performance|compliance)/,
    (ctx) => report(ctx),
  ],
  [/audit|rbac|compliance[-_]?check/, () => job({ id: 'audit-review', type: 'audit-review', params: {} })],
  [
    /health|smoke/,
    (ctx) =>
      needs('service', ctx, (service) => ({ id: `${service}-health`, type: 'health-check', params: { service } })),
  ],
];

function stuck(ctx: ScriptContext): Recognition {
  const database = ctx.database ?? ctx.seen.database;
  const params: Record<string, unknown> = database ? { database, terminate: true } : { action: 'fail' };
  const idle = durationText(option(ctx.args, ['--idle']));
  if (idle && database) params.idleInTransaction = idle;
  return job({
    id: `${database ?? 'queue'}-terminate-stuck`,
    type: 'clear-stuck',
    params,
    destructive: true,
    note: database
      ? 'terminates sessions idle in transaction (pg_terminate_backend) and reports stalled queue jobs'
      : "fails queue jobs stuck in opscron's own queue: list your queues in params.queues",
  });
}

function report(ctx: ScriptContext): Recognition {
  const kind = /health|performance|compliance|incident/.exec(ctx.name)?.[0] ?? 'health';
  if (kind === 'incident') return { unmapped: 'the incident report is built by itself when an incident resolves' };
  const period = durationText(option(ctx.args, ['--period']));
  return job({ id: `${kind}-report`, type: `${kind}-report`, params: period ? { period } : {} });
}
