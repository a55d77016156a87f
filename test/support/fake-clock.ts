/** A clock the test moves by hand. Timers fire in time order as the clock passes them. */
import type { Clock } from '../../src/clock.js';

export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private ids = 0;
  constructor(private time: number) {}
  now = () => this.time;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.ids;
    this.timers.push({ at: this.time + Math.max(0, ms), fn, id });
    return id;
  };
  clearTimeout = (id: unknown) => {
    this.timers = this.timers.filter((t) => t.id !== id);
  };
  /** Jumps without firing timers (the process was down or suspended). */
  jump(to: number): void {
    this.time = to;
  }
  /**
   * Moves to `to`, firing each due timer at its own time. After each, waits (in real time)
   * until `idle()` says the code under test is done, or it has set a timer of its own.
   */
  async advanceTo(to: number, idle: () => boolean): Promise<void> {
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > to) break;
      this.timers.shift();
      this.time = Math.max(this.time, next.at);
      const pending = this.timers.length;
      next.fn();
      const deadline = Date.now() + 10_000;
      while (!idle() && this.timers.length <= pending && Date.now() < deadline)
        await new Promise((r) => setImmediate(r));
    }
    this.time = to;
  }
}

/** A clock that reads the time from `now` (a test's variable) and keeps real timers. */
export function clockAt(now: () => number | Date): Clock {
  return {
    now: () => {
      const t = now();
      return typeof t === 'number' ? t : t.getTime();
    },
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
}
