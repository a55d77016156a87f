/**
 * A schedule in words, for people: `0 7 * * *` in Europe/Berlin reads "every day at 07:00
 * Europe/Berlin". Covers the forms schedules are usually written in (fixed times, steps,
 * weekdays, days of the month, months, the @ aliases); anything else reads as the fields
 * it is made of, never as something it is not. Pure.
 */
import { ALIASES, parseCron } from './expression.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const pad = (n: number) => String(n).padStart(2, '0');
const INT = /^\d+$/;

/** A field with month and day names turned into numbers (Sunday as 7 becomes 0). */
function numeric(field: string, names: string[], offset: number): string {
  return field.toLowerCase().replace(/[a-z]{3}/g, (name) => {
    const i = names.indexOf(name);
    return i < 0 ? name : String(i + offset);
  });
}

/** "a, b and c". */
function list(items: string[]): string {
  return items.length < 2 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The integers of a plain comma list ("1,15"), or null if it holds ranges, steps or wildcards. */
function ints(field: string): number[] | null {
  const parts = field.split(',');
  return parts.every((p) => INT.test(p)) ? parts.map(Number) : null;
}

function timeOfDay(minute: string, hour: string): string | null {
  const minutes = ints(minute);
  const hours = ints(hour);
  if (minutes && hours && minutes.length * hours.length <= 6)
    return `at ${list(hours.flatMap((h) => minutes.map((m) => `${pad(h)}:${pad(m)}`)))}`;
  if (minutes && hour === '*') return `every hour at ${list(minutes.map((m) => `:${pad(m)}`))}`;
  const hourStep = /^(?:\*|0)\/(\d+)$/.exec(hour);
  if (minutes && hourStep) return `every ${hourStep[1]} hours at ${list(minutes.map((m) => `:${pad(m)}`))}`;
  if (minute === '*' && hour === '*') return 'every minute';
  const minuteStep = /^(?:\*|0)\/(\d+)$/.exec(minute);
  const hourRange = /^(\d+)-(\d+)$/.exec(hour);
  if (minuteStep && hour === '*') return `every ${minuteStep[1]} minutes`;
  if (minuteStep && hourRange)
    return `every ${minuteStep[1]} minutes from ${pad(Number(hourRange[1]))}:00 to ${pad(Number(hourRange[2]))}:59`;
  return null;
}

function weekdays(field: string): string | null {
  const nth = /^(\d)#(\d)$/.exec(field);
  if (nth)
    return `on the ${['', 'first', 'second', 'third', 'fourth', 'fifth'][Number(nth[2])]} ${DAYS[Number(nth[1]) % 7]} of the month`;
  const last = /^(\d)l$/.exec(field);
  if (last) return `on the last ${DAYS[Number(last[1]) % 7]} of the month`;
  if (field === '1-5') return 'on weekdays';
  const days = ints(field) ?? (/^(\d)-(\d)$/.test(field) ? range(field) : null);
  if (!days) return null;
  const set = [...new Set(days.map((d) => d % 7))].sort();
  if (set.join() === '0,6') return 'on weekends';
  return `on ${list(set.map((d) => `${DAYS[d]}s`))}`;
}

function range(field: string): number[] {
  const [a, b] = field.split('-').map(Number) as [number, number];
  return Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
}

function monthDays(field: string): string | null {
  if (field === 'l') return 'on the last day of the month';
  const days = ints(field);
  if (!days) return null;
  return `on day${days.length > 1 ? 's' : ''} ${list(days.map(String))} of the month`;
}

/** The schedule in words with its time zone, e.g. "every day at 07:00 Europe/Berlin". */
export function describeSchedule(expression: string, timeZone: string): string {
  const trimmed = expression.trim();
  parseCron(trimmed); // refuses what is no schedule, as config validation does
  const expanded = trimmed.startsWith('@') ? ALIASES[trimmed.toLowerCase()]! : trimmed;
  const fields = expanded.split(/\s+/);
  const [second, rest] = fields.length === 6 ? [fields[0]!, fields.slice(1)] : ['0', fields];
  const [minute, hour, dom, month, dow] = rest as [string, string, string, string, string];
  const fallback = `cron "${trimmed}" (${timeZone})`;
  if (second !== '0') return fallback;
  const time = timeOfDay(minute, hour);
  const dowN = numeric(dow, DAY_NAMES, 0).replace(/\b7\b/g, '0');
  const day =
    dom === '*' && dowN === '*'
      ? null
      : dom === '*'
        ? weekdays(dowN)
        : dowN === '*'
          ? monthDays(dom.toLowerCase())
          : undefined;
  const months = month === '*' ? [] : ints(numeric(month, MONTH_NAMES, 1));
  if (!time || day === undefined || (month !== '*' && day === null && !months) || months === null) return fallback;
  const monthWords = months.length ? ` in ${list(months.map((m) => MONTHS[m - 1] ?? String(m)))}` : '';
  const clock = time.startsWith('at ');
  const when = day ? `${day} ${time}` : clock ? `every day ${time}` : time;
  return clock ? `${when}${monthWords} ${timeZone}` : `${when}${monthWords} (${timeZone})`;
}
