/**
 * `opscron init` without a runbook (pure): a starter configuration from the services,
 * databases and caches given (`--service shop=https://shop.example`), each with the jobs
 * that look after it on a schedule. Addresses are `${VAR:-as given}`, passwords removed.
 */
import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import { envName, overridable, slug } from './targets.js';

export interface StarterInput {
  services: string[];
  databases: string[];
  caches: string[];
}

interface Named {
  name: string;
  url: string;
}

/** `name=url` → its parts; throws naming the flag and what is expected. */
export function namedUrl(flag: string, text: string, scheme: RegExp): Named {
  const eq = text.indexOf('=');
  const name = eq > 0 ? text.slice(0, eq) : '';
  const raw = text.slice(eq + 1);
  if (!/^[a-z0-9][a-z0-9_-]{0,39}$/.test(name) || !scheme.test(raw))
    throw new RangeError(
      `--${flag} ${JSON.stringify(text.slice(0, 80))}: expected name=url (name of a-z, 0-9, - and _; url ${scheme.source})`,
    );
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new RangeError(`--${flag} ${name}: ${JSON.stringify(raw.slice(0, 80))} is not a URL`);
  }
  url.password = '';
  return { name: slug(name), url: url.toString().replace(/\/$/, '') };
}

/** The starter configuration's YAML. */
export function starterConfig(input: StarterInput): string {
  const services = input.services.map((s) => namedUrl('service', s, /^https?:\/\//));
  const databases = input.databases.map((s) => namedUrl('database', s, /^postgres(ql)?:\/\//));
  const caches = input.caches.map((s) => namedUrl('cache', s, /^rediss?:\/\//));
  const jobs: Record<string, unknown>[] = [
    ...services.flatMap((s) => [
      { id: `${s.name}-health`, type: 'health-check', schedule: '* * * * *', params: { service: s.name } },
      { id: `${s.name}-latency`, type: 'latency-check', schedule: '*/15 * * * *', params: { service: s.name } },
    ]),
    ...databases.flatMap((d) => [
      { id: `${d.name}-health`, type: 'db-health', schedule: '*/15 * * * *', params: { database: d.name } },
      { id: `${d.name}-backup`, type: 'db-backup', schedule: '0 2 * * *', params: { database: d.name } },
      { id: `${d.name}-backup-verify`, type: 'backup-verify', schedule: '0 4 * * *', params: { database: d.name } },
    ]),
    ...caches.map((c) => ({
      id: `${c.name}-health`,
      type: 'cache-health',
      schedule: '@hourly',
      params: { cache: c.name },
    })),
    { id: 'daily-health-report', type: 'health-report', schedule: '0 7 * * *', params: { period: '1d' } },
  ];
  const doc = new Document({
    timezone: 'UTC',
    services: services.map((s) => ({ name: s.name, url: overridable(envName(s.name, 'url'), s.url) })),
    databases: databases.map((d) => ({ name: d.name, url: overridable(envName(d.name, 'database_url'), d.url) })),
    caches: caches.map((c) => ({ name: c.name, url: overridable(envName(c.name, 'redis_url'), c.url) })),
    reports: { recipients: { health: ['${OPSCRON_REPORT_TO:-ops@localhost}'] } },
    jobs,
  });
  doc.commentBefore = [
    ' Written by `opscron init`: a starting point. Each address is ${VAR:-as given}; passwords',
    ' were not written: put them in the variable named beside each database and cache.',
  ].join('\n');
  const root = doc.contents as YAMLMap;
  for (const [key, list, suffix] of [
    ['databases', databases, 'database_url'],
    ['caches', caches, 'redis_url'],
  ] as const) {
    const seq = root.get(key, true);
    if (isSeq(seq))
      seq.items.forEach((item, i) => {
        if (isMap(item)) item.commentBefore = ` with a password: set ${envName(list[i]!.name, suffix)}`;
      });
  }
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true, singleQuote: true });
}
