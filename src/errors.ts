/**
 * The few error classes opscron throws, each with a stable `code`.
 * `retryable` tells the worker whether another attempt can help: bad input never
 * gets better by retrying, a refused connection might.
 */
export class OpscronError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** The configuration file cannot be used; `issues` lists every problem found. */
export class ConfigError extends OpscronError {
  readonly issues: string[];
  constructor(issues: string[], source: string) {
    super('OPSCRON_CONFIG_INVALID', `${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n  ${issues.join('\n  ')}`);
    this.issues = issues;
  }
}

/** A run request (from the queue, the API or the CLI) that cannot be run as asked. Never retried. */
export class InvalidRunError extends OpscronError {
  constructor(message: string) {
    super('OPSCRON_INVALID_RUN', message);
  }
}

/** The asker may not do this (an API token's scope, the trigger boundary). */
export class ForbiddenError extends OpscronError {
  constructor(message: string) {
    super('OPSCRON_FORBIDDEN', message);
  }
}

/** The run went past its timeout and was aborted through its signal. */
export class RunTimeoutError extends OpscronError {
  constructor(timeoutMs: number) {
    super('OPSCRON_RUN_TIMEOUT', `run exceeded its timeout of ${timeoutMs} ms`, { retryable: true });
  }
}

/** The run was cancelled: replaced by a newer run, or the process is shutting down. */
export class RunCancelledError extends OpscronError {
  constructor(reason: string) {
    super('OPSCRON_RUN_CANCELLED', `run cancelled: ${reason}`);
  }
}
