/**
 * A loop that runs for the life of the process (heartbeats, reapers, pollers): it runs its
 * step, waits `intervalMs` on the injected clock, and goes again. It cannot die: a step
 * that throws is handed to `onError` (which logs and counts; if that throws too it is
 * swallowed) and the loop goes on. `stop()` waits for a step in progress.
 */
import type { Clock } from './clock.js';

export interface Loop {
  /** Settles when the first step has run (whether it succeeded or not). */
  readonly first: Promise<void>;
  /** Runs the next step now instead of after the interval (a step in progress finishes first). */
  kick(): void;
  stop(): Promise<void>;
}

export interface LoopOptions {
  clock: Clock;
  intervalMs: number;
  step: () => Promise<void> | void;
  onError: (error: unknown) => void;
  /** Run the first step at once (default) or after the first interval. */
  immediate?: boolean;
}

export function startLoop(options: LoopOptions): Loop {
  const { clock } = options;
  let timer: unknown = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  let again = false;
  let firstDone!: () => void;
  const first = new Promise<void>((resolve) => (firstDone = resolve));

  const schedule = (ms: number) => {
    if (stopped) return;
    timer = clock.setTimeout(() => {
      timer = null;
      void run();
    }, ms);
  };
  const run = async (): Promise<void> => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      try {
        await options.step();
      } catch (error) {
        try {
          options.onError(error);
        } catch {
          // The loop goes on whatever its error handler does.
        }
      }
    })();
    await running;
    running = null;
    firstDone();
    if (again) {
      again = false;
      return run();
    }
    schedule(options.intervalMs);
  };

  if (options.immediate === false) schedule(options.intervalMs);
  else void run();

  return {
    first,
    kick: () => {
      if (stopped) return;
      if (timer !== null) {
        clock.clearTimeout(timer);
        timer = null;
      }
      void run();
    },
    stop: async () => {
      stopped = true;
      if (timer !== null) clock.clearTimeout(timer);
      timer = null;
      await running;
      firstDone();
    },
  };
}
