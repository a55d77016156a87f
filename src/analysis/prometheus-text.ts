/**
 * The Prometheus text exposition format (version 0.0.4), parsed into samples. Pure: the
 * health-check uses it to judge a service's /metrics, error-rate to read its counters.
 * A line that is not a comment, blank or a valid sample is an error naming its number.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  /** `# TYPE` declarations by metric family name. */
  types: Map<string, string>;
  /** One per bad line: `line 12: ...`. */
  errors: string[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string): number | null {
  switch (text) {
    case '+Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : null;
}

/** Parses `{a="x",b="y"}` starting at `text[0] === '{'`; returns the labels and what follows. */
function parseLabels(text: string): { labels: Record<string, string>; rest: string } | string {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (!name) return `bad label name at column ${i + 1}`;
    i += name.length;
    if (text[i] !== '=' || text[i + 1] !== '"') return `expected ="..." after label ${name}`;
    i += 2;
    let value = '';
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === '\\') {
        const next = text[++i];
        value += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' ? '"' : `\\${next}`;
      } else value += text[i];
    }
    if (text[i] !== '"') return `unterminated value of label ${name}`;
    labels[name] = value;
    i++;
    while (text[i] === ' ') i++;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') return `expected , or } after label ${name}`;
  }
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const errors: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!line) return;
    if (line.startsWith('#')) {
      const type = /^#\s*TYPE\s+(\S+)\s+(counter|gauge|histogram|summary|untyped)\s*$/.exec(line);
      if (type) types.set(type[1]!, type[2]!);
      else if (/^#\s*TYPE\b/.test(line)) errors.push(`line ${index + 1}: malformed TYPE line`);
      return;
    }
    const name = NAME.exec(line)?.[0];
    if (!name) return void errors.push(`line ${index + 1}: expected a metric name`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest);
      if (typeof parsed === 'string') return void errors.push(`line ${index + 1}: ${parsed}`);
      labels = parsed.labels;
      rest = parsed.rest;
    }
    const [valueText, timestamp, ...extra] = rest.trim().split(/\s+/);
    const value = valueText === undefined ? null : parseValue(valueText);
    if (value === null) return void errors.push(`line ${index + 1}: ${name} has no numeric value`);
    if (extra.length || (timestamp !== undefined && !/^-?\d+$/.test(timestamp)))
      return void errors.push(`line ${index + 1}: unexpected text after the value of ${name}`);
    samples.push({ name, labels, value });
  });
  return { samples, types, errors };
}
