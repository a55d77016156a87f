/** PostgreSQL's migrations (SQLite's: migrations-sqlite.ts), applied in order under an advisory lock. Never edit a released one. */
import { consoleMigration } from './migrations-console.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'runs, schedule state, audit log',
    sql: `
create table runs (
  id            text primary key,
  queue_id      text,
  job_id        text not null,
  job_type      text not null,
  trigger       text not null check (trigger in ('schedule', 'manual', 'catch-up', 'retry')),
  scheduled_for timestamptz,
  created_at    timestamptz not null,
  started_at    timestamptz,
  finished_at   timestamptz,
  attempt       integer not null default 1,
  status        text not null check (status in ('running', 'ok', 'warning', 'critical', 'failed', 'timeout', 'missed', 'cancelled', 'skipped')),
  summary       text,
  findings      jsonb not null default '[]',
  metrics       jsonb,
  error         text,
  params        jsonb,
  requested_by  text,
  reason        text,
  worker        text
);
-- Both serve "newest first" (order by created_at desc, attempt desc) by a backward scan.
create index runs_job_latest on runs (job_id, created_at, attempt);
create index runs_period on runs (created_at, attempt);
create index runs_queue_id on runs (queue_id) where queue_id is not null;
create index runs_running on runs (status) where status = 'running';

create table schedule_state (
  job_id     text primary key,
  last_slot  timestamptz,
  paused     boolean not null default false,
  paused_by  text,
  paused_at  timestamptz,
  updated_at timestamptz not null default now()
);

create table audit_log (
  id      bigserial primary key,
  at      timestamptz not null default now(),
  actor   text not null,
  source  text not null check (source in ('cli', 'api', 'queue', 'scheduler')),
  action  text not null,
  job_id  text,
  params  jsonb,
  reason  text
);
create index audit_log_at on audit_log (at);
`,
  },
  {
    version: 2,
    name: 'reports, their deliveries, incidents',
    sql: `
create table reports (
  id           text primary key,
  kind         text not null check (kind in ('health', 'incident', 'compliance', 'performance')),
  title        text not null,
  period_from  timestamptz not null,
  period_to    timestamptz not null,
  timezone     text not null,
  created_at   timestamptz not null,
  run_id       text,
  storage_key  text not null,
  bytes        integer not null,
  sha256       text not null,
  status       text not null check (status in ('ok', 'warning', 'critical')),
  summary      jsonb not null
);
create index reports_kind_created on reports (kind, created_at);
create index reports_created on reports (created_at);

-- The email outbox: a report is stored first (an alert is its own message), then each delivery is a row that is tried,
-- retried with backoff and marked sent, so nothing is lost while SMTP is down.
create table deliveries (
  id              bigserial primary key,
  report_id       text references reports (id) on delete cascade,
  -- Mails that are not a report (incident alerts): {subject, text, html}.
  message         jsonb,
  channel         text not null check (channel in ('email', 'outbox')),
  recipients      jsonb not null,
  status          text not null check (status in ('pending', 'sent', 'failed')),
  attempts        integer not null default 0,
  next_attempt_at timestamptz not null,
  lease_until     timestamptz,
  last_error      text,
  created_at      timestamptz not null,
  sent_at         timestamptz,
  check (report_id is not null or message is not null)
);
create index deliveries_due on deliveries (next_attempt_at) where status = 'pending';

-- Incidents (src/incidents/): one open incident per service at most; its signals and
-- everything that happened to it are events.
create table incidents (
  id            text primary key,
  service       text not null,
  title         text not null,
  status        text not null check (status in ('open', 'resolved')),
  severity      text not null,
  opened_at     timestamptz not null,
  first_bad_at  timestamptz,
  resolved_at   timestamptz,
  signals       jsonb not null default '[]',
  report_id     text
);
create unique index incidents_one_open on incidents (service) where status = 'open';
create index incidents_opened on incidents (opened_at);

create table incident_events (
  id          bigserial primary key,
  incident_id text not null references incidents (id) on delete cascade,
  at          timestamptz not null,
  kind        text not null,
  signal      text,
  run_id      text,
  message     text not null,
  data        jsonb
);
create index incident_events_incident on incident_events (incident_id, at);

-- Remediation steps are triggered by incidents and audited as such.
alter table audit_log drop constraint audit_log_source_check;
alter table audit_log add constraint audit_log_source_check check (source in ('cli', 'api', 'queue', 'scheduler', 'incident'));

-- Changes opscron made that it must undo later (debug-logging's LOG_LEVEL), kept here so
-- the undo happens even if opscron restarts in between: one row per target.
create table pending_reverts (
  id                 text primary key,
  namespace          text not null,
  configmap          text not null,
  key                text not null,
  previous           text,
  value              text not null,
  revert_at          timestamptz not null,
  restart_deployment text,
  created_at         timestamptz not null,
  run_id             text
);
create index pending_reverts_due on pending_reverts (revert_at);

-- The streak of each (service, signal): N consecutive critical runs open, M healthy resolve.
create table signal_states (
  service      text not null,
  signal       text not null,
  state        text not null check (state in ('healthy', 'failing')),
  bad_streak   integer not null default 0,
  good_streak  integer not null default 0,
  first_bad_at timestamptz,
  last_run_id  text,
  updated_at   timestamptz not null,
  primary key (service, signal)
);
`,
  },
  {
    version: 3,
    name: 'runs: index only redelivered attempts by queue id',
    sql: `
-- A run's first delivery has id = queue_id and is found by the primary key; only the
-- attempts of a redelivered queue job (id <queue id>.<n>) need this index. One index
-- less to maintain per run row: about 1.5 µs of PostgreSQL CPU of 8, measured.
drop index runs_queue_id;
create index runs_redelivered on runs (queue_id) where queue_id <> id;
`,
  },
  {
    version: 4,
    name: 'grant key, worker heartbeats, report origin',
    sql: `
-- A key only opscron's own processes read: it signs the run requests they checked and
-- audited, so a worker can tell them from what any other queue producer sends.
create table opscron_keys (
  name       text primary key,
  value      text not null,
  created_at timestamptz not null default now()
);

-- Every process that runs jobs beats here; a run still marked running whose worker has
-- stopped beating is closed as failed by whichever process notices first.
create table worker_heartbeats (
  name       text primary key,
  started_at timestamptz not null,
  beat_at    timestamptz not null
);

-- Who asked for a report: scheduled jobs and incidents are kept by reports.maxCount per
-- kind; reports made by hand (API, CLI) by reports.maxAdhoc, so they never push the
-- scheduled ones out.
alter table reports add column origin text not null default 'job' check (origin in ('job', 'incident', 'api', 'cli'));
`,
  },
  {
    version: 5,
    name: 'job state kept between runs',
    sql: `
-- What a job keeps for its next run, per scope (a cache, a database): the counters it read,
-- so the next run judges what changed since, not totals since the server started.
create table job_state (
  job_id   text not null,
  scope    text not null,
  run_id   text not null,
  taken_at timestamptz not null,
  state    jsonb not null,
  primary key (job_id, scope)
);
`,
  },
  {
    version: 6,
    name: 'incidents: acknowledged by whom and when',
    sql: `
-- Someone said "I'm on it": re-notification and escalation stop, MTTA is measured from here.
alter table incidents add column acknowledged_at timestamptz;
alter table incidents add column acknowledged_by text;
`,
  },
  {
    version: 7,
    name: 'runs: per-target results of a fan-out',
    sql: `
-- A run that checks many services (health-check services: [..] or ["*"]) keeps each one's
-- verdict and response time, [{service, status, ms}], so reports count each service.
alter table runs add column targets jsonb;
`,
  },
  {
    version: 8,
    name: 'deliveries: incident notifications to webhook, Slack and PagerDuty channels',
    sql: `
-- The outbox also carries incident notifications: the named channel (notifications.channels)
-- they go to, the incident, and a key per incident, step and channel that makes queueing
-- them insert-if-absent, so replicas deciding the same step at once send it once.
alter table deliveries drop constraint deliveries_channel_check;
alter table deliveries add constraint deliveries_channel_check check (channel in ('email', 'outbox', 'webhook', 'slack', 'pagerduty'));
alter table deliveries add column target text;
alter table deliveries add column incident_id text;
alter table deliveries add column dedup_key text;
create unique index deliveries_dedup on deliveries (dedup_key);
create index deliveries_incident on deliveries (incident_id) where incident_id is not null;
`,
  },
  {
    version: 9,
    name: 'silences, maintenance windows, Alertmanager alerts, severity per signal',
    sql: `
-- A silence mutes the notifications and remediation of the signals its matchers select,
-- from starts_at to ends_at; with a schedule, only in the windows [slot, slot + duration_ms)
-- inside that span (a maintenance window). Expiring one moves ends_at to now.
create table silences (
  id          text primary key,
  matchers    jsonb not null,
  starts_at   timestamptz not null,
  ends_at     timestamptz not null,
  schedule    text,
  time_zone   text,
  duration_ms bigint,
  reason      text not null,
  created_by  text not null,
  created_at  timestamptz not null,
  expired_by  text
);
create index silences_ends on silences (ends_at);
-- When the incident's opening was told to anyone: null while a silence kept it quiet.
alter table incidents add column notified_at timestamptz;
alter table incidents add column silenced_by text;
update incidents set notified_at = opened_at;
-- The severity a failing signal has (an alert's severity label; a run's verdict).
alter table signal_states add column severity text not null default 'critical';
-- Alerts Alertmanager sent, by its fingerprint: a repeat of a firing alert changes nothing.
create table external_alerts (
  fingerprint text primary key,
  service     text not null,
  signal      text not null,
  severity    text not null,
  status      text not null check (status in ('firing', 'resolved')),
  starts_at   timestamptz not null,
  updated_at  timestamptz not null
);
create index external_alerts_signal on external_alerts (service, signal) where status = 'firing';
`,
  },
  consoleMigration,
];
