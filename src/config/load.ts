/**
 * Loading the configuration: read YAML, interpolate `${ENV}`, validate with the one
 * schema (and each job's params with its job type's schema), freeze. Every problem is
 * reported at once, each naming the path, the value and what is allowed.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { registerSecrets, SECRET_NAME } from '../observability/redact.js';
import { interpolate, urlPasswords } from './interpolate.js';
import { channelSecrets, notificationIssues } from './notifications.js';
import { configSchema, type OpscronConfig } from './schema.js';
import { closest } from './suggest.js';

export const DEFAULT_CONFIG_PATH = 'config/opscron.yaml';

/** `jobs[2].schedule` from `['jobs', 2, 'schedule']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out || '(root)';
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const part of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

function show(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = String(value);
  }
  if (text === undefined) return 'nothing';
  // A URL's password is never repeated, even in a URL that is wrong (redis://:pw@host in the wrong place).
  text = text.replace(/(\/\/[^/:@\s"]*:)[^@\s"/]+@/g, '$1***@');
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Values under these keys are never repeated in an error, even when they are wrong (a too-short token). */
const HIDDEN = /pass(word)?|secret|token|credential|auth|cookie|session|access_?key/i;

/** The value at `path` as an error shows it: secret-looking keys hidden. */
function shown(input: unknown, path: readonly PropertyKey[]): string {
  if (path.some((p) => typeof p === 'string' && HIDDEN.test(p))) return '(hidden)';
  // A channel's URL carries its token (Slack's path, a webhook's query), its routing key is one.
  if (path[0] === 'notifications' && (path.at(-1) === 'url' || path.at(-1) === 'routingKey')) return '(hidden)';
  return show(valueAt(input, path));
}

/** The keys an object schema allows at `path` (through defaults, optionals, pipes and arrays). */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  type Def = {
    type: string;
    innerType?: z.ZodType;
    in?: z.ZodType;
    shape?: Record<string, z.ZodType>;
    element?: z.ZodType;
  };
  const defOf = (node: z.ZodType | undefined) => node?._zod.def as unknown as Def | undefined;
  const unwrap = (node: z.ZodType | undefined): z.ZodType | undefined => {
    for (let def = defOf(node); def; def = defOf(node)) {
      if (def.innerType) node = def.innerType;
      else if (def.type === 'pipe') node = def.in;
      else break;
    }
    return node;
  };
  let node = unwrap(schema);
  for (const part of path) {
    const def = defOf(node);
    node = unwrap(def?.type === 'object' ? def.shape?.[String(part)] : def?.type === 'array' ? def.element : undefined);
  }
  const def = defOf(node);
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

/** One line per zod issue: `path: value — what is allowed`. */
export function formatIssues(
  schema: z.ZodType,
  error: z.ZodError,
  input: unknown,
  prefix: readonly PropertyKey[] = [],
): string[] {
  return error.issues.map((issue) => {
    const path = [...prefix, ...issue.path];
    switch (issue.code) {
      case 'unrecognized_keys':
        return issue.keys
          .map((key) => {
            const allowed = keysAt(schema, issue.path) ?? [];
            const meant = closest(key, allowed);
            return `${formatPath([...path, key])}: unknown key — ${meant ? `did you mean ${meant}?` : 'check the spelling;'} allowed here: ${allowed.join(', ') || 'none'}`;
          })
          .join('\n  ');
      case 'invalid_value':
        return `${formatPath(path)}: ${shown(input, issue.path)} — allowed: ${issue.values.map(String).join(', ')}`;
      case 'invalid_type':
        if (valueAt(input, issue.path) === undefined)
          return `${formatPath(path)}: missing — required (${issue.expected})`;
        return `${formatPath(path)}: ${shown(input, issue.path)} — ${issue.message.replace(/^Invalid input: /, '')}`;
      default:
        return `${formatPath(path)}: ${shown(input, issue.path)} — ${issue.message}`;
    }
  });
}

/** The job types validation checks `jobs[].type` and `jobs[].params` against: the registry, passed in. */
export type JobCatalog = ReadonlyMap<string, { params: z.ZodType }>;

/** Validates a parsed (and interpolated) document against the schema and the job types given. */
export function parseConfig(input: unknown, jobTypes: JobCatalog, source = 'config'): OpscronConfig {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) throw new ConfigError(formatIssues(configSchema, result.error, input), source);
  const config = result.data;
  const issues: string[] = [];
  const seen = new Set<string>();
  config.jobs.forEach((job, i) => {
    if (seen.has(job.id))
      issues.push(`jobs[${i}].id: ${show(job.id)} — already used by another job; ids must be unique`);
    seen.add(job.id);
    const type = jobTypes.get(job.type);
    if (!type) {
      const meant = closest(job.type, [...jobTypes.keys()]);
      issues.push(
        `jobs[${i}].type: ${show(job.type)} — unknown job type;${meant ? ` did you mean ${meant}?` : ''} allowed: ${[...jobTypes.keys()].join(', ')}`,
      );
      return;
    }
    const params = type.params.safeParse(job.params);
    if (!params.success) issues.push(...formatIssues(type.params, params.error, job.params, ['jobs', i, 'params']));
    else job.params = params.data as Record<string, unknown>;
    const service = job.params.service;
    if (typeof service === 'string' && !config.services.some((s) => s.name === service)) {
      issues.push(
        `jobs[${i}].params.service: ${show(service)} — not in services; configured: ${config.services.map((s) => s.name).join(', ') || 'none'}`,
      );
    }
  });
  registerConfigSecrets(config);
  for (const [service, steps] of Object.entries(config.incidents.remediation)) {
    if (service !== '*' && !config.services.some((s) => s.name === service)) {
      issues.push(`incidents.remediation.${service}: ${show(service)} — not in services; use a service name or "*"`);
    }
    steps.forEach((step, i) => {
      if (!config.jobs.some((j) => j.id === step.job))
        issues.push(
          `incidents.remediation.${service}[${i}].job: ${show(step.job)} — not a configured job; configured: ${config.jobs.map((j) => j.id).join(', ') || 'none'}`,
        );
    });
  }
  issues.push(
    ...notificationIssues(
      config.notifications,
      config.incidents.escalation,
      config.services.map((s) => s.name),
    ),
  );
  const catchAll = config.alertmanager.unknownService;
  if (catchAll !== 'refuse' && !config.services.some((s) => s.name === catchAll.mapTo))
    issues.push(
      `alertmanager.unknownService.mapTo: ${show(catchAll.mapTo)} — not in services; configured: ${config.services.map((s) => s.name).join(', ') || 'none'}`,
    );
  if (issues.length) throw new ConfigError(issues, source);
  return deepFreeze(config);
}

export interface LoadOptions {
  path?: string;
  env?: Record<string, string | undefined>;
}

/** Reads, interpolates and validates the configuration file. */
export async function loadConfig(options: LoadOptions, jobTypes: JobCatalog): Promise<OpscronConfig> {
  const env = options.env ?? process.env;
  const path = resolve(options.path ?? env.OPSCRON_CONFIG ?? DEFAULT_CONFIG_PATH);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      [`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`],
      path,
    );
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    // The parser's messages quote the source at the error, which may be a secret written
    // into the file: only the kind of error and where it is are shown.
    const lines = doc.errors.slice(0, 5).map(
      (e) =>
        `line ${e.linePos?.[0].line ?? '?'}, column ${e.linePos?.[0].col ?? '?'}: ${e.message
          .split('\n')[0]!
          .replace(/:? ?"(?:[^"\\]|\\.)*"/g, '')
          .replace(/ at line \d+, column \d+:?$/, '')} (${e.code})`,
    );
    if (doc.errors.length > 5) lines.push(`and ${doc.errors.length - 5} more after these`);
    throw new ConfigError(lines, path);
  }
  const { value, issues, secrets } = interpolate(doc.toJS(), env);
  registerSecrets(secrets);
  if (issues.length) throw new ConfigError(issues, path);
  return parseConfig(withEnvironment(value, env), jobTypes, path);
}

/** REDIS_URL, DATABASE_URL and PORT apply when the file does not set them. */
function withEnvironment(doc: unknown, env: Record<string, string | undefined>): unknown {
  const root = (doc && typeof doc === 'object' ? { ...doc } : {}) as Record<
    string,
    Record<string, unknown> | undefined
  >;
  const fill = (section: string, key: string, value: string | number | undefined) => {
    if (value === undefined || value === '') return;
    const current = root[section];
    if (current !== undefined && (typeof current !== 'object' || current === null)) return;
    if (current?.[key] !== undefined) return;
    root[section] = { ...current, [key]: value };
  };
  // REDIS_URL names one server: a file that names sentinels or a cluster for the queue wins.
  const queue = root.queue;
  if (queue?.sentinels === undefined && queue?.cluster === undefined) fill('queue', 'redisUrl', env.REDIS_URL);
  if (env.OPSCRON_API_TOKEN) {
    // The environment's token is an admin token named "env", beside any in the file.
    registerSecrets([env.OPSCRON_API_TOKEN]);
    const http = (root.http ?? {}) as Record<string, unknown>;
    const tokens = Array.isArray(http.tokens) ? http.tokens : [];
    root.http = { ...http, tokens: [...tokens, { name: 'env', token: env.OPSCRON_API_TOKEN, scope: 'admin' }] };
  }
  fill('store', 'databaseUrl', env.DATABASE_URL);
  fill('email', 'smtpUrl', env.SMTP_URL);
  if (env.PORT && /^\d+$/.test(env.PORT)) fill('http', 'port', Number(env.PORT));
  if (env.OPSCRON_ENCRYPTION_KEY) registerSecrets([env.OPSCRON_ENCRYPTION_KEY]);
  // The object storage's credentials are the SDK's to read; their values are still never printed.
  for (const name of ['AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const)
    if (env[name]) registerSecrets([env[name]]);
  for (const url of [env.REDIS_URL, env.DATABASE_URL, env.SMTP_URL]) if (url) registerSecrets(credentialsIn(url));
  return root;
}

/**
 * Secrets written into the file itself (not only through ${VAR}): API tokens, passwords in
 * any URL, and the values of credential-bearing headers a job sends (Authorization, X-API-Key).
 */
function registerConfigSecrets(config: OpscronConfig): void {
  registerSecrets(config.http.tokens.map((t) => t.token));
  registerSecrets(channelSecrets(config.notifications.channels));
  const walk = (node: unknown, key: string): void => {
    if (typeof node === 'string') {
      if (node.includes('://')) registerSecrets(urlPasswords(node));
      if (SECRET_NAME.test(key)) registerSecrets([node]);
    } else if (Array.isArray(node)) {
      for (const item of node) walk(item, key);
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, k);
    }
  };
  walk(config.services, '');
  walk(config.databases, '');
  walk(config.caches, '');
  walk(config.queue, ''); // passwords of a Sentinel set or Cluster, a URL's password
  for (const job of config.jobs) walk(job.params, '');
  for (const steps of Object.values(config.incidents.remediation)) for (const step of steps) walk(step.params, '');
}

function credentialsIn(url: string): string[] {
  try {
    const u = new URL(url);
    return u.password ? [decodeURIComponent(u.password), u.password] : [];
  } catch {
    return [];
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
