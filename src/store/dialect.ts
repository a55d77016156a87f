/**
 * The few SQL expressions the store's reports spell differently on PostgreSQL and SQLite,
 * so that each report query is written once. Everything else in those queries is the same
 * SQL on both (casts of values are dropped for SQLite by its adapter, store/sqlite.ts).
 */
import type { Sql } from './sql.js';

export interface Dialect {
  /** `json`'s member `key` (an SQL expression) as text. */
  member(json: string, key: string): string;
  /** Whether `json` has the member `key`. */
  has(json: string, key: string): string;
  /** `table` as `as`, joined to the elements of its JSON array column `column` as `alias` (read with `element(alias)`). */
  elements(table: string, as: string, column: string, alias: string): string;
  /** An element from `elements`. */
  element(alias: string): string;
  /** The calendar day (YYYY-MM-DD) of a timestamp in a time zone given as a parameter. */
  day(timestamp: string, zone: string): string;
  /** The continuous percentile (PostgreSQL's percentile_cont) of `value` over the group. */
  percentile(fraction: number, value: string): string;
  /** `value` of the group's newest row by `order` (among those where `filter` holds). */
  newest(value: string, order: string, filter?: string): string;
  /** The members of the JSON object `json` as rows of `alias`: `alias.key` (text) and `alias.value` (text or number: cast it). */
  members(json: string, alias: string): string;
  /**
   * Whether a run's `params` (its overrides) hold nothing but `confirm`: the check as
   * configured, not one a trigger tuned (run-request.ts tunedByTrigger), which reports leave out.
   */
  configured(params: string): string;
  /**
   * Aggregates per service and day, and per service over the period (day null), from `rows`
   * (a select with service and day columns); `by`: further columns to group by in both.
   */
  perServiceDay(aggregates: string, rows: string, by?: string): string;
  /** Milliseconds from timestamp `earlier` to `later` (SQL expressions), as a float. */
  msBetween(later: string, earlier: string): string;
}

const postgres: Dialect = {
  member: (json, key) => `(${json})->>${key}`,
  has: (json, key) => `(${json}) ? ${key}`,
  elements: (table, as, column, alias) =>
    `${table} ${as} cross join lateral jsonb_array_elements(${as}.${column}) ${alias}`,
  element: (alias) => alias,
  day: (timestamp, zone) => `to_char(${timestamp} at time zone ${zone}, 'YYYY-MM-DD')`,
  percentile: (fraction, value) => `percentile_cont(${fraction}) within group (order by ${value})`,
  newest: (value, order, filter) =>
    `(array_agg(${value} order by ${order} desc)${filter ? ` filter (where ${filter})` : ''})[1]`,
  members: (json, alias) => `jsonb_each_text(${json}) ${alias}`,
  msBetween: (later, earlier) => `(extract(epoch from (${later} - ${earlier})) * 1000)::float8`,
  configured: (p) => `(case when jsonb_typeof(${p}) = 'object' then ${p} - 'confirm' = '{}'::jsonb else true end)`,
  perServiceDay: (aggregates, rows, by) => {
    const more = by ? `, ${by}` : '';
    return `select service, day${more}, ${aggregates} from (${rows}) r group by grouping sets ((service, day${more}), (service${more}))`;
  },
};

// A member name in a JSON path, quoted: a job id or metric name may hold a dot.
const path = (key: string) => `'$."' || ${key} || '"'`;

const sqlite: Dialect = {
  member: (json, key) => `json_extract(${json}, ${path(key)})`,
  has: (json, key) => `json_type(${json}, ${path(key)}) is not null`,
  elements: (table, as, column, alias) => `${table} ${as}, json_each(${as}.${column}) ${alias}`,
  element: (alias) => `${alias}.value`,
  day: (timestamp, zone) => `local_day(${timestamp}, ${zone})`,
  percentile: (fraction, value) => `percentile_cont_json(json_group_array(${value}), ${fraction})`,
  newest: (value, order, filter) =>
    `(json_group_array(${value} order by ${order} desc)${filter ? ` filter (where ${filter})` : ''}) ->> 0`,
  members: (json, alias) => `json_each(${json}) ${alias}`,
  // julianday is a double of days: rounded to the millisecond the timestamps hold.
  msBetween: (later, earlier) => `round((julianday(${later}) - julianday(${earlier})) * 86400000.0)`,
  configured: (p) =>
    `(case when json_type(${p}) = 'object' then not exists (select 1 from json_each(${p}) where key <> 'confirm') else 1 end)`,
  perServiceDay: (aggregates, rows, by) => {
    const more = by ? `, ${by}` : '';
    return `with r as (${rows}) select service, day${more}, ${aggregates} from r group by service, day${more}
     union all select service, null as day${more}, ${aggregates} from r group by service${more}`;
  },
};

export const dialectOf = (sql: Pick<Sql, 'kind'>): Dialect => (sql.kind === 'sqlite' ? sqlite : postgres);
