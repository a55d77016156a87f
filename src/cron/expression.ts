/**
 * Cron expressions: parsed by node-cron (5 or 6 fields, names, ranges, steps, L, W, #),
 * with errors rewritten to say what is allowed, e.g. `minute must be 0-59`.
 */
import { validateDetailed, type ParsedFields } from 'node-cron';

export const ALIASES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const ALLOWED: Record<string, string> = {
  second: 'second must be 0-59',
  minute: 'minute must be 0-59',
  hour: 'hour must be 0-23',
  dayOfMonth: 'day of month must be 1-31, L, LW, L-n or nW',
  month: 'month must be 1-12 or jan-dec',
  dayOfWeek: 'day of week must be 0-7 or sun-sat (with n#k or nL)',
};

/** A parsed schedule: the expression as written and the values each field allows. */
export interface CronExpression {
  readonly source: string;
  readonly fields: ParsedFields;
  /** True when the hour field allows every hour: such a schedule follows real time across DST. */
  readonly everyHour: boolean;
}

/** Thrown (and collected by config validation) when an expression cannot be used. */
export class CronSyntaxError extends Error {
  constructor(
    readonly expression: string,
    readonly reason: string,
  ) {
    super(`"${expression}" — ${reason}`);
    this.name = 'CronSyntaxError';
  }
}

/** Parses a 5-field, 6-field (leading seconds) or `@hourly`-style expression. */
export function parseCron(expression: string): CronExpression {
  const trimmed = expression.trim();
  const expanded = trimmed.startsWith('@') ? ALIASES[trimmed.toLowerCase()] : trimmed;
  if (expanded === undefined) {
    throw new CronSyntaxError(expression, `unknown alias; allowed: ${Object.keys(ALIASES).join(', ')}`);
  }
  const fieldCount = expanded.split(/\s+/).length;
  if (fieldCount !== 5 && fieldCount !== 6) {
    throw new CronSyntaxError(
      expression,
      `expected 5 fields (minute hour day month weekday) or 6 (with seconds first), got ${fieldCount}`,
    );
  }
  let result;
  try {
    result = validateDetailed(expanded);
  } catch (error) {
    throw new CronSyntaxError(expression, (error as Error).message);
  }
  if (!result.valid || !result.fields) {
    const first = result.errors[0];
    const reason = first ? (ALLOWED[first.field] ?? first.message) : 'invalid expression';
    const detail = first?.value !== undefined && first.field in ALLOWED ? ` (got "${first.value}")` : '';
    throw new CronSyntaxError(expression, reason + detail);
  }
  const fields = result.fields;
  return { source: expression, fields, everyHour: fields.hour.length === 24 };
}
