/**
 * A password in a URL is hidden whole, whatever characters it holds. WHATWG URL (and so pg,
 * ioredis and nodemailer) ends the user info at the last `@` before the host, so
 * `postgres://app:p@ss@db/orders` connects with the password `p@ss`: hiding only up to the
 * first `@` printed the rest of it.
 */
import fc from 'fast-check';
import { redact } from '../../src/observability/redact.js';

describe('redact', () => {
  it('hides a URL password that holds an @ whole, and keeps the host', () => {
    const text = 'could not reach postgres://app:p@ssw0rd@db.internal:5432/orders: timeout';
    expect(redact(text)).toBe('could not reach postgres://app:***@db.internal:5432/orders: timeout');
  });

  it('hides every password a URL parser would use, leaving user, host and path as they were', () => {
    // What may stand in the user info unencoded: anything but what ends the authority.
    const passwordChar = fc.constantFrom(...'abcXYZ019@:;!$&()*+,=-._~%');
    fc.assert(
      fc.property(
        fc.string({ unit: passwordChar, minLength: 1, maxLength: 20 }),
        fc.constantFrom('', 'app', 'svc.user'),
        fc.constantFrom('/orders', '', '?sslmode=require', '/0 then more text'),
        (password, user, rest) => {
          const url = `redis://${user}:${password}@cache.internal:6379${rest}`;
          const parsed = new URL(url.split(' ')[0]!);
          fc.pre(parsed.hostname === 'cache.internal' && parsed.username === user);
          expect(redact(url)).toBe(`redis://${user}:***@cache.internal:6379${rest}`);
        },
      ),
    );
  });
});
