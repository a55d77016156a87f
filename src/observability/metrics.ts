/** The Prometheus metrics of DESIGN.md (prefix opscron_), one registry per process. */
import client from 'prom-client';

export class Metrics {
  readonly registry = new client.Registry();
  readonly jobRuns = new client.Counter({ name: 'opscron_job_runs_total', help: 'Runs that ended, by job, type, status and trigger.', labelNames: ['job', 'type', 'status', 'trigger'] as const, registers: [this.registry] });
  readonly jobDuration = new client.Histogram({ name: 'opscron_job_duration_seconds', help: 'Run duration.', labelNames: ['job', 'type'] as const, buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800], registers: [this.registry] });
  readonly scheduleLag = new client.Histogram({ name: 'opscron_schedule_lag_seconds', help: 'Enqueue time minus slot time of scheduled fires.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30], registers: [this.registry] });
  readonly missedSlots = new client.Counter({ name: 'opscron_missed_slots_total', help: 'Schedule slots that did not run (downtime beyond the catch-up deadline, enqueue failures).', labelNames: ['job'] as const, registers: [this.registry] });
  readonly queueJobs = new client.Gauge({ name: 'opscron_queue_jobs', help: 'Queue jobs by state.', labelNames: ['state'] as const, registers: [this.registry] });
  readonly lastSuccess = new client.Gauge({ name: 'opscron_last_success_timestamp_seconds', help: 'End time of the last run with status ok or warning.', labelNames: ['job'] as const, registers: [this.registry] });
  readonly schedulerHeartbeat = new client.Gauge({ name: 'opscron_scheduler_heartbeat_timestamp_seconds', help: 'Last time the scheduler loop ran.', registers: [this.registry] });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) client.collectDefaultMetrics({ register: this.registry, prefix: '' });
  }
}
