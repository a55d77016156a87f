/**
 * The one schema of opscron's configuration. Defaults live here and nowhere else;
 * unknown keys are rejected everywhere so a typo is an error, not a silent default.
 * `config/opscron.schema.json` is generated from it (`npm run schema`).
 */
import { z } from 'zod';
import { parseCron } from '../cron/expression.js';
import { REPORT_KINDS, SCOPES } from '../model.js';
import { isValidTimeZone } from '../cron/timezone.js';
import { alertmanagerSchema, silencesSchema } from './alerting.js';
import { duration } from './duration.js';
import { escalationSchema, notificationsSchema } from './notifications.js';
import { optionalUrl, queueSchema } from './queue.js';
import { storageSchema } from './storage.js';
import { cachesSchema, databasesSchema } from './targets.js';

export { duration };

const timeZone = z
  .string()
  .refine(isValidTimeZone, { error: 'must be an IANA time zone such as UTC or Europe/Berlin' });

const cronSchedule = z.string().superRefine((value, ctx) => {
  try {
    parseCron(value);
  } catch (error) {
    ctx.addIssue({
      code: 'custom',
      message: (error as Error & { reason?: string }).reason ?? (error as Error).message,
    });
  }
});

/** Dependency URLs health-check can probe (src/integrations/dependencies.ts). */
const DEPENDENCY_URL = /^(tcp|postgres|postgresql|redis|rediss|http|https):\/\/\S+$/;

const JOB_ID = /^[a-z0-9][a-z0-9_-]{0,99}$/;

export const jobSchema = z.strictObject({
  id: z
    .string()
    .regex(JOB_ID, { error: 'must be 1-100 characters of a-z, 0-9, - and _, starting with a letter or digit' }),
  type: z.string(),
  summary: z.string().optional(),
  schedule: cronSchedule.optional(),
  timezone: timeZone.optional(),
  params: z.record(z.string(), z.unknown()).default({}),
  timeout: duration.default(300_000),
  retries: z
    .strictObject({
      attempts: z.number().int().min(1).max(20).default(1),
      backoff: duration.default(10_000),
      maxBackoff: duration.default(600_000),
    })
    .default({ attempts: 1, backoff: 10_000, maxBackoff: 600_000 }),
  concurrency: z.enum(['forbid', 'allow', 'replace']).default('forbid'),
  catchUp: z.strictObject({ deadline: duration.default(3_600_000) }).default({ deadline: 3_600_000 }),
  jitter: duration.default(0),
  enabled: z.boolean().default(true),
  /** Treat this job as destructive even if its type is not: confirm: true and admin scope to trigger. */
  destructive: z.boolean().default(false),
});

export const serviceSchema = z.strictObject({
  name: z.string().regex(JOB_ID, { error: 'must be a-z, 0-9, - and _' }),
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  healthPath: z.string().startsWith('/').default('/health'),
  metricsPath: z.string().startsWith('/').default('/metrics'),
  namespace: z.string().optional(),
  deployment: z.string().optional(),
  /** What the service needs, probed by health-check: tcp://, postgres://, redis://, http(s):// URLs. */
  dependencies: z
    .array(z.string().regex(DEPENDENCY_URL, { error: 'must be a tcp://, postgres://, redis:// or http(s):// URL' }))
    .default([]),
  breakerResetPath: z.string().startsWith('/').optional(),
});

/** An email address as browsers accept it (ops@localhost included). */
export const emailAddress = z.email({
  pattern: z.regexes.html5Email,
  error: 'must be an email address such as ops@example.com',
});
const recipients = z.array(emailAddress).default([]);

export const reportsSchema = z
  .strictObject({
    /** Where PDFs are stored: <path>/<kind>/<yyyy>/<mm>/<id>.pdf. */
    path: z.string().default('./var/reports'),
    /** Stored reports older than this are deleted (with their index row). */
    maxAge: duration.default(365 * 86_400_000),
    /** At most this many stored reports per kind; the oldest go first. */
    maxCount: z.number().int().min(1).default(500),
    /** Reports made by hand (API, CLI) are kept apart: at most this many per kind, so they never push scheduled ones out. */
    maxAdhoc: z.number().int().min(1).default(50),
    /** Who gets each kind by email; nobody means stored only. */
    recipients: z
      .strictObject(
        Object.fromEntries(REPORT_KINDS.map((k) => [k, recipients])) as Record<
          (typeof REPORT_KINDS)[number],
          typeof recipients
        >,
      )
      .default({ health: [], incident: [], compliance: [], performance: [] }),
  })
  .default({
    path: './var/reports',
    maxAge: 365 * 86_400_000,
    maxCount: 500,
    maxAdhoc: 50,
    recipients: { health: [], incident: [], compliance: [], performance: [] },
  });

export const emailSchema = z
  .strictObject({
    /** smtp://user:pass@host:587 (STARTTLS when offered) or smtps://host:465. Unset: mails are written to outbox as .eml files. */
    smtpUrl: optionalUrl,
    /** Refuse to send without STARTTLS (on by default outside loopback). */
    requireTLS: z.boolean().optional(),
    /** PEM file of the CA that signed the SMTP server's certificate (a private CA). */
    caFile: z.string().optional(),
    from: z.string().default('opscron <opscron@localhost>'),
    outbox: z.string().default('./var/outbox'),
    /** Sending is retried with exponential backoff until it works or attempts run out. */
    retry: z
      .strictObject({
        attempts: z.number().int().min(1).max(1000).default(50),
        backoff: duration.default(30_000),
        maxBackoff: duration.default(3_600_000),
      })
      .default({ attempts: 50, backoff: 30_000, maxBackoff: 3_600_000 }),
  })
  .default({
    from: 'opscron <opscron@localhost>',
    outbox: './var/outbox',
    retry: { attempts: 50, backoff: 30_000, maxBackoff: 3_600_000 },
  });

export const incidentsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** A signal opens an incident after this many consecutive critical runs... */
    openAfter: z.number().int().min(1).max(100).default(2),
    /** ...and recovers after this many consecutive healthy (ok or warning) runs. */
    resolveAfter: z.number().int().min(1).max(100).default(2),
    /** Steps run in order when an incident opens, per service name (or "*" for any): configured job ids. */
    remediation: z
      .record(
        z.string(),
        z.array(
          z.strictObject({
            job: z.string(),
            params: z.record(z.string(), z.unknown()).default({}),
            timeout: duration.default(600_000),
          }),
        ),
      )
      .default({}),
    /** After each step, run the failing check again and stop once the signal is healthy. */
    verify: z.boolean().default(true),
    /** Until acknowledged, an open incident is notified again this often (0: never). */
    renotify: duration.refine((ms) => ms === 0 || ms >= 60_000, { error: 'must be 0 (off) or at least 1m' }).default(0),
    escalation: escalationSchema,
  })
  .default({
    enabled: true,
    openAfter: 2,
    resolveAfter: 2,
    remediation: {},
    verify: true,
    renotify: 0,
    escalation: {},
  });

export const configSchema = z.strictObject({
  timezone: timeZone.default('UTC'),
  store: z
    .strictObject({
      databaseUrl: optionalUrl,
      path: z.string().default('./var/db'),
      retention: duration.default(90 * 86_400_000),
      /** `transaction`: databaseUrl is PgBouncer with pool_mode=transaction (README, PgBouncer). */
      poolMode: z.enum(['session', 'transaction']).default('session'),
    })
    .default({ path: './var/db', retention: 90 * 86_400_000, poolMode: 'session' }),
  queue: queueSchema,
  scheduler: z
    .strictObject({
      maxMissedRecords: z.number().int().min(1).default(1000),
      shutdownGrace: duration.default(30_000),
    })
    .default({ maxMissedRecords: 1000, shutdownGrace: 30_000 }),
  http: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(8080),
      /** Where to listen; without API tokens opscron listens on loopback whatever this says. */
      host: z.string().optional(),
      /** API tokens: the name is the actor in the audit log; scope read < trigger < admin. */
      tokens: z
        .array(
          z.strictObject({
            name: z
              .string()
              .regex(/^[A-Za-z0-9@._-]{1,100}$/, { error: 'must be 1-100 characters of letters, digits, @ . _ -' }),
            token: z.string().min(16, { error: 'must be at least 16 characters' }),
            scope: z.enum(SCOPES),
          }),
        )
        .default([]),
      /** Where people reach this opscron's API (https://opscron.example.com): notifications link the incident there. */
      publicUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
      bodyLimit: z
        .number()
        .int()
        .min(1024)
        .max(10 * 1024 * 1024)
        .default(65_536),
    })
    .default({ port: 8080, tokens: [], bodyLimit: 65_536 }),
  /** A Prometheus server to query (latency and error-rate use PromQL when it is set). */
  prometheus: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
      timeout: duration.default(10_000),
    })
    .optional(),
  /** The cluster the Kubernetes jobs (resource-usage, rollout) talk to. */
  kubernetes: z
    .strictObject({
      /** Use the pod's service account (default when running in a pod and no kubeconfig is given). */
      inCluster: z.boolean().optional(),
      /** Kubeconfig file (default $KUBECONFIG, then ~/.kube/config). */
      kubeconfig: z.string().optional(),
      context: z.string().optional(),
      /** Namespaces jobs look at when neither the job nor the service names one. */
      namespaces: z
        .array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'must be a Kubernetes namespace name' }))
        .default(['default']),
    })
    .optional(),
  services: z.array(serviceSchema).default([]),
  /** PostgreSQL databases the data jobs look after (db-health, query-analysis, db-backup, backup-verify). */
  databases: databasesSchema,
  /** Redis instances the cache jobs look after (cache-health, cache-optimize, cache-clear). */
  caches: cachesSchema,
  /** Where reports and backups are kept: files (reports.path, backups.path) or an S3-compatible bucket. */
  storage: storageSchema,
  /** Where database backups go (with storage.kind filesystem), and how many are kept. */
  backups: z
    .strictObject({
      path: z.string().default('./var/backups'),
      /** Grandfather-father-son: the newest backup of each of the last N days, weeks and months is kept. */
      keep: z
        .strictObject({
          daily: z.number().int().min(1).default(7),
          weekly: z.number().int().min(0).default(4),
          monthly: z.number().int().min(0).default(6),
        })
        .default({ daily: 7, weekly: 4, monthly: 6 }),
    })
    .default({ path: './var/backups', keep: { daily: 7, weekly: 4, monthly: 6 } }),
  reports: reportsSchema,
  email: emailSchema,
  incidents: incidentsSchema,
  notifications: notificationsSchema,
  silences: silencesSchema,
  alertmanager: alertmanagerSchema,
  jobs: z.array(jobSchema).default([]),
});

/** The configuration after validation: defaults filled, durations in ms. */
export type OpscronConfig = z.output<typeof configSchema>;
export type JobConfig = z.output<typeof jobSchema>;
export type { ChannelConfig } from './notifications.js';
export type ServiceConfig = z.output<typeof serviceSchema>;
export type { ReportKind } from '../model.js';
