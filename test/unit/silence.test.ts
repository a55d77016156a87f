import {
  activeWindow,
  allSilenced,
  checkSilence,
  parseMatcher,
  silencing,
  type Silence,
} from '../../src/incidents/silence.js';

const limits = { maxDurationMs: 30 * 86_400_000, maxWindowMs: 86_400_000, maxWindowSpanMs: 366 * 86_400_000 };
const at = (iso: string) => new Date(iso);
const silence = (over: Partial<Silence>): Silence => ({
  id: 'sil-1',
  matchers: [{ name: 'service', op: '=', value: 'cart' }],
  startsAt: at('2026-12-01T10:00:00Z'),
  endsAt: at('2026-12-01T12:00:00Z'),
  schedule: null,
  timeZone: null,
  durationMs: null,
  reason: 'db upgrade',
  createdBy: 'alice',
  createdAt: at('2026-12-01T09:00:00Z'),
  expiredBy: null,
  ...over,
});

describe('matchers', () => {
  it('parses = and != on service and signal, quotes optional', () => {
    expect(parseMatcher('service=cart')).toEqual({ name: 'service', op: '=', value: 'cart' });
    expect(parseMatcher(' signal != "latency" ')).toEqual({ name: 'signal', op: '!=', value: 'latency' });
  });
  it('refuses what it cannot take, naming it and what is allowed', () => {
    expect(() => parseMatcher('team=core')).toThrow('matcher "team=core": name "team" is not one of service, signal');
    expect(() => parseMatcher('service=~(a)\\1')).toThrow(
      /matcher "service=~\(a\)\\1": the value must be a regular expression in RE2 syntax/,
    );
    expect(() => parseMatcher('service')).toThrow(/must be name=value, name!=value, name=~regex or name!~regex/);
    expect(() => parseMatcher('service=')).toThrow(/the value is empty/);
    expect(() => parseMatcher(`service=${'x'.repeat(201)}`)).toThrow(/201 characters; at most 200/);
    expect(() => parseMatcher('service=a\u0007b')).toThrow(/control characters/);
  });
});

describe('regex matchers', () => {
  const now = at('2026-12-01T11:00:00Z');
  const muted = (matchers: string[], target: { service: string; signal: string }) =>
    silencing([silence({ matchers: matchers.map(parseMatcher) })], target, now) !== null;
  it('match the whole value in RE2 syntax, as Alertmanager’s do; !~ excludes', () => {
    expect(parseMatcher('service=~"checkout-.*"')).toEqual({ name: 'service', op: '=~', value: 'checkout-.*' });
    expect(muted(['service=~checkout-.*'], { service: 'checkout-eu', signal: 'latency' })).toBe(true);
    expect(muted(['service=~checkout-.*'], { service: 'old-checkout-eu', signal: 'latency' })).toBe(false);
    expect(muted(['service=~cart|shop', 'signal!~am/.*'], { service: 'shop', signal: 'error-rate' })).toBe(true);
    expect(muted(['service=~cart|shop', 'signal!~am/.*'], { service: 'shop', signal: 'am/HighLatency' })).toBe(false);
  });
  it('one that matches anything is too wide to be the only positive matcher', () => {
    for (const wide of ['service=~.*', 'service=~(|x)', 'signal=~.+'])
      expect(() => checkSilence(silence({ matchers: [parseMatcher(wide)] }), limits)).toThrow(
        /matches any .*: too wide/,
      );
    expect(() => checkSilence(silence({ matchers: [parseMatcher('service=~checkout-.+')] }), limits)).not.toThrow();
  });
  it('a stored value that is no pattern silences nothing, and does not throw', () => {
    const stored = silence({ matchers: [{ name: 'service', op: '=~', value: '(a)\\1' }] });
    expect(silencing([stored], { service: 'aa', signal: 'x' }, now)).toBeNull();
  });
});

describe('a fixed silence', () => {
  const s = silence({});
  it('mutes matching signals from startsAt up to (not including) endsAt', () => {
    expect(activeWindow(s, at('2026-12-01T09:59:59Z'))).toBeNull();
    expect(activeWindow(s, at('2026-12-01T10:00:00Z'))).toEqual({ from: s.startsAt, to: s.endsAt });
    expect(activeWindow(s, at('2026-12-01T12:00:00Z'))).toBeNull();
    expect(silencing([s], { service: 'cart', signal: 'error-rate' }, at('2026-12-01T11:00:00Z'))?.silence.id).toBe(
      'sil-1',
    );
    expect(silencing([s], { service: 'shop', signal: 'error-rate' }, at('2026-12-01T11:00:00Z'))).toBeNull();
  });
  it('needs every matcher; != excludes', () => {
    const narrow = silence({
      matchers: [
        { name: 'service', op: '=', value: 'cart' },
        { name: 'signal', op: '!=', value: 'latency' },
      ],
    });
    const now = at('2026-12-01T11:00:00Z');
    expect(silencing([narrow], { service: 'cart', signal: 'error-rate' }, now)).not.toBeNull();
    expect(silencing([narrow], { service: 'cart', signal: 'latency' }, now)).toBeNull();
    expect(allSilenced([narrow], 'cart', ['error-rate', 'latency'], now)).toBe(false);
    expect(allSilenced([narrow], 'cart', ['error-rate'], now)).toBe(true);
  });
  it('is bounded', () => {
    expect(() => checkSilence({ ...s, endsAt: at('2027-01-15T00:00:00Z') }, limits)).toThrow(
      /endsAt: the silence would last .*; at most 30d/,
    );
    expect(() => checkSilence({ ...s, endsAt: s.startsAt }, limits)).toThrow(/endsAt: .* must be after startsAt/);
    expect(() => checkSilence({ ...s, matchers: [] }, limits)).toThrow(/matchers: at least one is needed/);
    expect(() => checkSilence({ ...s, matchers: [{ name: 'service', op: '!=', value: 'x' }] }, limits)).toThrow(
      /at least one must be name=value/,
    );
  });
});

describe('a maintenance window', () => {
  // Sundays 02:00-04:00 Paris time, through December.
  const w = silence({
    startsAt: at('2026-12-01T00:00:00Z'),
    endsAt: at('2027-01-01T00:00:00Z'),
    schedule: '0 2 * * sun',
    timeZone: 'Europe/Paris',
    durationMs: 2 * 3_600_000,
  });
  it('mutes only inside each window, in its time zone', () => {
    // Sunday 6 December 2026, 02:00 Paris = 01:00 UTC.
    expect(activeWindow(w, at('2026-12-06T00:59:00Z'))).toBeNull();
    expect(activeWindow(w, at('2026-12-06T01:00:00Z'))).toEqual({
      from: at('2026-12-06T01:00:00Z'),
      to: at('2026-12-06T03:00:00Z'),
    });
    expect(activeWindow(w, at('2026-12-06T02:59:59Z'))).not.toBeNull();
    expect(activeWindow(w, at('2026-12-06T03:00:00Z'))).toBeNull();
    expect(activeWindow(w, at('2026-12-09T01:30:00Z'))).toBeNull(); // a Wednesday
    expect(activeWindow(w, at('2027-01-03T01:30:00Z'))).toBeNull(); // after its span
  });
  it('is checked: schedule, time zone, window length, span', () => {
    expect(() => checkSilence({ ...w, schedule: '61 * * * *' }, limits)).toThrow(/^schedule: "61 \* \* \* \*"/);
    expect(() => checkSilence({ ...w, timeZone: 'Mars/Olympus' }, limits)).toThrow(
      'timeZone: "Mars/Olympus" is not an IANA time zone',
    );
    expect(() => checkSilence({ ...w, durationMs: 2 * 86_400_000 }, limits)).toThrow(
      'duration: 2d must be from 1m to 1d',
    );
    expect(() => checkSilence({ ...w, endsAt: at('2028-01-01T00:00:00Z') }, limits)).toThrow(
      /recur for .*; at most 366d/,
    );
    expect(() => checkSilence(w, limits)).not.toThrow();
  });
});
