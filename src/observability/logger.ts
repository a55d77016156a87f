/**
 * pino logs: JSON lines by default (for collectors), readable when stdout is a terminal.
 * Every string that reaches a log line passes through `redact` first.
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { redact, redactValue } from './redact.js';

export type { Logger } from 'pino';

export function createLogger(options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const usePretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  const base: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redact(a) : a instanceof Error ? a : redactValue(a))) as Parameters<typeof method>);
      },
    },
    serializers: { err: (e: Error) => ({ type: e.name, message: redact(e.message), code: (e as { code?: string }).code }) },
  };
  const stream = usePretty ? pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true, destination: options.destination === process.stderr ? 2 : 1 }) : (options.destination ?? pino.destination({ sync: true }));
  return pino(base, stream);
}

/** A logger that writes nothing (benchmarks, some tests). */
export const silentLogger: Logger = pino({ level: 'silent' });
