/**
 * A loop that runs for the life of the process (heartbeats, sweeps, pollers): it runs its
 * step, waits `intervalMs` on the injected clock, and goes again. It cannot die: a step
 * that throws is handed to `onError` (which logs and counts; if that throws too it is
 * swallowed) and the loop goes on. `stop()` waits for a step in progress.
 */
import type { Clock } from './clock.js';

export interface LoopOptions {
  clock: Clock;
  intervalMs: number;
  step: () => Promise<void> | void;
  onError: (error: unknown) => void;
  /** Run the first step at once (default) or after the first interval. */
  immediate?: boolean;
}

export class Loop {
  private timer: unknown = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private again = false;
  private firstDone!: () => void;
  /** Settles when the first step has run (whether it succeeded or not), or the loop stopped. */
  readonly first = new Promise<void>((resolve) => (this.firstDone = resolve));

  constructor(private readonly o: LoopOptions) {
    if (o.immediate === false) this.schedule(o.intervalMs);
    else void this.run();
  }

  /** Runs the next step now instead of after the interval (a step in progress finishes first). */
  kick(): void {
    if (this.stopped) return;
    this.cancelTimer();
    void this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTimer();
    await this.running;
    this.firstDone();
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      void this.run();
    }, ms);
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    if (this.running) {
      this.again = true; // a kick during a step: one more step right after it
      return;
    }
    this.running = this.step();
    await this.running;
    this.running = null;
    this.firstDone();
    if (this.again) {
      this.again = false;
      return this.run();
    }
    this.schedule(this.o.intervalMs);
  }

  private async step(): Promise<void> {
    try {
      await this.o.step();
    } catch (error) {
      try {
        this.o.onError(error);
      } catch {
        // The loop goes on whatever its error handler does.
      }
    }
  }
}

export function startLoop(options: LoopOptions): Loop {
  return new Loop(options);
}
