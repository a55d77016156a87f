/** The vocabulary of reading a runbook: where a command sits, and what it was recognised as. */

/** A heading on the path to a block: its level, its text and its line. */
export interface Heading {
  level: number;
  text: string;
  line: number;
}

/** A fenced block of the runbook, with the headings above it and the prose of its section. */
export interface Block {
  kind: 'shell' | 'yaml';
  text: string;
  /** Line of the block's first content line (1-based). */
  line: number;
  headings: readonly Heading[];
  /** The section's prose before the block (paragraphs, list items), for schedules and hints. */
  prose: string;
}

/** One simple command of a shell block: `a | b && c` is three. */
export interface ShellCommand {
  argv: string[];
  /** Environment assignments written before the command (`FOO=1 cmd`). */
  env: Record<string, string>;
  /** The commands this one's output is piped into (`| xargs redis-cli del`). */
  pipedTo: string[][];
  /** The command as written (continuations joined), for the unmapped table and comments. */
  text: string;
  line: number;
}

/** A service as a command names it: merged by name across the runbook. */
export interface ServiceDraft {
  name: string;
  /** scheme://host[:port] as written in the runbook (never with credentials). */
  origin: string;
  healthPath?: string;
  metricsPath?: string;
  namespace?: string;
  deployment?: string;
  dependencies?: string[];
  breakerResetPath?: string;
}

/** A database or cache: a name and the URL written in the runbook, its password removed. */
export interface StoreDraft {
  name: string;
  url: string;
}

/** A secret found in a command: the variable the config refers to instead, and why. */
export interface SecretRef {
  variable: string;
  why: string;
}

/** The job a command proposes. Proposals with the same id are merged into one job. */
export interface Proposal {
  id: string;
  type: string;
  params: Record<string, unknown>;
  /** Writes to a system: a manual-only job with `destructive: true`. */
  destructive?: boolean;
  services?: ServiceDraft[];
  databases?: StoreDraft[];
  caches?: StoreDraft[];
  secrets?: SecretRef[];
  /** A sentence for the job's comment: what was taken from where, what to check. */
  note?: string;
}

/** What a recogniser made of a command: jobs, or why none. `undefined`: not this family's. */
export type Recognition = { proposals: Proposal[] } | { unmapped: string };
