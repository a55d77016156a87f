/** When a runbook's section runs, from its headings and prose (pure): a cron schedule, or by hand. */
import type { Heading } from './types.js';

const MANUAL =
  /\b(incident|emergenc|outage|troubleshoot|recover|restore|rollback|roll back|on[- ]demand|by hand|manual|when|if |ad[- ]hoc|break[- ]glass)/i;
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** A cron schedule for the text, or undefined when it names no frequency. */
export function frequency(text: string): string | undefined {
  const t = text.toLowerCase();
  let m = /every (\d{1,2}) ?(minutes?|mins?|m)\b/.exec(t);
  if (m && Number(m[1]) >= 1 && Number(m[1]) <= 59) return `*/${m[1]} * * * *`;
  m = /every (\d{1,2}) ?(hours?|h)\b/.exec(t);
  if (m && Number(m[1]) >= 1 && Number(m[1]) <= 23) return `0 */${m[1]} * * *`;
  if (/every minute/.test(t)) return '* * * * *';
  if (/\bhourly\b|every hour/.test(t)) return '@hourly';
  const at = /\bat (\d{1,2})[:.h](\d{2})\b/.exec(t);
  const hour = at && Number(at[1]) < 24 && Number(at[2]) < 60 ? { h: Number(at[1]), m: Number(at[2]) } : undefined;
  if (/\b(daily|nightly|every day|every night|each day)\b/.test(t))
    return hour ? `${hour.m} ${hour.h} * * *` : '@daily';
  if (/\bweekly\b|every week|each week/.test(t) || DAYS.some((d) => t.includes(`every ${d}`))) {
    const day = DAYS.findIndex((d) => t.includes(d));
    return day >= 0 || hour ? `${hour?.m ?? 0} ${hour?.h ?? 0} * * ${day >= 0 ? day : 0}` : '@weekly';
  }
  if (/\bmonthly\b|every month|each month/.test(t)) return hour ? `${hour.m} ${hour.h} 1 * *` : '@monthly';
  return undefined;
}

export interface When {
  schedule?: string;
  /** Why: which heading (or the prose) said so, or why it runs by hand. */
  why: string;
}

/**
 * The deepest heading that names a frequency or a manual procedure decides; then the
 * section's prose; otherwise the job runs by hand.
 */
export function when(headings: readonly Heading[], prose: string): When {
  for (let i = headings.length - 1; i >= 0; i--) {
    const text = headings[i]!.text;
    const schedule = frequency(text);
    if (schedule) return { schedule, why: `"${text}"` };
    if (MANUAL.test(text)) return { why: `"${text}" is done by hand` };
  }
  const schedule = frequency(prose);
  if (schedule) return { schedule, why: "the section's text" };
  return { why: 'the runbook names no schedule for it' };
}
