/** curl, wget and httpie against a service (pure): health checks, metrics, breaker resets. */
import { envName, header, httpUrl, type ParsedUrl } from '../targets.js';
import type { Proposal, Recognition, SecretRef, ShellCommand } from '../types.js';
import { flag, option, options } from './args.js';

const PROGRAMS = new Set(['curl', 'wget', 'http', 'https']);
const HEALTH_PATH = /(^|\/)(health|healthz|healthcheck|ready|readyz|readiness|live|livez|liveness|status|ping)\/?$/i;
const METRICS_PATH = /(^|\/)metrics\/?$/i;
const BREAKER_PATH = /breaker/i;

/** Recognises an HTTP request; undefined when the command is not curl, wget or httpie. */
export function recogniseHttp(command: ShellCommand): Recognition | undefined {
  const [program, ...args] = command.argv;
  if (!program || !PROGRAMS.has(program)) return undefined;
  const target = args.find((a) => /^https?:\/\//i.test(a));
  const parsed = target === undefined ? undefined : httpUrl(target);
  if (!parsed) {
    const variable = args.find((a) => a.includes('$'));
    return {
      unmapped: variable
        ? `the URL is built from a shell variable (${variable.slice(0, 40)}): add the service to services[] by hand`
        : 'no http(s) URL to check',
    };
  }
  const method = requestMethod(program, args);
  const secrets: SecretRef[] = [...parsed.secrets];
  const headers: Record<string, string> = {};
  for (const raw of options(args, ['-H', '--header'])) {
    const h = header(raw, parsed.name);
    if (!h) continue;
    headers[h.name] = h.value;
    if (h.secret) secrets.push(h.secret);
  }
  const path = parsed.url.pathname;
  if (method === 'POST' && BREAKER_PATH.test(path)) return breakerReset(parsed, path, headers, secrets);
  if (method !== 'GET' && method !== 'HEAD')
    return { unmapped: `a ${method} to ${path} changes something, and no job type sends arbitrary requests` };
  return { proposals: [healthCheck(parsed, path, args, headers, secrets)] };
}

function requestMethod(program: string, args: readonly string[]): string {
  const explicit = option(args, ['-X', '--request', '--method'])?.toUpperCase();
  if (explicit) return explicit;
  if (program === 'http' || program === 'https') {
    const word = args.find((a) => /^(GET|POST|PUT|PATCH|DELETE|HEAD)$/.test(a));
    if (word) return word;
  }
  if (options(args, ['-d', '--data', '--data-raw', '--data-binary', '--json', '--post-data']).length) return 'POST';
  if (flag(args, ['-I', '--head'])) return 'HEAD';
  return 'GET';
}

function healthCheck(
  parsed: ParsedUrl,
  path: string,
  args: readonly string[],
  headers: Record<string, string>,
  secrets: SecretRef[],
): Proposal {
  const name = parsed.name;
  const origin = parsed.url.origin;
  const params: Record<string, unknown> = { service: name };
  if (Object.keys(headers).length) params.headers = headers;
  if (flag(args, ['-k', '--insecure', '--no-check-certificate'])) params.insecureSkipVerify = true;
  const maxTime = option(args, ['-m', '--max-time', '--timeout', '-T']);
  if (maxTime && /^\d{1,4}$/.test(maxTime)) params.requestTimeout = `${maxTime}s`;
  if (METRICS_PATH.test(path)) {
    params.scrapeMetrics = true;
    return {
      id: `${name}-health`,
      type: 'health-check',
      params,
      services: [{ name, origin, metricsPath: path }],
      secrets,
      note: `scrapeMetrics: its ${path} must parse as Prometheus text`,
    };
  }
  const healthPath = HEALTH_PATH.test(path) || path === '/' ? path : undefined;
  if (!healthPath) {
    // Not a health endpoint: probed as a URL of its own, its address overridable with the service's.
    return {
      id: `${name}-${
        path
          .replace(/[^a-z0-9]+/gi, '-')
          .replace(/^-|-$/g, '')
          .toLowerCase()
          .slice(0, 30) || 'root'
      }`,
      type: 'health-check',
      params: { ...params, service: undefined, url: `\${${envName(name, 'url')}:-${origin}}${path}` },
      services: [{ name, origin }],
      secrets,
      note: `${path} is not a health path: probed as a URL (status 200 expected)`,
    };
  }
  return { id: `${name}-health`, type: 'health-check', params, services: [{ name, origin, healthPath }], secrets };
}

function breakerReset(
  parsed: ParsedUrl,
  path: string,
  headers: Record<string, string>,
  secrets: SecretRef[],
): Recognition {
  const name = parsed.name;
  const params: Record<string, unknown> = { services: [name] };
  if (Object.keys(headers).length) params.headers = headers;
  return {
    proposals: [
      {
        id: `${name}-reset-breakers`,
        type: 'reset-breakers',
        params,
        services: [{ name, origin: parsed.url.origin, breakerResetPath: path }],
        secrets,
        note: 'POSTs the breakerResetPath, then checks the service is healthy',
      },
    ],
  };
}
