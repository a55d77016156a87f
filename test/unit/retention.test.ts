/**
 * Grandfather-father-son retention as db-backup and config-backup apply it: the newest
 * backup of each of the last N days, ISO weeks and months (UTC), and always the newest one.
 */
import { retain } from '../../src/analysis/retention.js';

const at = (iso: string) => new Date(iso);
/** A backup as the store lists it: its key and when it was taken, with what else the caller carries. */
const backup = (iso: string) => ({ key: `backups/orders/${iso}.dump`, at: at(iso), bytes: 1024 });
const days = (keep: { keep: Array<{ at: Date }> }) => keep.keep.map((b) => b.at.toISOString().slice(0, 16));

describe('retain', () => {
  /** A nightly backup at 02:00 UTC for 45 nights, 2026-10-13 … 2026-11-26, given oldest first. */
  const nightly = Array.from({ length: 45 }, (_, i) => backup(new Date(Date.UTC(2026, 9, 13 + i, 2)).toISOString()));

  it('keeps the last 7 nights, then one a week for 4 ISO weeks, one a month for 3 months', () => {
    const { keep, remove } = retain(nightly, { daily: 7, weekly: 4, monthly: 3 });
    expect(days({ keep })).toEqual([
      '2026-11-26T02:00', // Thursday: daily, the week 48 and the November backup
      '2026-11-25T02:00',
      '2026-11-24T02:00',
      '2026-11-23T02:00',
      '2026-11-22T02:00', // Sunday: the newest of week 47
      '2026-11-21T02:00',
      '2026-11-20T02:00',
      '2026-11-15T02:00', // Sunday of week 46
      '2026-11-08T02:00', // Sunday of week 45
      '2026-10-31T02:00', // the newest of October
    ]);
    expect(keep.length + remove.length).toBe(45);
    expect(remove.filter((b) => keep.includes(b))).toEqual([]);
    expect(remove[0]!.at.toISOString()).toBe('2026-11-19T02:00:00.000Z'); // newest first, like keep
  });

  it('of backups on the same UTC day, keeps the latest', () => {
    const { keep, remove } = retain(
      [backup('2026-11-26T01:00:00Z'), backup('2026-11-26T13:00:00Z'), backup('2026-11-25T23:30:00-05:00')],
      { daily: 2, weekly: 0, monthly: 0 },
    );
    // 23:30 in New York on the 25th is 04:30 UTC on the 26th: the same UTC day as the other two.
    expect(days({ keep })).toEqual(['2026-11-26T13:00']);
    expect(days({ keep: remove })).toEqual(['2026-11-26T04:30', '2026-11-26T01:00']);
  });

  it('counts days that have a backup, so a gap keeps older backups rather than fewer', () => {
    const gappy = ['2026-11-26', '2026-11-20', '2026-11-10', '2026-11-01'].map((d) => backup(`${d}T02:00:00Z`));
    expect(days(retain(gappy, { daily: 3, weekly: 0, monthly: 0 }))).toEqual([
      '2026-11-26T02:00',
      '2026-11-20T02:00',
      '2026-11-10T02:00',
    ]);
  });

  it('uses ISO weeks: the days around New Year 2027 are one week (2026-W53)', () => {
    const newYear = ['2027-01-01', '2026-12-28', '2026-12-27'].map((d) => backup(`${d}T02:00:00Z`));
    expect(days(retain(newYear, { daily: 0, weekly: 2, monthly: 0 }))).toEqual([
      '2027-01-01T02:00', // Friday of 2026-W53
      '2026-12-27T02:00', // Sunday of 2026-W52; Monday the 28th is in W53 with New Year's Day
    ]);
  });

  it('always keeps the newest backup, even when the policy keeps nothing', () => {
    const { keep, remove } = retain(nightly.slice(0, 3), { daily: 0, weekly: 0, monthly: 0 });
    expect(days({ keep })).toEqual(['2026-10-15T02:00']);
    expect(remove).toHaveLength(2);
  });

  it("returns the caller's own objects, and nothing for no backups", () => {
    const { keep } = retain(nightly, { daily: 1, weekly: 0, monthly: 0 });
    expect(keep[0]).toBe(nightly[44]);
    expect(keep[0]!.bytes).toBe(1024);
    expect(retain([], { daily: 7, weekly: 4, monthly: 6 })).toEqual({ keep: [], remove: [] });
  });
});
