/**
 * The error catalogue: every error opscron raises on purpose has a stable code, and each
 * code says what it means to a client (HTTP status) and to the worker (whether another
 * attempt can help: bad input never gets better by retrying, a refused connection might).
 * The worker's retry decision and the HTTP error handler both read it from here; anything
 * thrown that is not an OpscronError counts as transient (retryable, 500).
 */

interface Entry {
  /** HTTP status when it reaches a client. */
  status: number;
  /** Whether a run failing with it is worth another attempt. */
  retryable: boolean;
}

export const ERRORS = {
  OPSCRON_CONFIG_INVALID: { status: 400, retryable: false },
  OPSCRON_BAD_ARGUMENT: { status: 400, retryable: false },
  OPSCRON_BAD_REQUEST: { status: 400, retryable: false },
  OPSCRON_BAD_PERIOD: { status: 400, retryable: false },
  OPSCRON_INVALID_RUN: { status: 400, retryable: false },
  OPSCRON_CONFIRM: { status: 400, retryable: false },
  OPSCRON_FORBIDDEN: { status: 403, retryable: false },
  OPSCRON_UNKNOWN_JOB: { status: 404, retryable: false },
  OPSCRON_NOT_FOUND: { status: 404, retryable: false },
  /** The incident is already resolved (or acknowledged): nothing was changed. */
  OPSCRON_INCIDENT_STATE: { status: 409, retryable: false },
  OPSCRON_STORE_IN_USE: { status: 409, retryable: false },
  OPSCRON_BUSY: { status: 429, retryable: true },
  OPSCRON_ROLE_NEEDS_SHARED: { status: 400, retryable: false },
  OPSCRON_NO_QUEUE: { status: 400, retryable: false },
  OPSCRON_FILE_UNREADABLE: { status: 400, retryable: false },
  OPSCRON_BAD_STORAGE_KEY: { status: 400, retryable: false },
  /** The object storage refused or did not answer (S3: its error name and HTTP status in the message). */
  OPSCRON_STORAGE: { status: 502, retryable: true },
  OPSCRON_NO_KUBERNETES: { status: 400, retryable: false },
  OPSCRON_KUBECONFIG: { status: 400, retryable: false },
  /** A Kubernetes API answer: retryable for 5xx, 429 and no answer at all; see KubeError. */
  OPSCRON_KUBE: { status: 502, retryable: true },
  OPSCRON_PG_TOOL: { status: 500, retryable: true },
  OPSCRON_BACKUP_CHECK: { status: 422, retryable: false },
  OPSCRON_BACKUP_DECRYPT: { status: 422, retryable: false },
  OPSCRON_RUN_TIMEOUT: { status: 504, retryable: true },
  OPSCRON_RUN_CANCELLED: { status: 409, retryable: false },
  OPSCRON_AUDIT_UNWRITTEN: { status: 503, retryable: true },
  OPSCRON_QUEUE_UNAVAILABLE: { status: 503, retryable: true },
  /** The store or the queue did not answer (a restart, a failover): nothing was done. */
  OPSCRON_UNAVAILABLE: { status: 503, retryable: true },
  OPSCRON_SERVER_UNREACHABLE: { status: 502, retryable: true },
  OPSCRON_TRIGGER_REFUSED: { status: 502, retryable: false },
  OPSCRON_REPORT_REFUSED: { status: 502, retryable: false },
  /** A running opscron's API refused a read, or answered what this CLI cannot read. */
  OPSCRON_API_REFUSED: { status: 502, retryable: false },
} as const satisfies Record<string, Entry>;

export type ErrorCode = keyof typeof ERRORS;

export class OpscronError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = ERRORS[code].status;
    this.retryable = options.retryable ?? ERRORS[code].retryable;
  }
}

/** Whether another attempt of a run that failed with `error` can help. */
export function isRetryable(error: unknown): boolean {
  return error instanceof OpscronError ? error.retryable : true;
}

/** A store or queue that does not answer: a client should try again (503), not read it as opscron's fault (500). */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (
    typeof code === 'string' &&
    (/^(08|57P0)/.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code))
  )
    return true;
  const message = String((error as { message?: unknown } | null)?.message ?? '');
  return /Connection terminated|Connection is closed|connect ECONNREFUSED|timeout exceeded when trying to connect|MaxRetriesPerRequest|Stream isn't writeable/i.test(
    message,
  );
}

/** The configuration file cannot be used; `issues` lists every problem found. */
export class ConfigError extends OpscronError {
  readonly issues: string[];
  constructor(issues: string[], source: string) {
    super(
      'OPSCRON_CONFIG_INVALID',
      `${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n  ${issues.join('\n  ')}`,
    );
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
    super('OPSCRON_RUN_TIMEOUT', `run exceeded its timeout of ${timeoutMs} ms`);
  }
}

/** The run was cancelled: replaced by a newer run, or the process is shutting down. */
export class RunCancelledError extends OpscronError {
  constructor(reason: string) {
    super('OPSCRON_RUN_CANCELLED', `run cancelled: ${reason}`);
  }
}
