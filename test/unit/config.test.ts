import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/configure.js';
import { ConfigError } from '../../src/errors.js';
import { redact } from '../../src/observability/redact.js';
import { tempDir } from '../support/cli.js';

const dir = tempDir('opscron-config-');
let n = 0;
function file(yaml: string): string {
  const path = join(dir, `c${n++}.yaml`);
  writeFileSync(path, yaml);
  return path;
}
async function problems(yaml: string, env: Record<string, string> = {}): Promise<string[]> {
  try {
    await loadConfig({ path: file(yaml), env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).issues;
  }
  throw new Error('config was accepted');
}

const job = (extra: string) =>
  `jobs:\n  - id: web\n    type: health-check\n    schedule: "*/5 * * * *"\n    params: { url: "http://127.0.0.1:1/health" }\n${extra}`;

describe('loadConfig', () => {
  it('fills defaults, parses durations and freezes the result', async () => {
    const config = await loadConfig({
      path: file(job('    timeout: 30s\n    retries: { attempts: 3, backoff: 2s }\n')),
      env: {},
    });
    expect(config.timezone).toBe('UTC');
    const [web] = config.jobs;
    expect(web).toMatchObject({
      id: 'web',
      timeout: 30_000,
      concurrency: 'forbid',
      retries: { attempts: 3, backoff: 2000 },
      catchUp: { deadline: 3_600_000 },
    });
    expect(web!.params).toMatchObject({ expectStatus: [200], maxResponseTime: 2000 });
    expect(Object.isFrozen(config.jobs[0])).toBe(true);
  });

  it('names the path, the value and what is allowed for a bad cron expression', async () => {
    expect(await problems(job('').replace('*/5 * * * *', '61 * * * *'))).toEqual([
      'jobs[0].schedule: "61 * * * *" — minute must be 0-59 (got "61")',
    ]);
  });

  it('refuses a duration too long to be a number of milliseconds, naming it (it parsed as Infinity: no timeout at all)', async () => {
    const huge = `${'9'.repeat(400)}d`;
    expect(await problems(job(`    timeout: "${huge}"\n`))).toEqual([
      expect.stringMatching(/^jobs\[0\]\.timeout: "9{20}9*\.\.\. — must be a duration of at most 285000 years/),
    ]);
    expect(await problems(job('').replace('params: { url', `params: { maxResponseTime: "${huge}", url`))).toEqual([
      expect.stringMatching(/^jobs\[0\]\.params\.maxResponseTime: .* at most 285000 years/),
    ]);
  });

  it('rejects unknown keys so typos surface, suggesting the key meant', async () => {
    const issues = await problems(job('    shedule: "@daily"\n'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(
      /^jobs\[0\]\.shedule: unknown key — did you mean schedule\? allowed here: id, type, summary, schedule,/,
    );
    expect(await problems(job('    frobnicate: 1\n'))).toEqual([
      expect.stringMatching(/^jobs\[0\]\.frobnicate: unknown key — check the spelling; allowed here: id, type,/),
    ]);
  });

  it('rejects an unknown job type, listing the known ones', async () => {
    expect(await problems(job('').replace('health-check', 'health-chek'))).toEqual([
      'jobs[0].type: "health-chek" — unknown job type; did you mean health-check? allowed: health-check, latency-check, error-rate, resource-usage, rollout, reset-breakers, db-health, query-analysis, db-backup, backup-verify, config-backup, cache-health, cache-optimize, cache-clear, clear-stuck, audit-review, log-analysis, debug-logging, health-report, performance-report, compliance-report, incident-report, noop',
    ]);
  });

  it('rejects an unknown time zone', async () => {
    expect(await problems(job('    timezone: Mars/Olympus\n'))).toEqual([
      'jobs[0].timezone: "Mars/Olympus" — must be an IANA time zone such as UTC or Europe/Berlin',
    ]);
  });

  it('validates params with the job type schema', async () => {
    const issues = await problems(
      job('').replace(
        'params: { url: "http://127.0.0.1:1/health" }',
        'params: { url: "http://x/", expectStatus: [700], retires: 1 }',
      ),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^jobs\[0\]\.params\.expectStatus\[0\]: 700 — /),
        expect.stringMatching(/^jobs\[0\]\.params\.retires: unknown key/),
      ]),
    );
  });

  it('rejects an enum value naming the allowed ones, and duplicate ids', async () => {
    expect(await problems(job('    concurrency: sometimes\n'))).toEqual([
      'jobs[0].concurrency: "sometimes" — allowed: forbid, allow, replace',
    ]);
    const twice = job('') + job('').replace('jobs:\n', '');
    expect(await problems(twice)).toEqual(['jobs[1].id: "web" — already used by another job; ids must be unique']);
  });

  it('reports malformed YAML with its line', async () => {
    const issues = await problems('jobs:\n  - id: web\n   type: [oops\n');
    expect(issues[0]).toMatch(/^line \d+, column \d+: /);
  });

  it('reports a missing file', async () => {
    await expect(loadConfig({ path: join(dir, 'nope.yaml'), env: {} })).rejects.toThrow(
      /cannot read .*nope\.yaml: ENOENT/,
    );
  });

  it('interpolates ${VAR} and ${VAR:-default}, typed when the whole value is one reference', async () => {
    const config = await loadConfig({
      path: file(
        'timezone: ${TZ_NAME:-Europe/Berlin}\nqueue:\n  concurrency: ${CONC}\nstore:\n  databaseUrl: ${DB_URL:-}\n',
      ),
      env: { CONC: '7' },
    });
    expect(config.timezone).toBe('Europe/Berlin');
    expect(config.queue.concurrency).toBe(7);
    expect(config.store.databaseUrl).toBeUndefined();
  });

  it('names an unset variable without a default', async () => {
    expect(await problems('queue:\n  redisUrl: ${REDIS_SOMETHING}\n')).toEqual([
      'queue.redisUrl: ${REDIS_SOMETHING} — environment variable REDIS_SOMETHING is not set and has no default (write ${REDIS_SOMETHING:-default})',
    ]);
  });

  it('takes REDIS_URL and DATABASE_URL from the environment and redacts their passwords', async () => {
    const config = await loadConfig({
      path: file('{}'),
      env: { REDIS_URL: 'redis://:canary-s3cret@127.0.0.1:6379', DATABASE_URL: 'postgres://u:pw-canary-2@h/db' },
    });
    expect(config.queue.redisUrl).toBe('redis://:canary-s3cret@127.0.0.1:6379');
    expect(redact(`connect ${config.queue.redisUrl} failed; pw canary-s3cret`)).toBe(
      'connect redis://:***@127.0.0.1:6379 failed; pw ***',
    );
  });
});
