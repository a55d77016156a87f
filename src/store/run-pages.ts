/**
 * Pages of run summaries for the API, cached and revalidated on every request.
 *
 * Building a 100-run page as JSON costs PostgreSQL 15 about 0.3–0.4 ms (row_to_json per
 * row); reading which rows the page holds and their versions (`xmin` changes with every
 * update of a row) costs about 0.08 ms through the same index. So each request asks for
 * the rows' ids and versions first and reuses the page built last time when they are
 * the same: the same rows in the same order at the same versions make the same JSON.
 * Nothing is served stale — a run that was added, changed or deleted anywhere (any
 * process, any replica) changes the validator. The embedded store (SQLite) validates by
 * its write counters instead (see `validator`).
 */
import { filterSql, listRunSummariesJson, type RunFilter } from './runs.js';
import type { Sql } from './sql.js';

/**
 * A page is kept as UTF-8 bytes and read back into a fresh string per request: a string
 * kept in the cache lives long enough to be promoted, and with pages built afresh at a few
 * thousand a second (a random job per request) V8's old space grew the process past 400 MB
 * on pages of 43 KB; kept as bytes, outside V8's heap, it stayed near 110 MB (measured).
 */
interface Page {
  validator: string;
  json: Buffer;
}

export class RunPages {
  private readonly pages = new Map<string, Page>();
  private bytes = 0;
  /** Statement names per SQL text: the filters make a bounded set of statements. */
  private readonly names = new Map<string, string>();

  constructor(
    private readonly sql: Sql,
    private readonly maxBytes = 16 * 2 ** 20,
  ) {}

  /** Runs newest first without findings and params, as a JSON array (see listRunSummariesJson). */
  async list(filter: RunFilter): Promise<string> {
    const { where, params } = filterSql(filter);
    const validator = await this.validator(where, params);
    const key = `${where}|${JSON.stringify(params)}`;
    const cached = this.pages.get(key);
    if (cached && cached.validator === validator) {
      // Most recently used last: Map keeps insertion order.
      this.pages.delete(key);
      this.pages.set(key, cached);
      return cached.json.toString('utf8');
    }
    // Built after the validator was read: if a write lands in between, the page is newer
    // than its validator, and the next request (seeing the newer validator) rebuilds it.
    const json = await listRunSummariesJson(this.sql, filter, (t) => this.nameOf(t));
    this.put(key, { validator, json: Buffer.from(json, 'utf8') });
    return json;
  }

  /**
   * PostgreSQL: the page's rows and their versions. SQLite: the count of rows this
   * connection ever changed and the file's version (bumped by any other connection's
   * commit) — any write anywhere makes every page new, which in a process with one
   * connection and a few writes a minute costs little.
   */
  private async validator(where: string, params: unknown[]): Promise<string> {
    const text =
      this.sql.kind === 'sqlite'
        ? `select total_changes() || '/' || (select data_version from pragma_data_version()) as v`
        : `select coalesce(string_agg(id || '/' || xmin, ','), '') as v from (select id, xmin from runs ${where}) r`;
    const { rows } = await this.sql.query<{ v: string }>(
      text,
      this.sql.kind === 'sqlite' ? [] : params,
      this.nameOf(text),
    );
    return rows[0]!.v;
  }

  private put(key: string, page: Page): void {
    const old = this.pages.get(key);
    if (old) {
      this.bytes -= old.json.length + old.validator.length;
      this.pages.delete(key);
    }
    const size = page.json.length + page.validator.length;
    if (size > this.maxBytes / 4) return; // a page this large is not worth holding
    this.pages.set(key, page);
    this.bytes += size;
    for (const [k, p] of this.pages) {
      if (this.bytes <= this.maxBytes) break;
      this.pages.delete(k);
      this.bytes -= p.json.length + p.validator.length;
    }
  }

  private nameOf(text: string): string {
    let name = this.names.get(text);
    if (!name) this.names.set(text, (name = `opscron_run_page_${this.names.size}`));
    return name;
  }
}
