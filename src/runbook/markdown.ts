/**
 * Markdown → the runbook's blocks (pure). CommonMark by micromark (mdast-util-from-markdown):
 * ``` and ~~~ fences, info strings, fences inside lists and quotes; each fenced block keeps
 * its line, the heading path above it and the prose of its section.
 */
import type { Code, Heading as MdHeading, Nodes, Root } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { toString } from 'mdast-util-to-string';
import type { Block, Heading } from './types.js';

/** The most blocks one runbook may hold; more is refused, not cut silently. */
export const MAX_BLOCKS = 2000;
/** Prose kept per section for hints (schedules, destructive words). */
const MAX_PROSE = 4000;

const SHELL = new Set(['', 'sh', 'bash', 'shell', 'console', 'zsh', 'shell-session', 'shellsession', 'terminal']);
const YAML_LANGS = new Set(['yaml', 'yml']);

/** What kind of block an info string names: shell, yaml, or something not read (json, sql, ...). */
export function blockKind(lang: string | null | undefined): Block['kind'] | undefined {
  const name = (lang ?? '').toLowerCase();
  if (SHELL.has(name)) return 'shell';
  if (YAML_LANGS.has(name)) return 'yaml';
  return undefined;
}

/** Thrown when a runbook is beyond what is read (too many blocks). */
export class RunbookTooLarge extends Error {
  override readonly name = 'RunbookTooLarge';
}

/** Deeper block quotes or lists than these are refused: the parser's time grows with the depth, fast. */
export const MAX_QUOTE_DEPTH = 16;
export const MAX_LIST_DEPTH = 32;

/**
 * Refuses nesting no runbook needs before the parser sees it (1,000 nested list levels
 * take micromark ~40 s; 16 and 32 take milliseconds). Approximate on purpose: it counts `>`
 * markers and the list markers of rising indentation, fences or not.
 */
function checkNesting(markdown: string): void {
  const indents: number[] = [];
  let lineNo = 0;
  for (const line of markdown.split('\n')) {
    lineNo++;
    const prefix = /^[ \t>]*/.exec(line)![0];
    const quotes = prefix.length - prefix.replaceAll('>', '').length;
    if (quotes > MAX_QUOTE_DEPTH)
      throw new RunbookTooLarge(`line ${lineNo}: block quotes nested deeper than ${MAX_QUOTE_DEPTH}`);
    const rest = line.slice(prefix.lastIndexOf('>') + 1).replaceAll('\t', '    ');
    if (!rest.trim()) continue;
    const indent = rest.length - rest.trimStart().length;
    while (indents.length && indents[indents.length - 1]! >= indent) indents.pop();
    if (/^\s*([-*+]|\d{1,9}[.)])(\s|$)/.test(rest)) indents.push(indent);
    if (indents.length > MAX_LIST_DEPTH)
      throw new RunbookTooLarge(`line ${lineNo}: lists nested deeper than ${MAX_LIST_DEPTH}`);
  }
}

/** The fenced shell and YAML blocks of a markdown document, in document order. */
export function readBlocks(markdown: string): Block[] {
  checkNesting(markdown);
  const tree: Root = fromMarkdown(markdown);
  const blocks: Block[] = [];
  const headings: Heading[] = [];
  let prose = '';
  const visit = (node: Nodes): void => {
    if (node.type === 'heading') {
      enterHeading(headings, node);
      prose = '';
      return;
    }
    if (node.type === 'code') {
      addBlock(blocks, node, headings, prose);
      return;
    }
    if (node.type === 'paragraph' || node.type === 'text') {
      if (prose.length < MAX_PROSE) prose = `${prose} ${toString(node)}`.slice(0, MAX_PROSE);
      return;
    }
    if ('children' in node) for (const child of node.children) visit(child as Nodes);
  };
  visit(tree);
  return blocks;
}

function enterHeading(headings: Heading[], node: MdHeading): void {
  while (headings.length && headings[headings.length - 1]!.level >= node.depth) headings.pop();
  headings.push({ level: node.depth, text: toString(node).trim(), line: node.position?.start.line ?? 0 });
}

function addBlock(blocks: Block[], node: Code, headings: readonly Heading[], prose: string): void {
  const kind = blockKind(node.lang);
  // Indented code blocks are most often sample output: only fenced blocks are read.
  if (!kind || (!node.lang && !isFenced(node))) return;
  if (blocks.length >= MAX_BLOCKS) throw new RunbookTooLarge(`more than ${MAX_BLOCKS} shell and YAML blocks`);
  blocks.push({
    kind,
    text: node.value,
    // The node starts at its opening fence; the commands start on the line after.
    line: (node.position?.start.line ?? 0) + 1,
    headings: [...headings],
    prose: prose.trim(),
  });
}

/** Whether a code node without an info string was fenced (``` alone) rather than indented. */
function isFenced(node: Code): boolean {
  const start = node.position?.start;
  const end = node.position?.end;
  if (!start || !end) return false;
  return end.line - start.line + 1 > (node.value === '' ? 0 : node.value.split('\n').length);
}
