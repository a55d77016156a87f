/** Time as the scheduler sees it; tests pass a fake one instead of waiting for real slots. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** `20261126T070000Z`: a UTC instant for ids and file names. */
export const compactUtc = (at: Date): string =>
  at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/** `2026/11/26`: a UTC date as storage path segments. */
export const utcDatePath = (at: Date): string => at.toISOString().slice(0, 10).replace(/-/g, '/');
