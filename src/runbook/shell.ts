/**
 * A shell block → its simple commands (pure). Lines are joined at `\` continuations, prompts
 * (`$ `) and comments dropped, heredoc bodies skipped; each line is split into words by
 * shell-quote (quotes, escapes, `$VAR` kept as written) and cut at `&&`, `||`, `;`, `&` and
 * `|`. Nothing is ever run.
 */
import { parse } from 'shell-quote';
import type { ShellCommand } from './types.js';

/** A logical line longer than this is not read (reported, not split). */
export const MAX_LINE = 16_384;
/** Characters of a command kept for the unmapped table. */
const MAX_TEXT = 500;

const SEPARATORS = new Set(['&&', '||', ';', '&', ';;', '|&']);
const REDIRECTS = new Set(['>', '>>', '<', '>&', '<&', '>|', '<(', '<<<']);
/** A line ending in an odd number of backslashes (and maybe spaces) continues on the next. */
const CONTINUES = /(^|[^\\])(\\\\)*\\\s*$/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
/** Words that run the rest of the line as the command. */
const WRAPPERS = new Set(['sudo', 'time', 'nohup', 'exec', 'command', 'env']);

interface Line {
  text: string;
  line: number;
}

/** The logical lines of a block: continuations joined, prompts, comments and heredoc bodies dropped. */
export function logicalLines(text: string, firstLine: number): Line[] {
  const raw = text.split('\n');
  // A console transcript (`$ cmd` then output): only the prompted lines are commands.
  const prompted = raw.some((l) => /^\s*\$ /.test(l));
  const out: Line[] = [];
  let heredoc: string | undefined;
  for (let i = 0; i < raw.length; i++) {
    const start = i;
    let line = raw[i]!;
    if (heredoc !== undefined) {
      if (line.trim() === heredoc) heredoc = undefined;
      continue;
    }
    // Only the piece just read is tested for a trailing `\`, so joining stays linear.
    const pieces = [line];
    let length = line.length;
    while (CONTINUES.test(pieces[pieces.length - 1]!) && i + 1 < raw.length && length <= MAX_LINE) {
      pieces[pieces.length - 1] = pieces[pieces.length - 1]!.replace(/\\\s*$/, ' ');
      const next = raw[++i]!.trimStart();
      pieces.push(next);
      length += next.length;
    }
    line = pieces.join('');
    if (prompted) {
      if (!/^\s*\$ /.test(line)) continue;
      line = line.replace(/^\s*\$ /, '');
    }
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    heredoc = /<<-?\s*['"]?([A-Za-z_][A-Za-z0-9_]*)['"]?/.exec(trimmed)?.[1];
    out.push({ text: trimmed, line: firstLine + start });
  }
  return out;
}

/** The simple commands of one logical line. */
export function splitLine(text: string, line: number): ShellCommand[] {
  if (text.length > MAX_LINE) return [{ argv: [], env: {}, pipedTo: [], text: text.slice(0, 80), line }];
  // `$(date +%F)` and backticks stay part of their word, as written (shell-quote would split them).
  const substitutions: string[] = [];
  const held = text.replace(/\$\([^()]*\)|`[^`]*`/g, (m) => `OPSCRONSUBST${substitutions.push(m) - 1}X`);
  const restore = (word: string) =>
    word.replace(/OPSCRONSUBST(\d+)X/g, (_, n: string) => substitutions[Number(n)] ?? '');
  const entries = parse(held, (name) => `$${name}`);
  const commands: ShellCommand[] = [];
  let pipeline: string[][] = [];
  let words: string[] = [];
  const endPipeline = () => {
    endWords();
    const [first, ...rest] = pipeline.filter((argv) => argv.length > 0);
    if (first) commands.push({ ...unwrap(first), pipedTo: rest.map((argv) => unwrap(argv).argv), text, line });
    pipeline = [];
  };
  const endWords = () => {
    pipeline.push(words);
    words = [];
  };
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (typeof entry === 'string') words.push(restore(entry));
    else if ('comment' in entry) break;
    else if (entry.op === 'glob') words.push(restore(entry.pattern));
    else if (entry.op === '|') endWords();
    else if (SEPARATORS.has(entry.op)) endPipeline();
    else if (REDIRECTS.has(entry.op)) i += 1;
  }
  endPipeline();
  // Each command names the part of the line it came from, so a table row is readable.
  return commands.map((c) => ({ ...c, text: (commands.length > 1 ? c.argv.join(' ') : c.text).slice(0, MAX_TEXT) }));
}

/** Leading `FOO=1` assignments into env; `sudo`, `time`, `watch -n 5` and the like unwrapped. */
function unwrap(argv: string[]): { argv: string[]; env: Record<string, string> } {
  const env: Record<string, string> = {};
  let i = 0;
  for (;;) {
    const word = argv[i];
    if (word === undefined) break;
    if (ASSIGNMENT.test(word)) {
      const eq = word.indexOf('=');
      env[word.slice(0, eq)] = word.slice(eq + 1);
      i++;
    } else if (WRAPPERS.has(word)) {
      i++;
      while (argv[i]?.startsWith('-')) i++;
    } else if (word === 'watch') {
      i++;
      while (argv[i]?.startsWith('-')) i += /^-(n|d)$|^--interval$/.test(argv[i]!) ? 2 : 1;
    } else break;
  }
  return { argv: argv.slice(i), env };
}

/** Every simple command of a block, in order. */
export function blockCommands(text: string, firstLine: number): ShellCommand[] {
  return logicalLines(text, firstLine).flatMap((l) => splitLine(l.text, l.line));
}
