/**
 * noop: does nothing but succeed (after an optional pause). Proves the path from schedule
 * or trigger through the queue to the history works — `opscron trigger noop` is the
 * quickest smoke test of a deployment — and is what the throughput benchmark runs.
 */
import { z } from 'zod';
import { duration } from '../config/schema.js';
import { defineJob } from './types.js';

export const noop = defineJob({
  type: 'noop',
  summary: 'Does nothing and succeeds: a smoke test of scheduling, queue and history',
  params: z.strictObject({ sleep: duration.default(0) }),
  overridable: ['sleep'],
  async run(ctx, params) {
    // Sleeps in steps of at most a second, reporting progress, so long no-ops show it too.
    for (let slept = 0; slept < params.sleep;) {
      const step = Math.min(1000, params.sleep - slept);
      await ctx.sleep(step);
      slept += step;
      ctx.progress(slept / params.sleep, `slept ${slept} of ${params.sleep} ms`);
    }
    return { status: 'ok', summary: params.sleep ? `slept ${params.sleep} ms` : 'nothing to do', findings: [] };
  },
});
