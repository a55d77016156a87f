/**
 * The runbook → a plan of services, databases, caches and jobs (pure, deterministic: document
 * order decides everything). Proposals with the same id merge into one job whose comment
 * lists every place it came from; each command is either mapped or listed with why not.
 */
import { readKubeYaml, type KubeFacts } from './kube-yaml.js';
import { recognise, type Seen } from './recognise/index.js';
import { when } from './schedule.js';
import { blockCommands } from './shell.js';
import type { Block, Heading, Proposal, SecretRef, ServiceDraft, ShellCommand, StoreDraft } from './types.js';

/** The most YAML read from one runbook's blocks, in characters. */
const MAX_YAML_TOTAL = 512 * 1024;
/** The most commands read from one runbook. */
export const MAX_COMMANDS = 10_000;

export interface Source {
  heading: string;
  line: number;
  /** The program and its subcommand words only: never the arguments, which may hold secrets. */
  what: string;
}

export interface PlannedJob {
  id: string;
  type: string;
  params: Record<string, unknown>;
  schedule?: string;
  scheduleWhy: string;
  destructive: boolean;
  sources: Source[];
  notes: string[];
}

export interface Unmapped {
  line: number;
  heading: string;
  command: string;
  why: string;
}

export interface Plan {
  services: ServiceDraft[];
  databases: StoreDraft[];
  caches: StoreDraft[];
  jobs: PlannedJob[];
  unmapped: Unmapped[];
  commands: number;
  secrets: SecretRef[];
  kube: KubeFacts;
  namespaces: string[];
  recipients: { kind: string; address: string }[];
}

/** The heading path as the comments show it: `Daily operations › Health checks`. */
export function headingPath(headings: readonly Heading[]): string {
  // The page's title (a lone level-1 heading above the rest) says nothing about the section.
  const path = headings.length > 1 && headings[0]!.level === 1 ? headings.slice(1) : headings;
  return path.map((h) => h.text.replace(/\s+/g, ' ').slice(0, 60)).join(' › ') || '(top of the document)';
}

/** What a command is, without its arguments. */
function commandWhat(command: ShellCommand): string {
  const words = command.argv.slice(0, 4).filter((w) => /^[a-z][a-z0-9_.-]*$/i.test(w) || /^\.?\.?\/[\w./-]+$/.test(w));
  return words.slice(0, 3).join(' ').slice(0, 80);
}

export function buildPlan(blocks: readonly Block[]): Plan {
  const plan: Plan = {
    services: [],
    databases: [],
    caches: [],
    jobs: [],
    unmapped: [],
    commands: 0,
    secrets: [],
    kube: { chartValues: [] },
    namespaces: [],
    recipients: [],
  };
  const seen: Seen = {};
  let yamlBytes = 0;
  const index: Index = { jobs: new Map(), ids: new Set(), services: new Map(), seen: new Set() };
  for (const block of blocks) {
    if (block.kind === 'yaml') {
      // The YAML read per runbook is bounded too: its parser costs far more per byte than the rest.
      yamlBytes += block.text.length;
      if (yamlBytes <= MAX_YAML_TOTAL) readKubeYaml(block.text, plan.kube);
      continue;
    }
    const heading = headingPath(block.headings);
    const schedule = when(block.headings, block.prose);
    for (const command of blockCommands(block.text, block.line)) {
      if (++plan.commands > MAX_COMMANDS) throw new RangeError(`more than ${MAX_COMMANDS} commands`);
      const result = recognise(command, seen);
      if ('unmapped' in result) {
        plan.unmapped.push({ line: command.line, heading, command: command.text, why: result.unmapped });
        continue;
      }
      for (const proposal of result.proposals) {
        addProposal(plan, index, proposal, { heading, line: command.line, what: commandWhat(command) }, schedule);
        remember(seen, proposal);
        if (proposal.type.endsWith('-report')) addRecipient(plan, proposal.type.replace(/-report$/, ''), block.prose);
      }
    }
  }
  applyPolicy(plan);
  return plan;
}

/** The runbook's Deployment resources become the audit-review policy, with the reliability controls that judge it. */
function applyPolicy(plan: Plan): void {
  const audit = plan.jobs.find((j) => j.type === 'audit-review');
  if (!audit || !plan.kube.policy) return;
  audit.params.policy = plan.kube.policy;
  const sections = (audit.params.sections as string[] | undefined) ?? [];
  if (audit.params.sections && !sections.includes('reliability')) audit.params.sections = [...sections, 'reliability'];
  audit.notes.push("policy: the requests and limits of the runbook's Deployment YAML");
}

const EMAIL = /[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+/;

/** The address a reporting section names, kept as the default of a variable the deployer sets. */
function addRecipient(plan: Plan, kind: string, prose: string): void {
  if (plan.recipients.some((r) => r.kind === kind)) return;
  plan.recipients.push({ kind, address: EMAIL.exec(prose)?.[0] ?? 'ops@localhost' });
}

function remember(seen: Seen, proposal: Proposal): void {
  const service = proposal.services?.find((s) => s.origin)?.name ?? (proposal.params.service as string | undefined);
  if (service) seen.service = service;
  if (proposal.databases?.[0]) seen.database = proposal.databases[0].name;
  if (proposal.caches?.[0]) seen.cache = proposal.caches[0].name;
}

/** Lookups beside the plan's lists, so a long runbook is read in linear time. */
interface Index {
  /** Jobs by what merges them: id, type and whether destructive. */
  jobs: Map<string, PlannedJob>;
  ids: Set<string>;
  services: Map<string, ServiceDraft>;
  /** `database:x`, `cache:x`, `secret:X`, `namespace:x` already in the plan. */
  seen: Set<string>;
}

function once(index: Index, key: string, add: () => void): void {
  if (index.seen.has(key)) return;
  index.seen.add(key);
  add();
}

function addTargets(plan: Plan, index: Index, proposal: Proposal): void {
  for (const s of proposal.services ?? []) mergeService(plan.services, index.services, s);
  for (const d of proposal.databases ?? []) once(index, `database:${d.name}`, () => plan.databases.push(d));
  for (const c of proposal.caches ?? []) once(index, `cache:${c.name}`, () => plan.caches.push(c));
  for (const s of proposal.secrets ?? []) once(index, `secret:${s.variable}`, () => plan.secrets.push(s));
  for (const ns of [proposal.params.namespace, ...((proposal.params.namespaces as unknown[] | undefined) ?? [])])
    if (typeof ns === 'string') once(index, `namespace:${ns}`, () => plan.namespaces.push(ns));
}

function addProposal(
  plan: Plan,
  index: Index,
  proposal: Proposal,
  source: Source,
  schedule: { schedule?: string; why: string },
): void {
  addTargets(plan, index, proposal);
  const params = Object.fromEntries(Object.entries(proposal.params).filter(([, v]) => v !== undefined));
  const destructive = proposal.destructive === true;
  const key = `${proposal.id}\n${proposal.type}\n${destructive}`;
  const existing = index.jobs.get(key);
  if (existing) {
    mergeParams(existing.params, params);
    existing.sources.push(source);
    if (proposal.note && !existing.notes.includes(proposal.note)) existing.notes.push(proposal.note);
    return;
  }
  let id = proposal.id;
  for (let n = 2; index.ids.has(id); n++) id = `${proposal.id}-${n}`;
  const job: PlannedJob = {
    id,
    type: proposal.type,
    params,
    // Whatever writes to a system is never put on a timer from a runbook: it runs by hand.
    schedule: destructive ? undefined : schedule.schedule,
    scheduleWhy: destructive ? 'it changes something, so it runs by hand (confirm: true)' : schedule.why,
    destructive,
    sources: [source],
    notes: proposal.note ? [proposal.note] : [],
  };
  plan.jobs.push(job);
  index.jobs.set(key, job);
  index.ids.add(id);
}

/** Later params add to earlier ones: lists are joined (without repeats), true wins, the first value stays. */
function mergeParams(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(from)) {
    const current = into[key];
    if (Array.isArray(current) && Array.isArray(value))
      into[key] = [...current, ...value.filter((v) => !current.includes(v))];
    else if (current === undefined || value === true) into[key] = value;
  }
}

function mergeService(services: ServiceDraft[], byName: Map<string, ServiceDraft>, draft: ServiceDraft): void {
  const existing = byName.get(draft.name);
  if (!existing) {
    const added = { ...draft };
    services.push(added);
    byName.set(draft.name, added);
    return;
  }
  for (const key of ['origin', 'healthPath', 'metricsPath', 'namespace', 'deployment', 'breakerResetPath'] as const)
    if (!existing[key] && draft[key]) existing[key] = draft[key];
  for (const dependency of draft.dependencies ?? [])
    if (!existing.dependencies?.includes(dependency))
      existing.dependencies = [...(existing.dependencies ?? []), dependency];
}
