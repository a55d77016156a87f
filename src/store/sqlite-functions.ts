/** SQL functions the embedded store's statements use that SQLite does not have, written in JavaScript. */
import type { DatabaseSync as Database } from 'node:sqlite';

/** The SQL functions the store's SQLite statements use that SQLite lacks. */
export function addFunctions(db: Database): void {
  db.function('now', () => new Date().toISOString());
  // percentile_cont over a json_group_array of the values (nulls ignored): PostgreSQL's interpolation.
  db.function('percentile_cont_json', (values: unknown, fraction: unknown) => {
    const xs = (JSON.parse(values as string) as unknown[])
      .filter((x): x is number => typeof x === 'number')
      .sort((a, b) => a - b);
    if (!xs.length) return null;
    const at = (xs.length - 1) * Number(fraction);
    const low = Math.floor(at);
    const high = Math.ceil(at);
    return xs[low]! + (xs[high]! - xs[low]!) * (at - low);
  });
  // The calendar day (YYYY-MM-DD) of an RFC 3339 instant in an IANA time zone.
  const days = new Map<string, Intl.DateTimeFormat>();
  db.function('local_day', { deterministic: true }, (instant: unknown, zone: unknown) => {
    if (typeof instant !== 'string') return null;
    let format = days.get(zone as string);
    if (!format) {
      format = new Intl.DateTimeFormat('en-CA', {
        timeZone: zone as string,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      });
      days.set(zone as string, format);
    }
    return format.format(new Date(instant));
  });
}
