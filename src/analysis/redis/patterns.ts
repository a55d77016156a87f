/**
 * Memory by key pattern, as RedisInsight's analysis shows it: key names from a SCAN sample
 * with their ids and numbers masked (`session:8f3a…` → `session:*`), grouped, and the
 * sample's bytes extrapolated to the whole database. Key names are the server's data:
 * untrusted, so masking is linear-time and patterns are cut to a bounded length.
 */
import type { Finding } from '../../model.js';
import { mebibytes, percent } from '../format.js';
import type { KeySample, KeySampleResult } from './metrics.js';

/** Characters that separate the parts of a key name; kept in the pattern. */
const DELIMITERS = /([:/|#{},;=\s])/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX_ID = /^[0-9a-f]{8,}$/i;
/** Characters of tokens: letters, digits, base64url's `-_` (and base64's `+`), `.` between a JWT's parts. */
const TOKEN_CHARS = /^[A-Za-z0-9_+\-.~]{16,}$/;
/**
 * A word of a name: UPPER (2–15 letters), lower or Capitalised, camelCase (each further
 * capital starts a run of ≥ 2 lower-case letters), with at most 2 digits at its end (`v2`),
 * or a number of up to 4 digits; and, unless UPPER, no 5 consonants in a row. Random tokens
 * almost never fall that way: of 2 million drawn, about 1 in 10,000–30,000 of 16 characters,
 * 1 in 100,000–400,000 of 20, none of 32. (`ByUser`, `HTTPRequest` are masked too: a name
 * masked costs less than a token shown.)
 */
const NAME_WORD =
  /^(?:|[0-9]{1,4}|[A-Z]{2,15}[0-9]{0,2}|[A-Z]?[a-z]{2,}(?:[A-Z][a-z]{2,})*[0-9]{0,2}|[a-z][0-9]{1,2})$/;
const CONSONANTS = /[b-df-hj-np-tv-z]{5}/i;
const nameWord = (word: string) => NAME_WORD.test(word) && (/^[A-Z0-9]*$/.test(word) || !CONSONANTS.test(word));
/** Tokens, ULIDs, JWTs, base64 ids: 16 or more token characters that are not words of a name (`session_handler_v2`). */
const isToken = (part: string) => TOKEN_CHARS.test(part) && !part.split(/[-_.+~]/).every(nameWord);
const PATTERN_MAX = 120;
/** The findings list this many patterns; the evidence holds twice that. */
const TOP = 5;

/** `user:1234:cart` → `user:*:cart`, `report:2026-11` → `report:*`, `{tenant7}:s:9f86d081884c7d65` → `{tenant*}:s:*`, `denylist:<JWT>` → `denylist:*`. */
export function keyPattern(key: string): string {
  const pattern = key
    .slice(0, 4 * PATTERN_MAX)
    .split(DELIMITERS)
    .map((part) => {
      // An e-mail address names a person: masked whole, like an id.
      if (part.includes('@')) return '*';
      if (UUID.test(part) || (HEX_ID.test(part) && /\d/.test(part)) || isToken(part)) return '*';
      // Numbers within a part (user123 → user*), and runs of them (2026-11-30, 10.0.0.1) as one.
      return part.replace(/\d+/g, '*').replace(/\*(?:[-._]\*)+/g, '*');
    })
    .join('');
  return pattern.length > PATTERN_MAX ? `${pattern.slice(0, PATTERN_MAX)}…` : pattern;
}

/** One pattern's share of the sample, and what it extrapolates to. */
export interface PatternRow {
  pattern: string;
  /** Sampled keys of this pattern. */
  keys: number;
  /** Their MEMORY USAGE, summed. */
  bytes: number;
  withoutTtl: number;
  /** Sampled keys per TYPE. */
  types: Record<string, number>;
  /** keys and bytes scaled by DBSIZE / sample size. */
  estimatedKeys: number;
  estimatedBytes: number;
}

/** The sample grouped by pattern, most bytes first. Keys that went away during the sample are left out. */
export function byPattern(sample: KeySampleResult): PatternRow[] {
  const present = sample.keys.filter((k) => k.ttl !== -2 && k.bytes !== null);
  const scale = present.length && sample.dbsize > present.length ? sample.dbsize / present.length : 1;
  const rows = new Map<string, PatternRow>();
  for (const k of present) {
    const pattern = keyPattern(k.key);
    const row = rows.get(pattern) ?? {
      pattern,
      keys: 0,
      bytes: 0,
      withoutTtl: 0,
      types: {},
      estimatedKeys: 0,
      estimatedBytes: 0,
    };
    row.keys += 1;
    row.bytes += k.bytes ?? 0;
    if (k.ttl === -1) row.withoutTtl += 1;
    const type = k.type ?? 'unknown';
    row.types[type] = (row.types[type] ?? 0) + 1;
    rows.set(pattern, row);
  }
  return [...rows.values()]
    .map((row) => ({
      ...row,
      estimatedKeys: Math.round(row.keys * scale),
      estimatedBytes: Math.round(row.bytes * scale),
    }))
    .sort((a, b) => b.bytes - a.bytes || b.keys - a.keys || (a.pattern < b.pattern ? -1 : 1));
}

/** "a SCAN sample of 1000 of 182340 keys (0.5 %), cut short by its time bound". */
export function describeSample(sample: KeySampleResult, sampled: number): string {
  const of =
    sample.dbsize > sampled ? ` of ${sample.dbsize} keys (${percent(sampled / sample.dbsize)})` : ' keys (every key)';
  const stopped =
    sample.stoppedBy === 'done' || sample.stoppedBy === 'keys' ? '' : `, cut short by its ${sample.stoppedBy} bound`;
  return `a SCAN sample of ${sampled}${of}${stopped}`;
}

const mainType = (types: Record<string, number>) =>
  Object.entries(types).sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'unknown';

/** Memory by pattern and type (info): where the memory goes. */
export function memoryByPattern(resource: string, sample: KeySampleResult): Finding | null {
  const rows = byPattern(sample);
  const sampled = rows.reduce((s, r) => s + r.keys, 0);
  const total = rows.reduce((s, r) => s + r.bytes, 0);
  if (!rows.length || !total) return null;
  const top = rows
    .slice(0, TOP)
    .map(
      (r) =>
        `${r.pattern} ${percent(r.bytes / total)} (${r.keys} keys, ${mainType(r.types)}, ~${mebibytes(r.estimatedBytes)} estimated in all)`,
    );
  return {
    severity: 'info',
    check: 'redis.memory-by-pattern',
    resource,
    message: `memory by key pattern in ${describeSample(sample, sampled)}: ${top.join('; ')}`,
    evidence: { sampled, dbsize: sample.dbsize, stoppedBy: sample.stoppedBy, patterns: rows.slice(0, 2 * TOP) },
  };
}

/** Keys that never expire, by pattern (info): the keys an eviction policy or a clean-up has to know about. */
export function noTtlByPattern(resource: string, sample: KeySampleResult): Finding | null {
  const rows = byPattern(sample)
    .filter((r) => r.withoutTtl > 0)
    .sort((a, b) => b.withoutTtl - a.withoutTtl || (a.pattern < b.pattern ? -1 : 1));
  if (!rows.length) return null;
  const sampled = sample.keys.filter((k: KeySample) => k.ttl !== -2 && k.bytes !== null).length;
  const without = rows.reduce((s, r) => s + r.withoutTtl, 0);
  return {
    severity: 'info',
    check: 'redis.no-ttl-by-pattern',
    resource,
    message: `${without} keys without a TTL in ${describeSample(sample, sampled)}: ${rows
      .slice(0, TOP)
      .map((r) => `${r.pattern} ${r.withoutTtl} of ${r.keys}`)
      .join('; ')}`,
    evidence: rows.slice(0, 2 * TOP).map((r) => ({ pattern: r.pattern, withoutTtl: r.withoutTtl, keys: r.keys })),
  };
}
