/**
 * Write-behind batching: wait while rows keep coming, so one statement carries many (one
 * 2,000-row statement costs PostgreSQL far less than forty of 50), but no longer than
 * `lingerMs`, and not at all once `maxBatch` rows wait, none came in the last `quietMs`
 * (a burst's last rows are not held back for nothing), or `urgent()` says someone waits.
 */
export interface GatherOptions {
  lingerMs: number;
  quietMs: number;
  maxBatch: number;
}

export async function gather(
  size: () => number,
  { lingerMs, quietMs, maxBatch }: GatherOptions,
  urgent: () => boolean = () => false,
): Promise<void> {
  const deadline = performance.now() + lingerMs;
  for (let seen = size(); seen < maxBatch && !urgent();) {
    const left = deadline - performance.now();
    if (left <= 0) return;
    await new Promise((r) => setTimeout(r, Math.min(quietMs, left)));
    const now = size();
    if (now === seen) return;
    seen = now;
  }
}

/** The one promise a batch's writers share: settled when its statement is, handled once here. */
export interface BatchPromise {
  done: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function batchPromise(): BatchPromise {
  let resolve!: () => void, reject!: (e: unknown) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  done.catch(() => {});
  return { done, resolve, reject };
}
