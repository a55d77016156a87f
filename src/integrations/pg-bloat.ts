/**
 * Table and btree index bloat, estimated the way check_postgres' `bloat` action and PgHero
 * (after ioguix' pgsql-bloat-estimation) do it: the pages a relation would need for its
 * rows, from the average column widths and null fractions ANALYZE keeps in pg_stats and
 * the page and tuple header sizes, against the pages it has. An estimate: relations whose
 * columns have no statistics, and expression or partial indexes, are left out.
 */
import type pg from 'pg';
import type { BloatEstimate } from '../analysis/pg-health.js';

/** schema.name of the relation whose oid `oid` is, as the other checks name tables. */
const qualified = (oid: string) =>
  `(select n2.nspname || '.' || c2.relname from pg_class c2 join pg_namespace n2 on n2.oid = c2.relnamespace where c2.oid = ${oid})`;

/** Relations smaller than this many pages (1 MiB at 8 kB pages) are not worth estimating. */
const MIN_PAGES = 128;

/** Heap: 24-byte page header; a row is a 4-byte line pointer, a 23-byte header (plus a null bitmap) and its data, each aligned to 8. */
const TABLES = `
  with widths as (
    select c.oid, sum((1 - s.null_frac) * s.avg_width) as width, bool_or(s.null_frac > 0) as nulls, count(*) as cols
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      join pg_stats s on s.schemaname = n.nspname and s.tablename = c.relname and not s.inherited
     where c.relkind = 'r' and c.relpages >= $1 and n.nspname not in ('pg_catalog', 'information_schema')
     group by c.oid)
  select ${qualified('c.oid')} as name, ${qualified('c.oid')} as table, c.relpages::float8 * bs as bytes,
         greatest(c.relpages - ceil(greatest(c.reltuples, 0) * row_bytes / ((bs - 24) * ff / 100.0)), 0)::float8 * bs as wasted
    from widths w join pg_class c on c.oid = w.oid,
         lateral (select current_setting('block_size')::int as bs,
                         coalesce((select option_value::int from pg_options_to_table(c.reloptions) where option_name = 'fillfactor'), 100) as ff,
                         4 + ceil((23 + case when w.nulls then ceil(c.relnatts / 8.0) else 0 end) / 8.0) * 8 + ceil(w.width / 8.0) * 8 as row_bytes) x
   where w.cols = (select count(*) from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped)
   order by wasted desc limit 50`;

/** Btree: page header and 16-byte special space; an entry is a 4-byte line pointer, an 8-byte tuple header and its key, aligned to 8; fillfactor 90 by default. */
const INDEXES = `
  with widths as (
    select i.indexrelid, sum((1 - s.null_frac) * s.avg_width) as width, count(*) as cols, i.indnatts
      from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_am am on am.oid = ic.relam and am.amname = 'btree'
      join pg_class tc on tc.oid = i.indrelid join pg_namespace n on n.oid = tc.relnamespace
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey::int2[])
      join pg_stats s on s.schemaname = n.nspname and s.tablename = tc.relname and s.attname = a.attname and not s.inherited
     where ic.relpages >= $1 and i.indexprs is null and i.indpred is null and n.nspname not in ('pg_catalog', 'information_schema')
     group by i.indexrelid, i.indnatts)
  select ${qualified('c.oid')} as name, ${qualified('i.indrelid')} as table, c.relpages::float8 * bs as bytes,
         greatest(c.relpages - 1 - ceil(greatest(c.reltuples, 0) / greatest(floor((bs - 24 - 16) * ff / 100.0 / entry), 1)), 0)::float8 * bs as wasted
    from widths w join pg_class c on c.oid = w.indexrelid join pg_index i on i.indexrelid = w.indexrelid,
         lateral (select current_setting('block_size')::int as bs,
                         coalesce((select option_value::int from pg_options_to_table(c.reloptions) where option_name = 'fillfactor'), 90) as ff,
                         4 + 8 + ceil(w.width / 8.0) * 8 as entry) x
   where w.cols = w.indnatts
   order by wasted desc limit 50`;

/** The 50 tables and 50 btree indexes with the most estimated waste. */
export async function readBloat(client: pg.Client): Promise<BloatEstimate[]> {
  const read = async (kind: BloatEstimate['kind'], sql: string) =>
    (await client.query<{ name: string; table: string; bytes: number; wasted: number }>(sql, [MIN_PAGES])).rows.map(
      (r): BloatEstimate => ({ kind, name: r.name, table: r.table, bytes: r.bytes, wastedBytes: r.wasted }),
    );
  return [...(await read('table', TABLES)), ...(await read('index', INDEXES))];
}
