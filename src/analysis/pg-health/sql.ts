/**
 * Names and values put into the SQL of a remedy, quoted as PostgreSQL's quote_ident and
 * quote_literal (format's %I and %L) quote them, so the command can be copied and run
 * whatever the name: a `'` in a prepared transaction's gid, a capital or a space in a table's.
 */

/** Keywords that cannot be a bare name (PostgreSQL's reserved and type/function-name keywords). */
const RESERVED = new Set(
  `all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation
   column concurrently constraint create cross current_catalog current_date current_role current_schema current_time
   current_timestamp current_user default deferrable desc distinct do else end except false fetch for foreign freeze
   from full grant group having ilike in initially inner intersect into is isnull join lateral leading left like limit
   localtime localtimestamp natural not notnull null offset on only or order outer overlaps placing primary references
   returning right select session_user similar some symmetric system_user table tablesample then to trailing true
   union unique user using variadic verbose when where window with`.split(/\s+/),
);

/** A name as an identifier: bare when it can be, else in double quotes with `"` doubled. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replaceAll('"', '""')}"`;
}

/** `schema.name` as pg-stats.ts reads it (schema and name joined by the first dot), each part quoted. */
export function quoteQualified(qualified: string): string {
  const dot = qualified.indexOf('.');
  return dot < 0
    ? quoteIdent(qualified)
    : `${quoteIdent(qualified.slice(0, dot))}.${quoteIdent(qualified.slice(dot + 1))}`;
}

/** `table.column` as PostgreSQL quotes a qualified name, split at its last dot outside double quotes. */
export function splitLastName(quoted: string): [string, string] {
  let quotedPart = false;
  let last = -1;
  for (let i = 0; i < quoted.length; i++) {
    if (quoted[i] === '"') quotedPart = !quotedPart;
    else if (quoted[i] === '.' && !quotedPart) last = i;
  }
  return last < 0 ? ['…', quoted] : [quoted.slice(0, last), quoted.slice(last + 1)];
}

/** A value as a string literal: in single quotes with `'` doubled (standard_conforming_strings, on since 9.1). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
