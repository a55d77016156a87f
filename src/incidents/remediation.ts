/**
 * Remediation of an open incident: each configured step runs as a job through the queue
 * (audited as opscron/incidents; a destructive step is confirmed by being configured), is
 * waited for and recorded on the incident's timeline; after each, the failing check runs
 * again, and remediation stops as soon as the service is healthy.
 */
import { isDestructive, triggerRun } from '../actions.js';
import type { Clock } from '../clock.js';
import type { OpscronConfig } from '../config/schema.js';
import type { RunRow } from '../model.js';
import type { Logger } from '../observability/logger.js';
import { describe } from '../observability/redact.js';
import type { RunQueue } from '../queue/types.js';
import type { Store } from '../store/index.js';
import type { Opened } from './alert.js';

export const INCIDENT_ACTOR = 'opscron/incidents';
const POLL_MS = 200;

export interface RemediationDeps {
  config: OpscronConfig;
  store: Store;
  queue: RunQueue;
  logger: Logger;
  clock: Clock;
  /** Whether the manager is stopping (no new step starts then). */
  stopping: () => boolean;
  /** Resolves when what the manager has observed for the service so far is applied. */
  settled: (service: string) => Promise<void>;
}

export type Step = OpscronConfig['incidents']['remediation'][string][number];

export function stepsFor(config: OpscronConfig, service: string): Step[] {
  const r = config.incidents.remediation;
  return r[service] ?? r['*'] ?? [];
}

export class Remediation {
  constructor(private readonly o: RemediationDeps) {}

  private now(): Date {
    return new Date(this.o.clock.now());
  }

  async run(incident: Opened): Promise<void> {
    const steps = stepsFor(this.o.config, incident.service);
    for (const [i, step] of steps.entries()) {
      if (this.o.stopping() || !(await this.o.store.incidents.stillFailing(incident.id))) return;
      await this.step(incident, step, `incident ${incident.id}: remediation step ${i + 1} of ${steps.length}`);
      if (this.o.config.incidents.verify) await this.verify(incident);
    }
  }

  private async step(incident: Opened, step: Step, reason: string): Promise<void> {
    const { store, config } = this.o;
    const job = config.jobs.find((j) => j.id === step.job)!;
    await store.incidents.event(
      incident.id,
      this.now(),
      'remediation-started',
      step.job,
      null,
      `${step.job} (${job.type}) started`,
    );
    try {
      // Listed in the configuration for this service: that is the confirmation a destructive step needs.
      const params = { ...step.params, ...(isDestructive(job) ? { confirm: true } : {}) };
      const runId = await triggerRun(
        { config, queue: this.o.queue, store },
        { jobId: step.job, params, reason, actor: INCIDENT_ACTOR, source: 'incident' },
      );
      const run = await this.waitForRun(runId, step.timeout);
      const summary = run
        ? `${step.job} ${run.status}: ${run.summary ?? ''}`
        : `${step.job} did not finish within ${step.timeout} ms`;
      await store.incidents.event(incident.id, this.now(), 'remediation-finished', step.job, run?.id ?? runId, summary);
    } catch (error) {
      await store.incidents.event(
        incident.id,
        this.now(),
        'remediation-finished',
        step.job,
        null,
        `${step.job} could not run: ${describe(error)}`,
      );
    }
  }

  /** Runs the check that went critical again, now: its outcome moves the signal like any run. */
  private async verify(incident: Opened): Promise<void> {
    // An incident an alert opened has no check of ours to run again: its next alert says.
    if (!this.o.config.jobs.some((j) => j.id === incident.jobId)) return;
    if (this.o.stopping() || !(await this.o.store.incidents.stillFailing(incident.id))) return;
    try {
      const runId = await triggerRun(
        { config: this.o.config, queue: this.o.queue, store: this.o.store },
        {
          jobId: incident.jobId,
          reason: `incident ${incident.id}: verify after remediation`,
          actor: INCIDENT_ACTOR,
          source: 'incident',
        },
      );
      const job = this.o.config.jobs.find((j) => j.id === incident.jobId)!;
      await this.waitForRun(runId, job.timeout + 5_000);
      await this.o.settled(incident.service); // its verdict applied before the next step decides
    } catch (error) {
      this.o.logger.warn({ err: error, incident: incident.id }, 'could not verify after a remediation step');
    }
  }

  /** The run's final row, polled on the clock, or null if it did not end within `timeoutMs`. */
  private async waitForRun(queueId: string, timeoutMs: number): Promise<RunRow | null> {
    const deadline = this.o.clock.now() + timeoutMs;
    while (this.o.clock.now() < deadline && !this.o.stopping()) {
      const run = await this.o.store.runs.get(queueId);
      if (run && run.status !== 'running') return run;
      await new Promise<void>((resolve) => this.o.clock.setTimeout(resolve, POLL_MS));
    }
    return null;
  }
}
