/**
 * HTML built from template literals where every interpolated value is escaped unless it
 * is itself Html made here: a job name, a finding or an error text from a hostile system
 * reaches the page as text, never as markup. Attribute values are always quoted.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function piece(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(piece).join('');
  return escapeHtml(String(value));
}

/**
 * A template's literal parts with each run of whitespace that holds a line break made one
 * line break: the templates are indented for reading, the pages need not carry it (a
 * thousand-job overview would be a third indentation). Never inside a value. Kept per
 * call site (the strings array of a tagged template is the same object every time).
 */
const compact = new WeakMap<TemplateStringsArray, string[]>();

function partsOf(strings: TemplateStringsArray): string[] {
  let parts = compact.get(strings);
  if (!parts) compact.set(strings, (parts = strings.map((s) => s.replace(/\s*\n\s*/g, '\n'))));
  return parts;
}

/** The tag: `html\`<td>${name}</td>\`` escapes name; arrays are joined; null, undefined and false are nothing. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  const parts = partsOf(strings);
  let out = parts[0]!;
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + parts[i + 1]!;
  return new Html(out);
}

/** A path segment: ids go into links encoded. */
export const seg = (value: string): string => encodeURIComponent(value);
