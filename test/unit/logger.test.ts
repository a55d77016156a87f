/**
 * The logger cannot throw, whatever it is given: the loops that log their own failures
 * (history writer, scheduler tick, HTTP error handler, shutdown) depend on it. Each case
 * writes one parseable JSON line with the redacted facts.
 */
import { Writable } from 'node:stream';
import { createLogger } from '../../src/observability/logger.js';
import { redactValue, registerSecrets } from '../../src/observability/redact.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ level: 'trace', pretty: false, destination });
  return { logger, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

describe('logger', () => {
  const SECRET = 'canary-secret-value-4711';
  beforeAll(() => registerSecrets([SECRET]));

  it('logs {err} with the message, code, cause chain and stack, redacted', () => {
    const { logger, json } = capture();
    const root = Object.assign(new Error(`connect refused with ${SECRET}`), { code: 'ECONNREFUSED' });
    const error = new Error('history write failed', { cause: root });
    expect(() => logger.error({ err: error, rows: 3 }, 'could not write')).not.toThrow();
    const [line] = json();
    expect(line).toMatchObject({
      msg: 'could not write',
      rows: 3,
      err: {
        type: 'Error',
        message: 'history write failed',
        cause: { message: 'connect refused with ***', code: 'ECONNREFUSED' },
      },
    });
    expect(line!.err.stack).toContain('history write failed');
    expect(JSON.stringify(line)).not.toContain(SECRET);
  });

  it('logs an Error given as the first argument', () => {
    const { logger, json } = capture();
    logger.warn(new TypeError(`bad ${SECRET}`));
    expect(json()[0]).toMatchObject({ err: { type: 'TypeError', message: 'bad ***' } });
  });

  it('survives circular objects, BigInt, lone surrogates, throwing getters, Proxies, Maps and deep nesting', () => {
    const { logger, lines, json } = capture();
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const throwing = {
      ok: 1,
      get broken(): never {
        throw new Error(`getter ${SECRET}`);
      },
    };
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('no keys');
        },
      },
    );
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 10_000; i++) deep = (deep.next = {}) as Record<string, unknown>;
    const selfCause = new Error('cause loop');
    (selfCause as { cause?: unknown }).cause = selfCause;
    const cases: unknown[] = [
      { circular },
      { big: 2n ** 70n },
      { text: 'half an emoji \ud83d' },
      { throwing },
      { proxy },
      { map: new Map([['k', SECRET]]), set: new Set([1, 2]) },
      { root },
      { err: selfCause },
      { err: 'a string as err' },
      { err: undefined },
      { fn() {} },
      { sym: Symbol('s') },
      { buf: Buffer.alloc(10) },
      { date: new Date(0), bad: new Date(Number.NaN) },
      { url: new URL(`https://user:${SECRET}@example.com/x`) },
    ];
    for (const c of cases) expect(() => logger.info(c as object, 'case')).not.toThrow();
    expect(() => logger.info('plain \udfff message')).not.toThrow();
    expect(lines).toHaveLength(cases.length + 1);
    const out = json();
    expect(out[0]!.circular).toEqual({ name: 'loop', self: '[Circular]' });
    expect(out[1]!.big).toBe('1180591620717411303424');
    expect(out[2]!.text).toBe('half an emoji \ufffd');
    expect(out[3]!.throwing).toEqual({ ok: 1, broken: '[Unreadable: getter ***]' });
    expect(out[5]!.map).toEqual({ k: '***' });
    expect(JSON.stringify(out[6]!.root)).toContain('[Truncated]');
    expect(out[7]!.err).toMatchObject({ message: 'cause loop', cause: '[Circular]' });
    expect(out[13]!).toMatchObject({ date: '1970-01-01T00:00:00.000Z', bad: null });
    expect(out[14]!.url).toBe('https://user:***@example.com/x');
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  it('does not give an API client the stack of an error', () => {
    expect(redactValue(new Error('x'))).not.toHaveProperty('stack');
  });
});
