/**
 * Markdown → the runbook's blocks (pure, one pass, linear in the input): ATX and setext
 * headings, CommonMark fences (``` and ~~~, three or more, info strings, a closing fence at
 * least as long as the opening one, unclosed fences running to the end of their container),
 * fences inside list items and block quotes. Each fenced block keeps its first line, the
 * heading path above it and the prose of its section. Hand-written rather than micromark:
 * micromark's time grows with nesting (1,000 nested list levels took it 40 s), and a runbook
 * is untrusted input. A test holds this scanner to micromark's answers on generated documents.
 */
import type { Block, Heading } from './types.js';

/** The most blocks one runbook may hold; more is refused, not cut silently. */
export const MAX_BLOCKS = 2000;
/** Characters of a heading kept. */
const MAX_HEADING = 200;
/** Prose kept per section for hints (schedules, recipients). */
const MAX_PROSE = 4000;

const SHELL = new Set(['', 'sh', 'bash', 'shell', 'console', 'zsh', 'shell-session', 'shellsession', 'terminal']);
const YAML_LANGS = new Set(['yaml', 'yml']);

/** What kind of block an info string names: shell, yaml, or something not read (json, sql, ...). */
export function blockKind(lang: string): Block['kind'] | undefined {
  const name = lang.toLowerCase();
  if (SHELL.has(name)) return 'shell';
  if (YAML_LANGS.has(name)) return 'yaml';
  return undefined;
}

/** Thrown when a runbook is beyond what is read (too many blocks). */
export class RunbookTooLarge extends Error {
  override readonly name = 'RunbookTooLarge';
}

interface Fence {
  char: string;
  length: number;
  indent: number;
  quotes: number;
  lang: string;
  line: number;
  content: string[];
}

interface State {
  blocks: Block[];
  headings: Heading[];
  prose: string;
  fence: Fence | null;
  /** The paragraph line just read, which a `===` or `---` line turns into a heading. */
  paragraph: { text: string; line: number } | null;
  /** The content column of the list item we are in, if any: its fences may be indented that far. */
  listIndent: number | null;
}

/** A line's block-quote markers taken off: how many, and what is left. */
function unquote(line: string): { quotes: number; text: string } {
  let quotes = 0;
  let text = line;
  for (;;) {
    const m = /^ {0,3}> ?/.exec(text);
    if (!m) return { quotes, text };
    quotes++;
    text = text.slice(m[0].length);
  }
}

const indentOf = (text: string) => text.length - text.trimStart().length;

/** `## Title ##` → `Title`, without a regular expression that could backtrack on a long line. */
function atxText(rest: string): string {
  let text = rest.trim();
  let end = text.length;
  while (end > 0 && text[end - 1] === '#') end--;
  if (end === 0 || text[end - 1] === ' ' || text[end - 1] === '\t') text = text.slice(0, end).trim();
  return text.replace(/\\#/g, '#');
}

/** The fenced shell and YAML blocks of a markdown document, in document order. */
export function readBlocks(markdown: string): Block[] {
  const state: State = { blocks: [], headings: [], prose: '', fence: null, paragraph: null, listIndent: null };
  const lines = markdown.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop(); // the last line's ending starts no line
  lines.forEach((raw, i) => readLine(state, raw, i + 1));
  if (state.fence) closeFence(state);
  return state.blocks;
}

function readLine(state: State, raw: string, lineNo: number): void {
  const { quotes, text } = unquote(raw.replaceAll('\t', '    '));
  const fence = state.fence;
  if (fence) {
    // A fence ends with its container: a line outside the block quote it opened in.
    if (quotes < fence.quotes) closeFence(state);
    else return fenceLine(state, fence, text);
  }
  if (!text.trim()) {
    state.paragraph = null;
    return;
  }
  const indent = indentOf(text);
  const opening = /^ *(`{3,}|~{3,})(.*)$/.exec(text);
  if (opening && (indent <= 3 || (state.listIndent !== null && indent <= state.listIndent + 3))) {
    const info = opening[2]!.trim();
    if (opening[1]![0] !== '`' || !info.includes('`')) {
      state.fence = {
        char: opening[1]![0]!,
        length: opening[1]!.length,
        indent,
        quotes,
        lang: info.split(/\s/)[0] ?? '',
        line: lineNo + 1,
        content: [],
      };
      state.paragraph = null;
      return;
    }
  }
  const atx = indent <= 3 ? /^ *(#{1,6})(?=[ \t]|$)/.exec(text) : null;
  if (atx) return enterHeading(state, atx[1]!.length, atxText(text.slice(atx[0].length)), lineNo);
  const underline = /^ {0,3}(=+|-+) *$/.exec(text);
  if (underline && state.paragraph)
    return enterHeading(state, underline[1]![0] === '=' ? 1 : 2, state.paragraph.text, state.paragraph.line);
  const item = /^( *)([-*+]|\d{1,9}[.)])( {1,4}|$)/.exec(text);
  if (item) {
    state.listIndent = item[0].length;
    addProse(state, text.slice(item[0].length));
    state.paragraph = null;
    return;
  }
  if (state.listIndent === null && indent >= 4 && !state.paragraph) return; // indented code: sample output
  if (state.listIndent !== null && indent < state.listIndent && !state.paragraph) state.listIndent = null;
  addProse(state, text.trim());
  state.paragraph = { text: text.trim(), line: lineNo };
}

function fenceLine(state: State, fence: Fence, text: string): void {
  const closing = /^ *(`{3,}|~{3,}) *$/.exec(text);
  if (
    closing &&
    closing[1]![0] === fence.char &&
    closing[1]!.length >= fence.length &&
    indentOf(text) <= fence.indent + 3
  ) {
    closeFence(state);
    return;
  }
  // Content loses the opening fence's indentation, and no more.
  const strip = Math.min(fence.indent, indentOf(text));
  fence.content.push(text.slice(strip));
}

function closeFence(state: State): void {
  const fence = state.fence!;
  state.fence = null;
  const kind = blockKind(fence.lang);
  if (!kind) return;
  if (state.blocks.length >= MAX_BLOCKS) throw new RunbookTooLarge(`more than ${MAX_BLOCKS} shell and YAML blocks`);
  state.blocks.push({
    kind,
    text: fence.content.join('\n'),
    line: fence.line,
    headings: [...state.headings],
    prose: state.prose.trim(),
  });
}

function enterHeading(state: State, level: number, text: string, line: number): void {
  const { headings } = state;
  while (headings.length && headings[headings.length - 1]!.level >= level) headings.pop();
  // Headings name sections; a longer one is cut (it is matched against for every block under it).
  headings.push({ level, text: text.slice(0, MAX_HEADING).replace(/[`*]/g, '').trim(), line });
  state.prose = '';
  state.paragraph = null;
  state.listIndent = null;
}

function addProse(state: State, text: string): void {
  if (state.prose.length < MAX_PROSE) state.prose = `${state.prose} ${text}`.slice(0, MAX_PROSE);
}
