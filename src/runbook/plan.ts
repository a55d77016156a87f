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
  for (const block of blocks) {
    if (block.kind === 'yaml') {
      readKubeYaml(block.text, plan.kube);
      continue;
    }
    for (const command of blockCommands(block.text, block.line)) {
      if (++plan.commands > MAX_COMMANDS) throw new RangeError(`more than ${MAX_COMMANDS} commands`);
      const heading = headingPath(block.headings);
      const result = recognise(command, seen);
      if ('unmapped' in result) {
        plan.unmapped.push({ line: command.line, heading, command: command.text, why: result.unmapped });
        continue;
      }
      const schedule = when(block.headings, block.prose);
      for (const proposal of result.proposals) {
        addProposal(plan, proposal, { heading, line: command.line, what: commandWhat(command) }, schedule);
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

function addProposal(
  plan: Plan,
  proposal: Proposal,
  source: Source,
  schedule: { schedule?: string; why: string },
): void {
  for (const s of proposal.services ?? []) mergeService(plan.services, s);
  for (const d of proposal.databases ?? []) if (!plan.databases.some((x) => x.name === d.name)) plan.databases.push(d);
  for (const c of proposal.caches ?? []) if (!plan.caches.some((x) => x.name === c.name)) plan.caches.push(c);
  for (const s of proposal.secrets ?? [])
    if (!plan.secrets.some((x) => x.variable === s.variable)) plan.secrets.push(s);
  for (const ns of [proposal.params.namespace, ...((proposal.params.namespaces as unknown[] | undefined) ?? [])])
    if (typeof ns === 'string' && !plan.namespaces.includes(ns)) plan.namespaces.push(ns);
  const params = Object.fromEntries(Object.entries(proposal.params).filter(([, v]) => v !== undefined));
  const existing = plan.jobs.find((j) => j.id === proposal.id);
  if (existing && existing.type === proposal.type && existing.destructive === (proposal.destructive === true)) {
    mergeParams(existing.params, params);
    existing.sources.push(source);
    if (proposal.note && !existing.notes.includes(proposal.note)) existing.notes.push(proposal.note);
    return;
  }
  const destructive = proposal.destructive === true;
  plan.jobs.push({
    id: existing ? uniqueId(plan, proposal.id) : proposal.id,
    type: proposal.type,
    params,
    // Whatever writes to a system is never put on a timer from a runbook: it runs by hand.
    schedule: destructive ? undefined : schedule.schedule,
    scheduleWhy: destructive ? 'it changes something, so it runs by hand (confirm: true)' : schedule.why,
    destructive,
    sources: [source],
    notes: proposal.note ? [proposal.note] : [],
  });
}

function uniqueId(plan: Plan, id: string): string {
  for (let n = 2; ; n++) if (!plan.jobs.some((j) => j.id === `${id}-${n}`)) return `${id}-${n}`;
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

function mergeService(services: ServiceDraft[], draft: ServiceDraft): void {
  const existing = services.find((s) => s.name === draft.name);
  if (!existing) {
    services.push({ ...draft });
    return;
  }
  for (const key of ['origin', 'healthPath', 'metricsPath', 'namespace', 'deployment', 'breakerResetPath'] as const)
    if (!existing[key] && draft[key]) existing[key] = draft[key];
}
