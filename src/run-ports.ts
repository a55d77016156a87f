/**
 * The ports a job gets in its JobContext, implemented on the store: a read-only view of
 * the history, report production, and recorded reverts. Jobs see these interfaces
 * (jobs/types.ts), never SQL, and never which job types feed what (feeds.ts decides).
 */
import type { OpscronConfig } from './config/schema.js';
import type { Feeds } from './feeds.js';
import type { HistoryPort, JobContext, ReportsPort, RevertsPort, StatePort } from './jobs/types.js';
import { serviceOfJobs } from './reports/inputs.js';
import { produceReport } from './reports/publish.js';
import type { Store } from './store/index.js';

export interface PortDeps {
  store: Store;
  config: OpscronConfig;
  feeds: Feeds;
  /** A mail was queued (a report job's): send it now rather than at the next poll. */
  onMailQueued?: () => void;
}

export interface RunIdentity {
  runId: string;
  jobId: string;
  now: () => Date;
  progress: (fraction: number, note?: string) => void;
  /** The run was cancelled (timeout, replaced, shutdown): what it keeps for the next run is refused. */
  aborted?: () => boolean;
  /** A trigger tuned the run (run-request.ts tunedByTrigger): it reads the job's state but keeps none. */
  tuned?: boolean;
}

export type JobPorts = Pick<JobContext, 'history' | 'reports' | 'reverts' | 'state'>;

export function jobPorts(deps: PortDeps, run: RunIdentity): JobPorts {
  return {
    history: historyPort(deps, run),
    reports: reportsPort(deps, run),
    reverts: revertsPort(deps, run),
    state: statePort(deps, run),
  };
}

function historyPort({ store, config, feeds }: PortDeps, run: RunIdentity): HistoryPort {
  return {
    previousFindings: () => store.runs.previousFindings(run.jobId, run.runId),
    async operations(periodMs, backupTargetMs) {
      const now = run.now();
      const period = { from: new Date(now.getTime() - periodMs), to: now, timeZone: config.timezone };
      const backupTypes = feeds.typesWith('backup');
      const errorLogs = feeds.one('errorLogs');
      const [last, logs, jobs, destructive] = await Promise.all([
        backupTypes.length ? store.reportData.lastSuccessOf(backupTypes, now) : [],
        errorLogs
          ? store.reportData.metricByDay(
              period,
              { types: errorLogs.types, metric: errorLogs.feed },
              serviceOfJobs(config),
            )
          : [],
        store.reportData.jobRunSummary(period),
        store.reportData.destructiveActions(period),
      ]);
      const lastSuccess = new Map(last.map((b) => [b.job, b.at]));
      return {
        backups: config.jobs
          .filter((j) => backupTypes.includes(j.type))
          .map((j) => ({ job: j.id, lastSuccess: lastSuccess.get(j.id) ?? null, targetMs: backupTargetMs })),
        failingJobs: jobs
          .filter((j) => j.job !== run.jobId)
          .map((j) => ({ job: j.job, failed: j.failed + j.other, missed: j.missed })),
        destructive,
        errorLogs: logs
          .filter((r) => r.day === null)
          .map((r) => ({ service: r.service, errors: Math.round(r.value ?? 0) })),
      };
    },
  };
}

function reportsPort({ store, config, feeds, onMailQueued }: PortDeps, run: RunIdentity): ReportsPort {
  return {
    async produce(request) {
      const produced = await produceReport(
        { store, config, feeds, now: run.now, progress: run.progress },
        { ...request, runId: run.runId, origin: 'job' },
      );
      if (produced.delivery) onMailQueued?.();
      return produced;
    },
  };
}

function revertsPort({ store }: PortDeps, run: RunIdentity): RevertsPort {
  return {
    schedule: (revert) => store.reverts.schedule({ ...revert, runId: run.runId, now: run.now() }),
  };
}

function statePort({ store }: PortDeps, run: RunIdentity): StatePort {
  return {
    get: (scope) => store.jobState.get(run.jobId, scope),
    // A cancelled run's reading would move the baseline past an interval nobody judged (the
    // worker has stopped waiting for it): the next run judges from the last one that finished.
    put: async (scope, value) => {
      // A tuned run judged by the trigger's thresholds: the next configured run goes on from the last one's state.
      if (run.tuned) return;
      if (run.aborted?.())
        throw new Error(
          `run ${run.runId} was cancelled: its state for ${scope} is not kept, so the next run judges from the last finished one`,
        );
      await store.jobState.put(run.jobId, scope, run.runId, run.now(), value);
    },
  };
}
