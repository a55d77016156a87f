/**
 * opscron init: a configuration to start from — proposed from a markdown runbook
 * (`--from-runbook`), or a starter from `--service/--database/--cache` (asked for on a
 * terminal when none are given). What it writes is checked as `opscron validate` would.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import YAML from 'yaml';
import { parseConfig } from '../../configure.js';
import { interpolate } from '../../config/interpolate.js';
import { DEFAULT_CONFIG_PATH } from '../../config/load.js';
import type { OpscronConfig } from '../../config/schema.js';
import { MAX_RUNBOOK_BYTES, runbookToConfig, unmappedTable } from '../../runbook/index.js';
import { starterConfig, type StarterInput } from '../../runbook/starter.js';
import { collect } from '../context.js';

interface InitOptions {
  fromRunbook?: string;
  out: string;
  force?: boolean;
  service: string[];
  database: string[];
  cache: string[];
}

export function initCommand(program: Command): void {
  program
    .command('init')
    .description('write a configuration to start from: proposed from a markdown runbook, or from flags')
    .option('--from-runbook <file>', 'a markdown runbook to propose jobs from (nothing in it is run)')
    .option('--out <file>', 'where to write it', DEFAULT_CONFIG_PATH)
    .option('--force', 'overwrite --out if it exists')
    .option('--service <name=url>', 'a service to check (repeatable)', collect, [])
    .option('--database <name=url>', 'a PostgreSQL database to look after (repeatable)', collect, [])
    .option('--cache <name=url>', 'a Redis cache to look after (repeatable)', collect, [])
    .action(async (opts: InitOptions) => {
      if (existsSync(opts.out) && !opts.force) throw new Error(`${opts.out} exists: say --force to overwrite it`);
      const yaml = opts.fromRunbook ? await fromRunbook(opts.fromRunbook) : starterConfig(await starterInput(opts));
      checkWritten(yaml, opts.out);
      await mkdir(dirname(opts.out), { recursive: true });
      await writeFile(opts.out, yaml);
      process.stdout.write(`wrote ${opts.out}\n`);
    });
}

async function fromRunbook(path: string): Promise<string> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`${path} is not a file`);
  if (info.size > MAX_RUNBOOK_BYTES) throw new Error(`${path} is larger than ${MAX_RUNBOOK_BYTES / 1024 / 1024} MiB`);
  const { yaml, plan } = runbookToConfig(await readFile(path, 'utf8'), path);
  const mapped = plan.commands - plan.unmapped.length;
  const share = plan.commands ? Math.round((mapped / plan.commands) * 100) : 100;
  process.stderr.write(
    `${path}: ${mapped} of ${plan.commands} commands mapped (${share} %) to ${plan.jobs.length} jobs; ${plan.unmapped.length} not mapped${plan.unmapped.length ? ':' : ''}\n`,
  );
  const table = unmappedTable(plan);
  if (table) process.stderr.write(`${table}\n`);
  if (plan.secrets.length)
    process.stderr.write(
      `set before starting (secrets not copied): ${plan.secrets.map((s) => s.variable).join(', ')}\n`,
    );
  return yaml;
}

async function starterInput(opts: InitOptions): Promise<StarterInput> {
  const given = { services: opts.service, databases: opts.database, caches: opts.cache };
  if (opts.service.length || opts.database.length || opts.cache.length || !process.stdin.isTTY) return given;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const ask = async (what: string, example: string) =>
      (await rl.question(`${what} as name=url, comma-separated (e.g. ${example}), or empty: `))
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    return {
      services: await ask('services', 'shop=https://shop.example.com'),
      databases: await ask('databases', 'orders=postgres://app@db:5432/orders'),
      caches: await ask('caches', 'sessions=redis://cache:6379'),
    };
  } finally {
    rl.close();
  }
}

/**
 * The written text must be what `opscron validate` accepts once its variables are set: the
 * secrets it asks for stand in as placeholders here, everything else as it defaults.
 */
export function checkWritten(yaml: string, out: string): OpscronConfig {
  const env: Record<string, string | undefined> = {};
  for (const m of yaml.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) env[m[1]!] = 'placeholder-secret-value';
  const { value, issues } = interpolate(YAML.parse(yaml), env);
  if (issues.length) throw new Error(`the proposed configuration does not validate (a bug):\n  ${issues.join('\n  ')}`);
  return parseConfig(value, `${out} (proposed)`);
}
