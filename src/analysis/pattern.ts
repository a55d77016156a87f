/**
 * Regular expressions from params and config run in linear time: RE2's semantics through
 * re2js, so no pattern and no input can stall the process (a backtracking engine takes
 * seconds on `^(a+)+$` against 30 characters, doubling with each). RE2 has no
 * backreferences or lookaround; a pattern that needs them is refused with the reason.
 */
import { RE2JS } from 're2js';
import { z } from 'zod';

export interface Pattern {
  readonly source: string;
  test(text: string): boolean;
}

/** Longest pattern accepted (RE2 compiles in time linear in the pattern too, but a bound keeps it small). */
const MAX_PATTERN = 1000;

/** Compiles `source` for linear-time matching; throws with RE2's reason if it cannot. */
export function linearPattern(source: string, options: { ignoreCase?: boolean } = {}): Pattern {
  if (source.length > MAX_PATTERN)
    throw new Error(`is ${source.length} characters long; at most ${MAX_PATTERN} are allowed`);
  const re = RE2JS.compile(source, options.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  return { source, test: (text: string) => re.matcher(text).find() };
}

/** Why `source` is not a pattern opscron runs, or null if it is. */
export function patternProblem(source: string): string | null {
  try {
    linearPattern(source);
    return null;
  } catch (error) {
    const reason = (error as Error).message.replace(/^error parsing regexp: /, '');
    return `must be a regular expression in RE2 syntax, which runs in linear time (no backreferences or lookaround): ${reason}`;
  }
}

/** A param or config value that must be such a pattern. */
export const linearRegex = z.string().superRefine((source, ctx) => {
  const problem = patternProblem(source);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
