/**
 * The runs of this process, watched by one timer while there are any, instead of one per
 * run (a Timeout and two closures for each of thousands of runs a second): a run past its
 * timeout is aborted through its signal (up to WATCH_MS late), and a run still going after
 * START_ROW_DELAY_MS gets its `running` row written — most runs end within milliseconds and
 * are written once, at the end.
 */
import { RunTimeoutError } from './errors.js';
import type { RunRow } from './model.js';
import type { RunContext, RunProgress } from './run-context.js';

const WATCH_MS = 25;
const START_ROW_DELAY_MS = 250;

interface ActiveRun {
  ctx: RunContext;
  row: RunRow;
  timeoutMs: number;
  rowDueAt: number;
  deadline: number;
}

export class RunWatch {
  private readonly active = new Map<string, ActiveRun>();
  private timer: NodeJS.Timeout | null = null;

  /** `writeRunning`: the row of a run still going after START_ROW_DELAY_MS (as it is then). */
  constructor(private readonly writeRunning: (row: RunRow) => void) {}

  add(ctx: RunContext, row: RunRow, timeoutMs: number): void {
    const now = performance.now();
    this.active.set(row.id, {
      ctx,
      row,
      timeoutMs,
      rowDueAt: timeoutMs <= START_ROW_DELAY_MS ? Infinity : now + START_ROW_DELAY_MS,
      deadline: now + timeoutMs,
    });
    this.timer ??= setInterval(() => this.tick(), WATCH_MS);
  }

  delete(runId: string): void {
    this.active.delete(runId);
  }

  /** Progress of the runs in this process, by run id. */
  progress(): Map<string, RunProgress | undefined> {
    return new Map([...this.active].map(([id, run]) => [id, run.ctx.progressState]));
  }

  /** Aborts the runs (of one job, or all) with `reason`. */
  abort(reason: unknown, jobId?: string): void {
    for (const { ctx } of this.active.values()) if (jobId === undefined || ctx.jobId === jobId) ctx.abort(reason);
  }

  private tick(): void {
    if (!this.active.size) {
      clearInterval(this.timer!);
      this.timer = null;
      return;
    }
    const now = performance.now();
    for (const run of this.active.values()) {
      if (now >= run.deadline) {
        run.ctx.abort(new RunTimeoutError(run.timeoutMs));
      } else if (now >= run.rowDueAt) {
        run.rowDueAt = Infinity;
        this.writeRunning(run.row);
      }
    }
  }
}
