/** The rules every run request meets: bounds, the trigger boundary and grants. */
import { PARAM_LIMITS, boundsIssue } from '../../src/limits.js';
import { jobTypes } from '../../src/jobs/index.js';
import { grantFor, grantValid, retargetedParams, runRequestSchema } from '../../src/run-request.js';
import { linearPattern, patternProblem } from '../../src/analysis/pattern.js';

describe('bounds', () => {
  it('names the path of the first value out of bounds, without recursing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(boundsIssue({ a: deep }, PARAM_LIMITS)).toEqual({
      path: ['a', 0, 0, 0, 0, 0, 0, 0],
      message: 'is nested deeper than 8 levels',
    });
    expect(boundsIssue({ s: 'x'.repeat(9000) }, PARAM_LIMITS)?.path).toEqual(['s']);
    expect(boundsIssue({ n: Number.NaN }, PARAM_LIMITS)?.message).toBe('must be a finite number');
    expect(boundsIssue({ many: Array.from({ length: 3000 }, () => 1) }, PARAM_LIMITS)?.message).toMatch(
      /more than 2000 values/,
    );
    expect(boundsIssue({ ok: [{ path: 'a', equals: 1 }] }, PARAM_LIMITS)).toBeNull();
  });

  it('refuses scheduled times PostgreSQL cannot hold', () => {
    expect(runRequestSchema.safeParse({ scheduledFor: '0000-06-01T00:00:00Z' }).success).toBe(false);
    expect(runRequestSchema.safeParse({ scheduledFor: '2026-06-01T00:00:00Z' }).success).toBe(true);
  });
});

describe('the trigger boundary', () => {
  it('every job type declares what a trigger may tune, and only params it has', () => {
    for (const [type, definition] of jobTypes) {
      const keys = Object.keys((definition.params as unknown as { shape: object }).shape);
      for (const key of definition.overridable)
        expect(`${type}.${key}`).toBe(`${type}.${keys.includes(key) ? key : '(not a param)'}`);
    }
  });

  it.each([
    ['health-check', ['url', 'headers', 'caFile', 'insecureSkipVerify', 'service', 'services', 'dns', 'send']],
    ['backup-verify', ['scratchUrl', 'backup', 'database']],
    ['cache-clear', ['pattern', 'all', 'cache']],
    ['debug-logging', ['configMap', 'key', 'namespace', 'service']],
    ['latency-check', ['selector', 'histogram', 'service']],
    ['error-rate', ['selector', 'metric', 'service']],
    ['health-report', ['recipients']],
    ['clear-stuck', ['queues', 'database']],
  ])('%s: targets and credentials are config-only (%j)', (type, targets) => {
    const definition = jobTypes.get(type)!;
    expect(retargetedParams(definition, Object.fromEntries(targets.map((k) => [k, 'x'])))).toEqual(targets);
    expect(retargetedParams(definition, { confirm: true, notAParam: 1 })).toEqual([]);
  });

  it.each([
    ['error-rate', 'window', { service: 'shop' }],
    ['latency-check', 'window', { service: 'shop' }],
    ['audit-review', 'period', {}],
  ])('%s.%s, which a trigger may set, is bounded like a report period: no query spans years', (type, key, base) => {
    const { params } = jobTypes.get(type)!;
    expect(params.safeParse({ ...base, [key]: '366d' }).success).toBe(true);
    const tooLong = params.safeParse({ ...base, [key]: '3650d' });
    expect(tooLong.success).toBe(false);
    expect(tooLong.error!.issues).toEqual([
      expect.objectContaining({ path: [key], message: expect.stringMatching(/at most 366d/) }),
    ]);
  });

  it('a grant covers exactly what was checked, and every attempt of it', () => {
    const key = Buffer.alloc(32, 7);
    const subject = {
      queueId: 'web__m1',
      job: 'web',
      params: { b: 1, a: [1, { y: 2, x: 1 }] },
      requestedBy: 'ada',
      source: 'api',
    };
    const grant = grantFor(key, subject);
    expect(grantValid(key, subject, grant)).toBe(true);
    expect(grantValid(key, { ...subject, params: { a: [1, { x: 1, y: 2 }], b: 1 } }, grant)).toBe(true); // key order does not matter
    expect(grantValid(key, { ...subject, queueId: 'web__m1-r3' }, grant)).toBe(true); // a retry of it
    expect(grantValid(key, { ...subject, params: { b: 2, a: [1, { y: 2, x: 1 }] } }, grant)).toBe(false);
    expect(grantValid(key, { ...subject, queueId: 'web__m2' }, grant)).toBe(false);
    expect(grantValid(key, { ...subject, source: 'cli' }, grant)).toBe(false);
    expect(grantValid(Buffer.alloc(32, 8), subject, grant)).toBe(false);
    expect(grantValid(key, subject, undefined)).toBe(false);
  });
});

describe('linear-time patterns', () => {
  it('matches a catastrophic pattern against a long input in milliseconds', () => {
    const started = performance.now();
    expect(linearPattern('^(a+)+$').test(`${'a'.repeat(100_000)}!`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
    expect(linearPattern('error', { ignoreCase: true }).test('An ERROR here')).toBe(true);
  });

  it('refuses what needs backtracking, saying why', () => {
    expect(patternProblem('(a)\\1')).toMatch(/RE2 syntax, which runs in linear time .*invalid escape/);
    expect(patternProblem('(?=x)')).toMatch(/RE2 syntax/);
    expect(patternProblem('\\b(error|fail(ed)?)\\b')).toBeNull();
  });
});
