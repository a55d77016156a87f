/**
 * The plan → commented YAML (pure, deterministic): each job says which heading and line it
 * came from and why it runs when it does; addresses are `${VAR:-as written}` so a deployer
 * (or a test) points them elsewhere; secrets are `${VAR}` the deployer sets, never copied.
 */
import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import type { Plan, PlannedJob } from './plan.js';
import { envName, overridable } from './targets.js';
import type { ServiceDraft } from './types.js';

export interface WriteOptions {
  /** How the runbook was named on the command line, for the header. */
  source: string;
}

/** The configuration text for a plan. */
export function writeConfig(plan: Plan, options: WriteOptions): string {
  const services = writtenServices(plan);
  const doc = new Document(configObject(plan, services));
  doc.commentBefore = header(plan, options);
  const root = doc.contents as YAMLMap;
  commentSeq(root, 'jobs', (i) => jobComment(plan.jobs[i]!));
  commentSeq(root, 'services', (i) => serviceComment(services[i]!));
  commentSeq(
    root,
    'databases',
    (i) =>
      ` ${plan.databases[i]!.name}: the password goes in ${envName(plan.databases[i]!.name, 'database_url')}, never in this file`,
  );
  commentSeq(
    root,
    'caches',
    (i) => ` ${plan.caches[i]!.name}: a password goes in ${envName(plan.caches[i]!.name, 'redis_url')}`,
  );
  if (plan.kube.chartValues.length)
    doc.comment = [
      " From the runbook's Kubernetes YAML, for charts/opscron values (opscron's own deployment):",
      ...plan.kube.chartValues.map((v) => `   ${v}`),
    ].join('\n');
  const text = doc.toString({ lineWidth: 0, flowCollectionPadding: true, singleQuote: true });
  return text.endsWith('\n') ? text : `${text}\n`;
}

function commentSeq(root: YAMLMap, key: string, comment: (i: number) => string): void {
  const seq = root.get(key, true);
  if (!isSeq(seq)) return;
  seq.items.forEach((item, i) => {
    if (isMap(item)) item.commentBefore = comment(i);
  });
}

function header(plan: Plan, options: WriteOptions): string {
  const mapped = plan.commands - plan.unmapped.length;
  const lines = [
    ` Written by \`opscron init --from-runbook ${options.source.replace(/[\r\n]/g, ' ')}\`: a proposal to review, not a copy.`,
    ` ${mapped} of ${plan.commands} commands mapped to ${plan.jobs.length} jobs; the ${plan.unmapped.length} others were listed on stderr with why.`,
    ' Addresses are ${VAR:-as the runbook wrote them}: set the variable to point a job elsewhere.',
  ];
  if (plan.secrets.length) {
    lines.push(' Secrets found in commands were not copied. Set these before starting:');
    for (const s of plan.secrets) lines.push(`   ${s.variable}: ${s.why}`);
  }
  return lines.join('\n');
}

function jobComment(job: PlannedJob): string {
  const lines = job.sources.map((s) => ` from "${s.heading}", line ${s.line}: ${s.what}`);
  lines.push(job.schedule ? ` schedule from ${job.scheduleWhy}` : ` runs by hand: ${job.scheduleWhy}`);
  for (const note of job.notes) lines.push(` ${note}`);
  return lines.join('\n');
}

/** Services a job refers to, or that the runbook gave an address for. */
function writtenServices(plan: Plan): ServiceDraft[] {
  const referenced = new Set<string>();
  for (const job of plan.jobs) {
    if (typeof job.params.service === 'string') referenced.add(job.params.service);
    for (const s of (job.params.services as string[] | undefined) ?? []) referenced.add(s);
  }
  const known = plan.services.filter((s) => s.origin || referenced.has(s.name));
  const missing = [...referenced].filter((name) => !plan.services.some((s) => s.name === name));
  return [...known, ...missing.map((name) => ({ name, origin: '' }))];
}

function serviceComment(service: ServiceDraft): string {
  return service.origin
    ? ` ${service.name}: set ${envName(service.name, 'url')} to check another address`
    : ` ${service.name}: the runbook gives no URL; http://${service.name}${service.namespace ? `.${service.namespace}` : ''} is its in-cluster name — set ${envName(service.name, 'url')} if not`;
}

function configObject(plan: Plan, written: readonly ServiceDraft[]): Record<string, unknown> {
  const config: Record<string, unknown> = { timezone: 'UTC' };
  if (plan.namespaces.length) config.kubernetes = { namespaces: [...plan.namespaces] };
  const services = written.map((s) => {
    const origin = s.origin || `http://${s.name}${s.namespace ? `.${s.namespace}` : ''}`;
    const out: Record<string, unknown> = { name: s.name, url: overridable(envName(s.name, 'url'), origin) };
    for (const key of ['healthPath', 'metricsPath', 'namespace', 'deployment', 'breakerResetPath'] as const)
      if (s[key]) out[key] = s[key];
    if (s.dependencies?.length) out.dependencies = [...s.dependencies];
    return out;
  });
  if (services.length) config.services = services;
  if (plan.databases.length)
    config.databases = plan.databases.map((d) => ({
      name: d.name,
      url: overridable(envName(d.name, 'database_url'), d.url),
    }));
  if (plan.caches.length)
    config.caches = plan.caches.map((c) => ({ name: c.name, url: overridable(envName(c.name, 'redis_url'), c.url) }));
  if (plan.recipients.length)
    config.reports = {
      recipients: Object.fromEntries(
        plan.recipients.map((r) => [r.kind, [overridable(envName(r.kind, 'report_to'), r.address)]]),
      ),
    };
  config.jobs = plan.jobs.map((job) => {
    const out: Record<string, unknown> = { id: job.id, type: job.type };
    if (job.schedule) out.schedule = job.schedule;
    if (job.destructive) out.destructive = true;
    if (Object.keys(job.params).length) out.params = job.params;
    return out;
  });
  return config;
}
