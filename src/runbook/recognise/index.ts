/** Which family a command belongs to, and what it proposes (pure). */
import type { Recognition, ShellCommand } from '../types.js';
import { recogniseData } from './data.js';
import { recogniseHttp } from './http.js';
import { recogniseKubectl } from './kubectl.js';
import { recogniseScript, type Seen } from './scripts.js';

export type { Seen } from './scripts.js';

const PLUMBING = new Set([
  'echo',
  'cd',
  'export',
  'set',
  'source',
  '.',
  'sleep',
  'cat',
  'grep',
  'less',
  'jq',
  'ls',
  'date',
]);

/** The proposals a command makes, or why it has none. */
export function recognise(command: ShellCommand, seen: Seen): Recognition {
  const program = command.argv[0];
  if (program === undefined) return { unmapped: 'a line too long to read' };
  const recognition =
    recogniseHttp(command) ??
    recogniseKubectl(command) ??
    recogniseData(command, seen) ??
    recogniseScript(command, seen);
  if (recognition) return recognition;
  if (PLUMBING.has(program)) return { unmapped: `${program} is shell plumbing: nothing to automate` };
  return { unmapped: `${program.slice(0, 40)}: not a command opscron knows` };
}
