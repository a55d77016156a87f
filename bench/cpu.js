/**
 * CPU time of the processes a benchmark round keeps busy, read from /proc (Linux; zeros
 * elsewhere): this process's main thread (where BullMQ's fetch loop and opscron's worker
 * run), its other threads (garbage collection helpers), redis-server, and every backend
 * of the PostgreSQL cluster. On a 2-vCPU machine they share two cores, so CPU spent by
 * any of them is throughput lost by all; the throughput bench prints it per job.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

function ticks(path) {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime + stime
  } catch {
    return 0;
  }
}

function childrenOf(ppid) {
  const out = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(ppid)) out.push(pid);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Returns a function that reads the counters now, in ms; `diff(a, b, jobs)` gives µs per job. */
export function cpuMeter({ redisPid, pgDataDir }) {
  let postmaster = 0;
  try {
    postmaster = Number(readFileSync(`${pgDataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
  } catch {
    /* no cluster */
  }
  return () => {
    const backends = postmaster ? childrenOf(postmaster) : [];
    return {
      main: ticks(`/proc/${process.pid}/task/${process.pid}/stat`),
      node: ticks(`/proc/${process.pid}/stat`),
      redis: ticks(`/proc/${redisPid}/stat`),
      pg: Object.fromEntries(backends.map((pid) => [pid, ticks(`/proc/${pid}/stat`)])),
    };
  };
}

export function perJob(a, b, jobs) {
  let pg = 0;
  for (const [pid, ms] of Object.entries(b.pg)) pg += ms - (a.pg[pid] ?? 0); // backends that exited are not counted
  const us = (ms) => Math.round((ms * 1000) / jobs);
  return {
    main: us(b.main - a.main),
    helpers: us(b.node - a.node - (b.main - a.main)),
    redis: us(b.redis - a.redis),
    pg: us(pg),
  };
}
