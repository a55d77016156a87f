/**
 * pino logs: JSON lines by default (for collectors), readable when stdout is a terminal.
 * Every value that reaches a log line passes through `redactValue` first, which also makes
 * it plain, bounded data. Logging never throws: a loop that logs its own failure must not
 * fail again in the logger (see the tests in test/unit/logger.test.ts).
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { describe, redact, redactValue, wellFormed } from './redact.js';

export type { Logger } from 'pino';

/** Log arguments as plain, redacted data: the message string, and objects copied safely. */
function safeArgs(args: unknown[]): unknown[] {
  return args.map((a) => {
    if (typeof a === 'string') return redact(wellFormed(a));
    // An Error first: pino puts it under `err`; it goes through the err serializer below.
    if (a instanceof Error) return { err: redactValue(a, { stacks: true }) };
    return redactValue(a, { stacks: true });
  });
}

/** `err` as logged: already plain after redactValue; anything else made so. */
function errSerializer(e: unknown): unknown {
  if (e && typeof e === 'object' && !(e instanceof Error)) return e;
  return redactValue(e, { stacks: true });
}

export function createLogger(
  options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream } = {},
): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const usePretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  const base: pino.LoggerOptions = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    hooks: {
      logMethod(args, method) {
        let safe: unknown[];
        try {
          safe = safeArgs(args);
        } catch (error) {
          safe = [{ logError: describe(error) }, 'a log line could not be prepared'];
        }
        try {
          method.apply(this, safe as Parameters<typeof method>);
        } catch (error) {
          // The destination itself failed (closed stream): say so on stderr, never throw.
          try {
            process.stderr.write(`opscron: could not write a log line: ${describe(error)}\n`);
          } catch {
            /* nothing left to tell */
          }
        }
      },
    },
    serializers: { err: errSerializer },
  };
  const stream = usePretty
    ? pretty({
        colorize: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        sync: true,
        destination: options.destination === process.stderr ? 2 : 1,
      })
    : (options.destination ?? stdoutJson());
  return pino(base, stream);
}

/** Log bytes dropped because stdout was not read fast enough (see stdoutJson). */
export const droppedLog = { bytes: 0 };

/**
 * JSON lines to stdout, written asynchronously: a log reader that falls behind (a full pipe,
 * a slow container log driver) must never stall the scheduler — a synchronous write blocks
 * the event loop until the reader catches up (measured: 500 ms stalls under the fuzz suite).
 * At most 16 MiB wait; beyond, lines are dropped and counted rather than held without bound.
 * The buffer is written out as the process exits normally (SIGTERM included).
 */
function stdoutJson(): pino.DestinationStream {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 0, maxLength: 16 * 1024 * 1024 });
  destination.on('drop', (data: string) => {
    droppedLog.bytes += Buffer.byteLength(data);
  });
  return destination;
}

/** A logger that writes nothing (benchmarks, some tests). */
export const silentLogger: Logger = pino({ level: 'silent' });
