import { parseCron, CronSyntaxError } from '../../src/cron/expression.js';
import { nextSlot, slotsBetween } from '../../src/cron/slots.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const NY = 'America/New_York';

describe('parseCron', () => {
  it.each([
    ['61 * * * *', 'minute must be 0-59 (got "61")'],
    ['* 24 * * *', 'hour must be 0-23 (got "24")'],
    ['0 0 32 * *', 'day of month must be 1-31, L, LW, L-n or nW (got "32")'],
    ['* * * 13 *', 'month must be 1-12 or jan-dec (got "13")'],
    ['* * * * 9', 'day of week must be 0-7 or sun-sat (with n#k or nL) (got "9")'],
    ['60 * * * * *', 'second must be 0-59 (got "60")'],
    ['* * * *', 'expected 5 fields (minute hour day month weekday) or 6 (with seconds first), got 4'],
    ['@reboot', 'unknown alias; allowed: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly'],
  ])('rejects %s with "%s"', (expr, reason) => {
    expect(() => parseCron(expr)).toThrow(new CronSyntaxError(expr, reason));
  });

  it('accepts aliases, names, steps and a seconds field', () => {
    expect(parseCron('@hourly').fields.minute).toEqual([0]);
    expect(parseCron('@weekly').fields.dayOfWeek).toEqual([0]);
    expect(parseCron('0 9 * * mon-fri').fields.dayOfWeek).toEqual([1, 2, 3, 4, 5]);
    expect(parseCron('*/20 * * * * *').fields.second).toEqual([0, 20, 40]);
  });
});

describe('nextSlot', () => {
  it('steps through 5- and 6-field schedules in UTC', () => {
    const at = Date.parse('2026-11-26T10:07:30.500Z');
    expect(iso(nextSlot(parseCron('*/15 * * * *'), 'UTC', at))).toBe('2026-11-26T10:15:00.000Z');
    expect(iso(nextSlot(parseCron('* * * * * *'), 'UTC', at))).toBe('2026-11-26T10:07:31.000Z');
    expect(iso(nextSlot(parseCron('@monthly'), 'UTC', at))).toBe('2026-12-01T00:00:00.000Z');
    expect(iso(nextSlot(parseCron('0 0 L * *'), 'UTC', at))).toBe('2026-11-30T00:00:00.000Z');
  });

  it('is strictly after its argument, even exactly on a slot', () => {
    const at = Date.parse('2026-11-26T10:15:00.000Z');
    expect(iso(nextSlot(parseCron('*/15 * * * *'), 'UTC', at))).toBe('2026-11-26T10:30:00.000Z');
  });

  it('honours the time zone', () => {
    const at = Date.parse('2026-11-26T12:00:00Z');
    expect(iso(nextSlot(parseCron('0 9 * * *'), 'Asia/Kolkata', at))).toBe('2026-11-27T03:30:00.000Z');
    expect(iso(nextSlot(parseCron('0 9 * * *'), NY, at))).toBe('2026-11-26T14:00:00.000Z');
  });
});

describe('DST in America/New_York', () => {
  const slots = (expr: string, from: string, to: string) =>
    slotsBetween(parseCron(expr), NY, Date.parse(from), Date.parse(to), 1000).slots.map((s) =>
      new Date(s).toISOString(),
    );

  it('runs a daily job in the spring-forward gap once, at the first instant after the gap', () => {
    expect(slots('30 2 * * *', '2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z')).toEqual([
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-08T07:00:00.000Z', // 02:30 does not exist: 03:00 EDT
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
    ]);
  });

  it('runs a daily job in the repeated fall-back hour once', () => {
    expect(slots('30 1 * * *', '2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z')).toEqual([
      '2026-10-31T05:30:00.000Z', // 01:30 EDT
      '2026-11-01T05:30:00.000Z', // first 01:30 (EDT), not the second (EST)
      '2026-11-02T06:30:00.000Z', // 01:30 EST
    ]);
  });

  it('runs an hourly job by real time: 23 slots on the short day, 25 on the long one', () => {
    expect(slots('0 * * * *', '2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z')).toHaveLength(23);
    const long = slots('0 * * * *', '2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z');
    expect(long).toHaveLength(25);
    expect(new Set(long).size).toBe(25);
  });

  it('collapses sub-hourly slots in the gap onto one instant rather than firing them twice', () => {
    const day = slots('*/15 * * * *', '2026-03-08T04:59:59Z', '2026-03-09T03:59:59Z');
    expect(new Set(day).size).toBe(day.length);
    expect(day).toHaveLength(92);
  });

  it('caps the enumeration and says so', () => {
    const r = slotsBetween(parseCron('* * * * * *'), 'UTC', 0, 3_600_000, 100);
    expect(r.slots).toHaveLength(100);
    expect(r.truncated).toBe(true);
  });
});
