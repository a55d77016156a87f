/**
 * Log template mining with Drain (He et al., ICWS 2017; as Drain3 does it): a line is
 * masked (UUIDs, IPs, hex ids, numbers become <UUID>, <IP>, <HEX>, <NUM>), split into
 * tokens, routed through a fixed-depth tree — first by token count, then by its first
 * tokens (a token with a digit routes to <*>) — to a leaf whose templates are compared
 * token by token; the most similar one at or above the threshold absorbs the line (the
 * positions that differ become <*>), otherwise the line starts a new template. Memory
 * grows with the number of templates, not lines: each keeps its tokens, a count and one
 * example. Pure and synchronous.
 *
 * Templates keep stable ids across runs: `restore()` puts templates a previous run kept
 * back into the tree where they were made (their route), with a count of 0; lines that
 * match them count there and keep the id, and new templates get ids after the highest one.
 * Masks from configuration (`masks`: linear-time patterns with a name) run on the whole
 * line before it is split, as Drain3's masking does; the built-in ones run token by token.
 */
export interface DrainOptions {
  /** Share of equal tokens for a line to join a template (Drain3: 0.4). */
  similarity: number;
  /** Tree depth including the length layer and the leaf (Drain3: 4). */
  depth: number;
  /** Children per inner node before new tokens route to <*> (Drain3: 100). */
  maxChildren: number;
  /** At most this many templates; further new lines count as "other". */
  maxTemplates: number;
  mask: boolean;
  /** Removed from the start of each line before mining: timestamps and syslog headers vary, they are not the message. */
  header: RegExp | null;
  /** Extra masks over the whole line (after the header is removed), in order; see log-masks.ts. */
  masks: ReadonlyArray<{ replace(text: string): string }>;
}

/** An ISO-8601 timestamp, or a syslog header (`Dec 10 06:55:46 host proc[123]:`), with what usually follows (a level). */
export const DEFAULT_HEADER =
  /^(?:\[?\d{4}-\d\d-\d\d[T ][\d:.,]+(?:Z|[+-]\d\d:?\d\d)?\]?\s+|[A-Z][a-z]{2}\s+\d{1,2}\s+\d\d:\d\d:\d\d\s+\S+\s+[^\s:]+:\s+)/;

export const drainDefaults: DrainOptions = {
  similarity: 0.4,
  depth: 4,
  maxChildren: 100,
  maxTemplates: 10_000,
  mask: true,
  header: DEFAULT_HEADER,
  masks: [],
};

export interface Template {
  id: number;
  tokens: string[];
  count: number;
  example: string;
  /** The tree keys that lead to its leaf (token count first): where restore() puts it back. */
  route: string[];
}

/** A template as kept between runs: what restore() needs. */
export type KeptTemplate = Pick<Template, 'id' | 'tokens' | 'example' | 'route'>;

const WILD = '<*>';

interface Node {
  children: Map<string, Node>;
  templates: Template[];
}

const node = (): Node => ({ children: new Map(), templates: [] });

// Ordered: the specific shapes first, bare numbers last.
const MASKS: Array<[RegExp, string]> = [
  [/\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b/g, '<UUID>'],
  [/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d+)?\b/g, '<IP>'],
  [/\b(?:[0-9a-fA-F]{1,4}:){3,7}[0-9a-fA-F]{1,4}\b/g, '<IP>'],
  [/\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{12,}\b/g, '<HEX>'],
  // A number standing alone between non-alphanumerics (Drain3's rule): 12 in "id=12," but not in "12ms" or "v1".
  [/(?<![A-Za-z0-9])[-+]?\d+(?:\.\d+)?(?![A-Za-z0-9])/g, '<NUM>'],
];

/** The line with its variable parts masked (used for display; mining masks token by token). */
export function maskLine(line: string): string {
  return line.split(' ').map(maskToken).join(' ');
}

/** Masks one token; tokens without a digit are returned as they are (most are). */
export function maskToken(token: string): string {
  if (!hasDigit(token)) return token;
  let out = token;
  for (const [re, replacement] of MASKS) {
    re.lastIndex = 0;
    out = out.replace(re, replacement);
  }
  return out;
}

const hasDigit = (s: string) => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
};

export class Drain {
  private readonly root = new Map<number, Node>();
  readonly templates: Template[] = [];
  private readonly o: DrainOptions;
  /** Lines that would have made a template past maxTemplates. */
  overflow = 0;
  private nextId = 1;

  constructor(options: Partial<DrainOptions> = {}) {
    this.o = { ...drainDefaults, ...options };
  }

  /** Adds a line; returns its template (null past maxTemplates). */
  add(line: string): Template | null {
    let content = this.o.header ? line.replace(this.o.header, '') : line;
    for (const m of this.o.masks) content = m.replace(content);
    const tokens: string[] = [];
    for (const raw of content.split(' ')) {
      if (raw === '') continue;
      tokens.push(this.o.mask ? maskToken(raw) : raw);
    }
    const { leaf, route } = this.leaf(tokens);
    let best: Template | null = null;
    let bestScore = -1;
    let bestParams = -1;
    for (const t of leaf.templates) {
      let same = 0;
      let params = 0;
      const tt = t.tokens;
      for (let i = 0; i < tt.length; i++) {
        if (tt[i] === WILD) params++;
        else if (tt[i] === tokens[i]) same++;
      }
      const score = tokens.length ? same / tokens.length : 1;
      if (score > bestScore || (score === bestScore && params > bestParams)) {
        best = t;
        bestScore = score;
        bestParams = params;
      }
    }
    if (best && (bestScore >= this.o.similarity || best.tokens.length === 0)) {
      const tt = best.tokens;
      for (let i = 0; i < tt.length; i++) if (tt[i] !== WILD && tt[i] !== tokens[i]) tt[i] = WILD;
      best.count++;
      return best;
    }
    if (this.templates.length >= this.o.maxTemplates) {
      this.overflow++;
      return null;
    }
    // The example is the whole line, with the configured masks too: what they hide stays hidden.
    let example = line;
    for (const m of this.o.masks) example = m.replace(example);
    const created: Template = {
      id: this.nextId++,
      tokens,
      count: 1,
      example: example.length > 500 ? `${example.slice(0, 500)}…` : example,
      route,
    };
    this.templates.push(created);
    leaf.templates.push(created);
    return created;
  }

  /** Puts back a template an earlier run kept, where it was made, with its id and a count of 0. */
  restore(kept: KeptTemplate): Template {
    const [length, ...keys] = kept.route;
    let current: Node = this.root.get(Number(length)) ?? node();
    this.root.set(Number(length), current);
    for (const key of keys) {
      let next = current.children.get(key);
      if (!next) current.children.set(key, (next = node()));
      current = next;
    }
    const t: Template = { ...kept, tokens: [...kept.tokens], route: [...kept.route], count: 0 };
    this.templates.push(t);
    current.templates.push(t);
    this.nextId = Math.max(this.nextId, t.id + 1);
    return t;
  }

  private leaf(tokens: string[]): { leaf: Node; route: string[] } {
    let current: Node = this.root.get(tokens.length) ?? node();
    this.root.set(tokens.length, current);
    const route = [String(tokens.length)];
    const prefix = Math.min(this.o.depth - 2, tokens.length);
    for (let i = 0; i < prefix; i++) {
      const token = tokens[i]!;
      const key = hasDigit(token) || token.startsWith('<') ? WILD : token;
      let next: Node | undefined = current.children.get(key);
      if (!next) {
        if (key !== WILD && current.children.size >= this.o.maxChildren) {
          next = current.children.get(WILD);
          if (!next) current.children.set(WILD, (next = node()));
        } else current.children.set(key, (next = node()));
      }
      route.push(next === current.children.get(key) ? key : WILD);
      current = next;
    }
    return { leaf: current, route };
  }

  static text(t: Template): string {
    return t.tokens.join(' ');
  }

  /** Templates seen since this Drain was made (restored ones only once a line matched them), by count, highest first. */
  top(n: number): Template[] {
    return this.templates
      .filter((t) => t.count > 0)
      .sort((a, b) => b.count - a.count)
      .slice(0, n);
  }
}
