/**
 * Redis' own doctors, read for what they mean rather than for a word in them: MEMORY
 * DOCTOR addresses Sam and LATENCY DOCTOR addresses Dave in their all-clear texts as well
 * as in their reports (Redis 7, src/object.c and src/latency.c), so only a report of
 * issues is a finding. LATENCY DOCTOR has nothing to say while latency monitoring is off,
 * Redis' default: that is said, with how to turn it on.
 */
import type { Check } from './judged.js';

/** The doctors' reports on one line, short enough for a message. */
const oneLine = (report: string) => report.replace(/\s+/g, ' ').trim().slice(0, 400);

/** MEMORY DOCTOR's texts when it finds nothing: no issue, or too little memory in use to judge. */
const MEMORY_HEALTHY = [/can't find any memory issue/i, /instance is empty or is using very little memory/i];
/** LATENCY DOCTOR's texts that report nothing: no spike observed, or monitoring disabled (said by latencyMonitorOff). */
const LATENCY_HEALTHY = [/no latency spike was observed/i, /latency monitoring is disabled/i];

export type DoctorVerdict = 'healthy' | 'issues' | 'silent';

/** What a doctor's text says: nothing (empty), all clear, or anything else — issues, in words opscron shows as they are. */
export function doctorVerdict(text: string, healthy: RegExp[]): DoctorVerdict {
  if (!text.trim()) return 'silent';
  return healthy.some((h) => h.test(text)) ? 'healthy' : 'issues';
}

export const memoryDoctor: Check = ({ r, s }) =>
  doctorVerdict(s.memoryDoctor, MEMORY_HEALTHY) === 'issues'
    ? {
        severity: 'info',
        check: 'redis.memory-doctor',
        resource: r,
        message: `MEMORY DOCTOR: ${oneLine(s.memoryDoctor)}`,
      }
    : null;

/**
 * LATENCY DOCTOR speaks of every spike since Redis started (or LATENCY RESET). Where LATENCY
 * LATEST says when each event last spiked, only a spike the previous run had not seen is a
 * finding; the doctor's words come with it.
 */
export const latencyDoctor: Check = ({ r, s, i }) => {
  if (doctorVerdict(s.latencyDoctor, LATENCY_HEALTHY) !== 'issues') return null;
  const seen = i.latencySeen;
  const fresh = s.latencyLatest?.filter((e) => !seen || !Object.hasOwn(seen, e.event) || e.at > seen[e.event]!);
  if (fresh && seen && !fresh.length) return null;
  const spikes = (fresh ?? [])
    .slice(0, 5)
    .map((e) => `${e.event} ${e.latestMs} ms (worst ${e.maxMs} ms)`)
    .join(', ');
  return {
    severity: 'info',
    check: 'redis.latency-doctor',
    resource: r,
    message: `${spikes ? `latency spikes ${seen ? i.text : 'since Redis started or LATENCY RESET'}: ${spikes}. ` : ''}LATENCY DOCTOR (since Redis started or LATENCY RESET): ${oneLine(s.latencyDoctor)}`,
    evidence: fresh,
    remedy: 'LATENCY RESET once the cause is dealt with, so the next report shows only new spikes.',
  };
};

/** latency-monitor-threshold 0 (the default): Redis records no latency events and the doctor cannot help. */
export const latencyMonitorOff: Check = ({ r, s }) => {
  const threshold = s.config['latency-monitor-threshold'];
  const off =
    threshold === undefined ? /latency monitoring is disabled/i.test(s.latencyDoctor) : Number(threshold) === 0;
  return off
    ? {
        severity: 'info',
        check: 'redis.latency-monitor-off',
        resource: r,
        message:
          "latency monitoring is off (latency-monitor-threshold 0, Redis' default): Redis records no latency spikes, so LATENCY DOCTOR cannot report any",
        remedy:
          'CONFIG SET latency-monitor-threshold 100 (milliseconds; and in redis.conf to keep it): Redis then records events slower than that, at negligible cost.',
      }
    : null;
};
