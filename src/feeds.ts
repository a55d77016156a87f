/**
 * The catalogue of what each job type feeds (model.ts JobFeeds), built once from the job
 * registry and handed to incidents and reports, which ask it instead of naming job types.
 */
import type { JobFeeds } from './model.js';

export class Feeds {
  constructor(private readonly byType: ReadonlyMap<string, JobFeeds>) {}

  /** The incident signal runs of this type move, if incidents watch it. */
  signalOf(jobType: string): string | null {
    return this.byType.get(jobType)?.signal ?? null;
  }

  /** The job types that declare `key`, with what they declared. */
  with<K extends keyof JobFeeds>(key: K): Array<{ type: string; feed: NonNullable<JobFeeds[K]> }> {
    const out: Array<{ type: string; feed: NonNullable<JobFeeds[K]> }> = [];
    for (const [type, feeds] of this.byType) {
      const feed = feeds[key];
      if (feed !== undefined && feed !== false) out.push({ type, feed: feed as NonNullable<JobFeeds[K]> });
    }
    return out;
  }

  /** The job types that declare `key`. */
  typesWith(key: keyof JobFeeds): string[] {
    return this.with(key).map((f) => f.type);
  }

  /**
   * The one feed of `key` (reports chart one source per figure): its types, and what the
   * first declared. Types that declare the same metric names share a feed.
   */
  one<K extends keyof JobFeeds>(key: K): { types: string[]; feed: NonNullable<JobFeeds[K]> } | null {
    const all = this.with(key);
    if (!all.length) return null;
    const first = JSON.stringify(all[0]!.feed);
    return { types: all.filter((f) => JSON.stringify(f.feed) === first).map((f) => f.type), feed: all[0]!.feed };
  }
}
