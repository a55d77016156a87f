/**
 * Query text from pg_stat_activity as findings may show it: the statement's shape with every
 * constant replaced by `?`, as pg_stat_statements normalises it. pg_stat_activity keeps the
 * text a client sent, literals and all (`ALTER ROLE app PASSWORD 'x'`, a customer's e-mail
 * in a WHERE), and a finding is stored, reported and sent to chat. A hand-written scanner of
 * PostgreSQL's lexical rules, since the text is often cut off mid-literal (the server keeps
 * track_activity_query_size bytes, opscron reads 500): an unterminated literal is masked to
 * the end. Identifiers, keywords, operators and `$1` parameters are kept; comments are
 * emptied (they can hold anything).
 */

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const NUMBER = /^(?:0[xob][0-9a-f_]+|(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)/i;
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/;
/** Letters that make the next `'…'` a special literal: E (backslash escapes), B, X, N, U&. */
const PREFIX = /^(?:[EeBbXxNn]|[Uu]&)$/;

/** The index just past a quoted run opened before `from` and closed by `quote` (doubled = escaped). */
function closeQuoted(sql: string, from: number, quote: string, backslash: boolean): number {
  for (let i = from; i < sql.length; i++) {
    if (backslash && sql[i] === '\\') i++;
    else if (sql[i] === quote) {
      if (sql[i + 1] === quote) i++;
      else return i + 1;
    }
  }
  return sql.length;
}

/** The index just past a block comment opened before `from`; PostgreSQL's block comments nest. */
function closeComment(sql: string, from: number): number {
  let depth = 1;
  for (let i = from; i < sql.length - 1; i++) {
    const pair = sql.slice(i, i + 2);
    if (pair === '/*') depth++;
    else if (pair === '*/') depth--;
    else continue;
    i++;
    if (depth === 0) return i + 1;
  }
  return sql.length;
}

/** `sql` with its string, number and dollar-quoted constants as `?` and its comments emptied. */
export function maskSqlLiterals(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const rest = sql.slice(i, i + 2);
    if (c === '"') {
      const end = closeQuoted(sql, i + 1, '"', false);
      out += sql.slice(i, end);
      i = end;
    } else if (rest === '--') {
      const newline = sql.indexOf('\n', i);
      out += '--';
      i = newline < 0 ? sql.length : newline;
    } else if (rest === '/*') {
      out += '/* */';
      i = closeComment(sql, i + 2);
    } else if (c === "'") {
      i = closeQuoted(sql, i + 1, "'", false);
      out += '?';
    } else if (c === '$' && /\d/.test(sql[i + 1] ?? '')) {
      let end = i + 1;
      while (end < sql.length && /\d/.test(sql[end]!)) end++;
      out += sql.slice(i, end);
      i = end;
    } else if (c === '$' && DOLLAR_TAG.test(sql.slice(i, i + 64))) {
      const tag = DOLLAR_TAG.exec(sql.slice(i, i + 64))![0];
      const end = sql.indexOf(tag, i + tag.length);
      out += '?';
      i = end < 0 ? sql.length : end + tag.length;
    } else if (IDENT_START.test(c)) {
      let end = i + 1;
      while (end < sql.length && IDENT_PART.test(sql[end]!)) end++;
      if (sql[end] === '&' && (sql[i] === 'U' || sql[i] === 'u') && end === i + 1) end++;
      const word = sql.slice(i, end);
      if (sql[end] === "'" && PREFIX.test(word)) {
        i = closeQuoted(sql, end + 1, "'", word === 'E' || word === 'e');
        out += '?';
      } else {
        out += word;
        i = end;
      }
    } else if (/[\d.]/.test(c) && NUMBER.test(sql.slice(i, i + 400))) {
      i += NUMBER.exec(sql.slice(i, i + 400))![0].length;
      out += '?';
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
