/** The Prometheus metrics of DESIGN.md (prefix opscron_), one registry per process. */
import client from 'prom-client';

export class Metrics {
  readonly registry = new client.Registry();
  readonly jobRuns = new client.Counter({
    name: 'opscron_job_runs_total',
    help: 'Runs that ended, by job, type, status and trigger.',
    labelNames: ['job', 'type', 'status', 'trigger'] as const,
    registers: [this.registry],
    collect: () => this.collectRuns(),
  });
  readonly jobDuration = new client.Histogram({
    name: 'opscron_job_duration_seconds',
    help: 'Run duration.',
    labelNames: ['job', 'type'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [this.registry],
  });
  readonly scheduleLag = new client.Histogram({
    name: 'opscron_schedule_lag_seconds',
    help: 'Enqueue time minus slot time of scheduled fires.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30],
    registers: [this.registry],
  });
  readonly missedSlots = new client.Counter({
    name: 'opscron_missed_slots_total',
    help: 'Schedule slots that did not run (downtime beyond the catch-up deadline, enqueue failures).',
    labelNames: ['job'] as const,
    registers: [this.registry],
  });
  readonly queueJobs: client.Gauge<'state'> & { collect?: (this: client.Gauge<'state'>) => Promise<void> } =
    new client.Gauge({
      name: 'opscron_queue_jobs',
      help: 'Queue jobs by state (read at scrape time).',
      labelNames: ['state'] as const,
      registers: [this.registry],
    });
  readonly lastSuccess = new client.Gauge({
    name: 'opscron_last_success_timestamp_seconds',
    help: 'End time of the last run with status ok or warning.',
    labelNames: ['job'] as const,
    registers: [this.registry],
    collect: () => this.collectRuns(),
  });
  readonly reportDeliveries = new client.Counter({
    name: 'opscron_report_deliveries_total',
    help: 'Outbox delivery attempts (reports, incident alerts and notifications) by channel (email, outbox, webhook, slack, pagerduty) and status (sent, retry, failed: attempts spent, refused: the receiver answered 4xx, not retried).',
    labelNames: ['channel', 'status'] as const,
    registers: [this.registry],
  });
  readonly incidentsOpen: client.Gauge<'service' | 'signal'> & {
    collect?: (this: client.Gauge<'service' | 'signal'>) => Promise<void>;
  } = new client.Gauge({
    name: 'opscron_incidents_open',
    help: 'Open incidents by service and signal.',
    labelNames: ['service', 'signal'] as const,
    registers: [this.registry],
  });
  readonly historyWriteErrors: client.Counter<'log' | 'outcome'> & {
    collect?: (this: client.Counter<'log' | 'outcome'>) => void;
  } = new client.Counter({
    name: 'opscron_history_write_errors_total',
    help: 'History (run rows, audit entries) not written at the first try: statements that failed and were retried (outcome retried), rows written with a refused field replaced (repaired), rows dropped as unwritable (dropped).',
    labelNames: ['log', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly historyBacklog: client.Gauge & { collect?: (this: client.Gauge) => void } = new client.Gauge({
    name: 'opscron_history_backlog_rows',
    help: 'Run rows waiting to be written to the store.',
    registers: [this.registry],
  });
  readonly historyBytes: client.Gauge & { collect?: (this: client.Gauge) => Promise<void> } = new client.Gauge({
    name: 'opscron_run_history_bytes',
    help: 'Disk the run history takes: PostgreSQL, the runs table and its indexes; the embedded store, the pages in use in its file (runs are nearly all of it). Rows past store.retention are deleted hourly.',
    registers: [this.registry],
  });
  readonly schedulerHeartbeat = new client.Gauge({
    name: 'opscron_scheduler_heartbeat_timestamp_seconds',
    help: 'Last time the scheduler loop ran.',
    registers: [this.registry],
  });

  /**
   * Runs are counted here and handed to prom-client when it is read (collect): its label
   * lookups validate and hash the labels on every call, even through `labels()` children,
   * which measured ~0.5 µs of the worker's time per run at thousands of runs a second.
   */
  private readonly runSeries = new Map<
    string,
    {
      runs: { job: string; type: string; status: string; trigger: string };
      ended: number;
      duration: { job: string; type: string };
    }
  >();
  private readonly successes = new Map<string, number>();

  /** Counts one finished run: outcome, duration and, for ok or warning, the success time. */
  recordRun(
    job: string,
    type: string,
    status: string,
    trigger: string,
    seconds: number | null,
    finishedAt: number,
  ): void {
    const key = `${job}\u0000${type}\u0000${status}\u0000${trigger}`;
    let series = this.runSeries.get(key);
    if (!series)
      this.runSeries.set(key, (series = { runs: { job, type, status, trigger }, ended: 0, duration: { job, type } }));
    series.ended++;
    if (seconds !== null) this.jobDuration.observe(series.duration, seconds);
    if (status === 'ok' || status === 'warning') this.successes.set(job, finishedAt / 1000);
  }

  private collectRuns(): void {
    for (const series of this.runSeries.values()) {
      if (series.ended) this.jobRuns.inc(series.runs, series.ended);
      series.ended = 0;
    }
    for (const [job, at] of this.successes) this.lastSuccess.set({ job }, at);
    this.successes.clear();
  }

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) {
      client.collectDefaultMetrics({ register: this.registry, prefix: '' });
      // prom-client also exports the sums of three grouped gauges as *_total gauges, which
      // promtool rejects (that suffix means a counter); sum() of the grouped ones says the same.
      for (const name of [
        'nodejs_active_handles_total',
        'nodejs_active_requests_total',
        'nodejs_active_resources_total',
      ]) {
        this.registry.removeSingleMetric(name);
      }
    }
  }
}
