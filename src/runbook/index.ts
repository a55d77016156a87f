/**
 * `opscron init --from-runbook`: a markdown runbook → a proposed configuration (pure apart
 * from nothing: the CLI reads the file and writes the result). Untrusted input: bounded in
 * size, blocks and commands; nothing in it is ever run; secrets in it are never copied.
 */
import { readBlocks } from './markdown.js';
import { buildPlan, type Plan } from './plan.js';
import { writeConfig } from './write.js';

/** The largest runbook read, in bytes. */
export const MAX_RUNBOOK_BYTES = 2 * 1024 * 1024;

export interface RunbookResult {
  /** The configuration, as YAML with comments. */
  yaml: string;
  plan: Plan;
}

/** Reads a runbook and proposes its configuration; throws RangeError for one beyond the limits. */
export function runbookToConfig(markdown: string, source: string): RunbookResult {
  if (Buffer.byteLength(markdown, 'utf8') > MAX_RUNBOOK_BYTES)
    throw new RangeError(`the runbook is larger than ${MAX_RUNBOOK_BYTES / 1024 / 1024} MiB`);
  const plan = buildPlan(readBlocks(markdown));
  return { yaml: writeConfig(plan, { source }), plan };
}

/** The unmapped-commands table for stderr: line, section, command (secrets masked), why. */
export function unmappedTable(plan: Plan): string {
  if (!plan.unmapped.length) return '';
  const rows = plan.unmapped.map((u) => [
    String(u.line),
    (u.heading.split(' › ').pop() ?? '').slice(0, 40),
    mask(u.command.slice(0, 200)).slice(0, 60),
    u.why,
  ]);
  const head = ['line', 'section', 'command', 'why not mapped'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(head), ...rows.map(line)].join('\n');
}

/** A command as the table shows it: tokens, passwords and credentials masked. */
export function mask(command: string): string {
  return command
    .replace(/[\r\n\t]/g, ' ')
    .replace(/\b(Bearer|Basic|Token)\s+[^\s"']+/gi, '$1 ***')
    .replace(/(\/\/[^:/@\s]*:)[^@\s]+@/g, '$1***@')
    .replace(/((?:-a|--pass(?:word)?|-p(?=assword))[= ]+)\S+/g, '$1***')
    .replace(/\b([A-Z_]*(?:PASSWORD|TOKEN|SECRET|KEY)[A-Z_]*=)\S+/g, '$1***')
    .replace(/\p{Cc}/gu, '');
}
