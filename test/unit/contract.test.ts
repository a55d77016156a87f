import { readFileSync } from 'node:fs';
import { parseSets } from '../../src/cli/params.js';
import { configJsonSchemaText } from '../../src/config/json-schema.js';
import { loadConfig, parseConfig } from '../../src/configure.js';
import { parseCron } from '../../src/cron/expression.js';
import { jobTypes } from '../../src/jobs/index.js';
import { statusOf } from '../../src/jobs/types.js';
import { redact, registerSecrets } from '../../src/observability/redact.js';
import { jitterFor, slotQueueId } from '../../src/scheduler.js';
import { InvalidRunError } from '../../src/errors.js';
import { resolveParams, retryDelay } from '../../src/worker.js';

describe('job registry', () => {
  it('has unique types, each with a summary and a params schema', () => {
    const types = [...jobTypes.values()];
    expect(new Set(types.map((t) => t.type)).size).toBe(types.length);
    for (const t of types) {
      expect(t.summary.length).toBeGreaterThan(10);
      expect(typeof t.params.safeParse).toBe('function');
    }
  });

  it('ships a default configuration that validates and whose schedules parse', async () => {
    const config = await loadConfig({ path: 'config/opscron.yaml', env: {} });
    expect(config.jobs.length).toBeGreaterThan(0);
    for (const job of config.jobs) if (job.schedule) expect(() => parseCron(job.schedule!)).not.toThrow();
  });

  it('keeps config/opscron.schema.json in sync with the zod schema (npm run schema regenerates it)', () => {
    expect(readFileSync('config/opscron.schema.json', 'utf8')).toBe(configJsonSchemaText());
  });
});

describe('run params', () => {
  const config = parseConfig({
    jobs: [
      { id: 'nap', type: 'noop', params: { sleep: '1s' } },
      { id: 'flush', type: 'cache-clear', params: { cache: 'sessions', pattern: 'session:*', dryRun: false } },
    ],
  });
  const [nap, flush] = config.jobs;

  it('resolves a run that overrides nothing once per job, read-only; an override gets its own', () => {
    const first = resolveParams(nap!, {});
    expect(first).toEqual({ sleep: 1000 });
    expect(resolveParams(nap!, {})).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const overridden = resolveParams(nap!, { sleep: '2s' });
    expect(overridden).toEqual({ sleep: 2000 });
    expect(resolveParams(nap!, {})).toEqual({ sleep: 1000 });
  });

  it('asks a destructive run for its confirmation every time', () => {
    expect(() => resolveParams(flush!, {})).toThrow(InvalidRunError);
    expect(() => resolveParams(flush!, {})).toThrow(/destructive: add confirm: true/);
    expect(resolveParams(flush!, { confirm: true })).toMatchObject({ pattern: 'session:*', dryRun: false });
  });
});

describe('outcomes', () => {
  it('takes the worst finding as the status; info counts as ok', () => {
    const f = (severity: 'info' | 'warning' | 'critical') => ({ severity, check: 'c', resource: 'r', message: 'm' });
    expect(statusOf([])).toBe('ok');
    expect(statusOf([f('info')])).toBe('ok');
    expect(statusOf([f('warning'), f('info')])).toBe('warning');
    expect(statusOf([f('warning'), f('critical')])).toBe('critical');
  });
});

describe('retries and slots', () => {
  const job = { retries: { attempts: 5, backoff: 1000, maxBackoff: 5000 } };
  it('backs off exponentially with jitter in [½, 1] of the step, capped', () => {
    expect([2, 3, 4, 5].map((n) => retryDelay(job.retries, n, () => 1))).toEqual([1000, 2000, 4000, 5000]);
    expect([2, 3, 4, 5].map((n) => retryDelay(job.retries, n, () => 0))).toEqual([500, 1000, 2000, 2500]);
  });
  it('derives queue ids without ":" and jitter that every replica agrees on', () => {
    expect(slotQueueId('nightly-backup', 1795708800000)).toBe('nightly-backup__1795708800000');
    expect(jitterFor('a', 1000, 30_000)).toBe(jitterFor('a', 1000, 30_000));
    expect(jitterFor('a', 1000, 0)).toBe(0);
  });
});

describe('--set', () => {
  it('reads YAML scalars and nests dotted keys', () => {
    expect(parseSets(['a=1', 'b=true', 'c=[200, 204]', 'd.e=x', 'f='])).toEqual({
      a: 1,
      b: true,
      c: [200, 204],
      d: { e: 'x' },
      f: '',
    });
  });
  it('names a malformed or dangerous key', () => {
    expect(() => parseSets(['novalue'])).toThrow('--set "novalue": expected key=value');
    expect(() => parseSets(['__proto__.x=1'])).toThrow(/key must be letters, digits/);
  });
});

describe('redact', () => {
  it('hides registered secrets and URL passwords', () => {
    registerSecrets(['tok-123456']);
    expect(redact('Bearer tok-123456 to postgres://app:pa55@db/x')).toBe('Bearer *** to postgres://app:***@db/x');
  });
});
