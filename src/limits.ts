/**
 * How big anything a request can hand opscron may be. Checked before anything else looks
 * at the value (an iterative walk: a value nested 100,000 deep cannot blow the stack
 * here), so every later step — validation, redaction, JSON for the store — works on
 * something small.
 */
export interface Limits {
  /** Nesting of objects and arrays. */
  maxDepth: number;
  /** Characters in one string (keys included). */
  maxString: number;
  /** Object keys and array elements, all levels together. */
  maxNodes: number;
}

/** Params of a run request (API body, queue data, CLI --set). */
export const PARAM_LIMITS: Limits = { maxDepth: 8, maxString: 8192, maxNodes: 2000 };

/** Report periods: the longest a report may cover. */
export const MAX_REPORT_PERIOD_MS = 366 * 86_400_000;

/** Bytes of a file a param or config names that opscron reads whole (a CA bundle). */
export const MAX_READ_FILE_BYTES = 1024 * 1024;

/**
 * The first way `value` exceeds `limits`, with the path to it, or null. Only plain JSON
 * values pass: numbers must be finite (NaN and Infinity do not survive JSON).
 */
export function boundsIssue(value: unknown, limits: Limits): { path: (string | number)[]; message: string } | null {
  const stack: { value: unknown; path: (string | number)[]; depth: number }[] = [{ value, path: [], depth: 0 }];
  let nodes = 0;
  while (stack.length) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      if (v.length > limits.maxString)
        return { path, message: `is ${v.length} characters long; at most ${limits.maxString} are allowed` };
      continue;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { path, message: 'must be a finite number' };
      continue;
    }
    if (v === null || typeof v === 'boolean') continue;
    if (typeof v !== 'object') return { path, message: `is a ${typeof v}; only JSON values are allowed` };
    if (depth >= limits.maxDepth) return { path, message: `is nested deeper than ${limits.maxDepth} levels` };
    const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    nodes += entries.length;
    if (nodes > limits.maxNodes) return { path, message: `holds more than ${limits.maxNodes} values in all` };
    for (const [key, child] of entries) {
      if (typeof key === 'string' && key.length > limits.maxString)
        return { path, message: `has a key ${key.length} characters long; at most ${limits.maxString} are allowed` };
      stack.push({ value: child, path: [...path, key], depth: depth + 1 });
    }
  }
  return null;
}
