/**
 * The embedded store's schema (SQLite): the same tables, columns and indexes as the
 * PostgreSQL migrations (migrations.ts), in SQLite's types — timestamps as RFC 3339 text
 * in UTC with milliseconds, years 1-9999 as in PostgreSQL (such text sorts as time does),
 * JSON as text checked by json_valid, booleans as 0/1.
 * Its versions are its own, starting where the SQLite store started. Never edit a
 * released migration: add the next one, here and in migrations.ts when both change.
 */
import { consoleSqliteMigration } from './migrations-console.js';
import type { Migration } from './migrations.js';

const NOW = `(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const sqliteMigrations: Migration[] = [
  {
    version: 1,
    name: 'the schema of PostgreSQL migrations 1-4',
    sql: `
create table runs (
  id            text primary key,
  queue_id      text,
  job_id        text not null,
  job_type      text not null,
  trigger       text not null check (trigger in ('schedule', 'manual', 'catch-up', 'retry')),
  scheduled_for text check (scheduled_for like '____-__-__T__:__:__.___Z' and scheduled_for >= '0001'),
  created_at    text not null check (created_at like '____-__-__T__:__:__.___Z' and created_at >= '0001'),
  started_at    text check (started_at like '____-__-__T__:__:__.___Z' and started_at >= '0001'),
  finished_at   text check (finished_at like '____-__-__T__:__:__.___Z' and finished_at >= '0001'),
  attempt       integer not null default 1,
  status        text not null check (status in ('running', 'ok', 'warning', 'critical', 'failed', 'timeout', 'missed', 'cancelled', 'skipped')),
  summary       text,
  findings      text not null default '[]' check (json_valid(findings)),
  metrics       text check (json_valid(metrics)),
  error         text,
  params        text check (json_valid(params)),
  requested_by  text,
  reason        text,
  worker        text
) strict;
create index runs_job_latest on runs (job_id, created_at, attempt);
create index runs_period on runs (created_at, attempt);
create index runs_redelivered on runs (queue_id) where queue_id <> id;
create index runs_running on runs (status) where status = 'running';

create table schedule_state (
  job_id     text primary key,
  last_slot  text check (last_slot like '____-__-__T__:__:__.___Z' and last_slot >= '0001'),
  paused     integer not null default 0,
  paused_by  text,
  paused_at  text check (paused_at like '____-__-__T__:__:__.___Z' and paused_at >= '0001'),
  updated_at text not null default ${NOW} check (updated_at like '____-__-__T__:__:__.___Z' and updated_at >= '0001')
) strict;

create table audit_log (
  id      integer primary key autoincrement,
  at      text not null default ${NOW} check (at like '____-__-__T__:__:__.___Z' and at >= '0001'),
  actor   text not null,
  source  text not null check (source in ('cli', 'api', 'queue', 'scheduler', 'incident')),
  action  text not null,
  job_id  text,
  params  text check (json_valid(params)),
  reason  text
) strict;
create index audit_log_at on audit_log (at);

create table reports (
  id           text primary key,
  kind         text not null check (kind in ('health', 'incident', 'compliance', 'performance')),
  title        text not null,
  period_from  text not null check (period_from like '____-__-__T__:__:__.___Z' and period_from >= '0001'),
  period_to    text not null check (period_to like '____-__-__T__:__:__.___Z' and period_to >= '0001'),
  timezone     text not null,
  created_at   text not null check (created_at like '____-__-__T__:__:__.___Z' and created_at >= '0001'),
  run_id       text,
  storage_key  text not null,
  bytes        integer not null,
  sha256       text not null,
  status       text not null check (status in ('ok', 'warning', 'critical')),
  summary      text not null check (json_valid(summary)),
  origin       text not null default 'job' check (origin in ('job', 'incident', 'api', 'cli'))
) strict;
create index reports_kind_created on reports (kind, created_at);
create index reports_created on reports (created_at);

create table deliveries (
  id              integer primary key autoincrement,
  report_id       text references reports (id) on delete cascade,
  message         text check (json_valid(message)),
  channel         text not null check (channel in ('email', 'outbox')),
  recipients      text not null check (json_valid(recipients)),
  status          text not null check (status in ('pending', 'sent', 'failed')),
  attempts        integer not null default 0,
  next_attempt_at text not null check (next_attempt_at like '____-__-__T__:__:__.___Z' and next_attempt_at >= '0001'),
  lease_until     text check (lease_until like '____-__-__T__:__:__.___Z' and lease_until >= '0001'),
  last_error      text,
  created_at      text not null check (created_at like '____-__-__T__:__:__.___Z' and created_at >= '0001'),
  sent_at         text check (sent_at like '____-__-__T__:__:__.___Z' and sent_at >= '0001'),
  check (report_id is not null or message is not null)
) strict;
create index deliveries_due on deliveries (next_attempt_at) where status = 'pending';

create table incidents (
  id            text primary key,
  service       text not null,
  title         text not null,
  status        text not null check (status in ('open', 'resolved')),
  severity      text not null,
  opened_at     text not null check (opened_at like '____-__-__T__:__:__.___Z' and opened_at >= '0001'),
  first_bad_at  text check (first_bad_at like '____-__-__T__:__:__.___Z' and first_bad_at >= '0001'),
  resolved_at   text check (resolved_at like '____-__-__T__:__:__.___Z' and resolved_at >= '0001'),
  signals       text not null default '[]' check (json_valid(signals)),
  report_id     text
) strict;
create unique index incidents_one_open on incidents (service) where status = 'open';
create index incidents_opened on incidents (opened_at);

create table incident_events (
  id          integer primary key autoincrement,
  incident_id text not null references incidents (id) on delete cascade,
  at          text not null check (at like '____-__-__T__:__:__.___Z' and at >= '0001'),
  kind        text not null,
  signal      text,
  run_id      text,
  message     text not null,
  data        text check (json_valid(data))
) strict;
create index incident_events_incident on incident_events (incident_id, at);

create table pending_reverts (
  id                 text primary key,
  namespace          text not null,
  configmap          text not null,
  key                text not null,
  previous           text,
  value              text not null,
  revert_at          text not null check (revert_at like '____-__-__T__:__:__.___Z' and revert_at >= '0001'),
  restart_deployment text,
  created_at         text not null check (created_at like '____-__-__T__:__:__.___Z' and created_at >= '0001'),
  run_id             text
) strict;
create index pending_reverts_due on pending_reverts (revert_at);

create table signal_states (
  service      text not null,
  signal       text not null,
  state        text not null check (state in ('healthy', 'failing')),
  bad_streak   integer not null default 0,
  good_streak  integer not null default 0,
  first_bad_at text check (first_bad_at like '____-__-__T__:__:__.___Z' and first_bad_at >= '0001'),
  last_run_id  text,
  updated_at   text not null check (updated_at like '____-__-__T__:__:__.___Z' and updated_at >= '0001'),
  primary key (service, signal)
) strict;

create table opscron_keys (
  name       text primary key,
  value      text not null,
  created_at text not null default ${NOW} check (created_at like '____-__-__T__:__:__.___Z' and created_at >= '0001')
) strict;

create table worker_heartbeats (
  name       text primary key,
  started_at text not null check (started_at like '____-__-__T__:__:__.___Z' and started_at >= '0001'),
  beat_at    text not null check (beat_at like '____-__-__T__:__:__.___Z' and beat_at >= '0001')
) strict;
`,
  },
  {
    version: 2,
    name: 'job state kept between runs (PostgreSQL migration 5)',
    sql: `
create table job_state (
  job_id   text not null,
  scope    text not null,
  run_id   text not null,
  taken_at text not null check (taken_at like '____-__-__T__:__:__.___Z' and taken_at >= '0001'),
  state    text not null check (json_valid(state)),
  primary key (job_id, scope)
) strict;
`,
  },
  {
    version: 3,
    name: 'incidents: acknowledged by whom and when (PostgreSQL migration 6)',
    sql: `
alter table incidents add column acknowledged_at text check (acknowledged_at like '____-__-__T__:__:__.___Z' and acknowledged_at >= '0001');
alter table incidents add column acknowledged_by text;
`,
  },
  {
    version: 4,
    name: 'runs: per-target results of a fan-out (PostgreSQL migration 7)',
    sql: `
alter table runs add column targets text check (json_valid(targets));
`,
  },
  {
    version: 5,
    name: 'deliveries: incident notifications to webhook, Slack and PagerDuty channels (PostgreSQL migration 8)',
    sql: `
create table deliveries_new (
  id              integer primary key autoincrement,
  report_id       text references reports (id) on delete cascade,
  message         text check (json_valid(message)),
  channel         text not null check (channel in ('email', 'outbox', 'webhook', 'slack', 'pagerduty')),
  recipients      text not null check (json_valid(recipients)),
  status          text not null check (status in ('pending', 'sent', 'failed')),
  attempts        integer not null default 0,
  next_attempt_at text not null check (next_attempt_at like '____-__-__T__:__:__.___Z' and next_attempt_at >= '0001'),
  lease_until     text check (lease_until like '____-__-__T__:__:__.___Z' and lease_until >= '0001'),
  last_error      text,
  created_at      text not null check (created_at like '____-__-__T__:__:__.___Z' and created_at >= '0001'),
  sent_at         text check (sent_at like '____-__-__T__:__:__.___Z' and sent_at >= '0001'),
  target          text,
  incident_id     text,
  dedup_key       text,
  check (report_id is not null or message is not null)
) strict;
insert into deliveries_new (id, report_id, message, channel, recipients, status, attempts, next_attempt_at, lease_until, last_error, created_at, sent_at)
  select id, report_id, message, channel, recipients, status, attempts, next_attempt_at, lease_until, last_error, created_at, sent_at from deliveries;
drop table deliveries;
alter table deliveries_new rename to deliveries;
create index deliveries_due on deliveries (next_attempt_at) where status = 'pending';
create unique index deliveries_dedup on deliveries (dedup_key);
create index deliveries_incident on deliveries (incident_id) where incident_id is not null;
`,
  },
  {
    version: 6,
    name: 'silences, maintenance windows, Alertmanager alerts, severity per signal (PostgreSQL migration 9)',
    sql: `
create table silences (
  id          text primary key,
  matchers    text not null check (json_valid(matchers)),
  starts_at   text not null check (starts_at like '____-__-__T__:__:__.___Z' and starts_at >= '0001'),
  ends_at     text not null check (ends_at like '____-__-__T__:__:__.___Z' and ends_at >= '0001'),
  schedule    text,
  time_zone   text,
  duration_ms integer,
  reason      text not null,
  created_by  text not null,
  created_at  text not null check (created_at like '____-__-__T__:__:__.___Z' and created_at >= '0001'),
  expired_by  text
) strict;
create index silences_ends on silences (ends_at);
alter table incidents add column notified_at text check (notified_at like '____-__-__T__:__:__.___Z' and notified_at >= '0001');
alter table incidents add column silenced_by text;
update incidents set notified_at = opened_at;
alter table signal_states add column severity text not null default 'critical';
create table external_alerts (
  fingerprint text primary key,
  service     text not null,
  signal      text not null,
  severity    text not null,
  status      text not null check (status in ('firing', 'resolved')),
  starts_at   text not null check (starts_at like '____-__-__T__:__:__.___Z' and starts_at >= '0001'),
  updated_at  text not null check (updated_at like '____-__-__T__:__:__.___Z' and updated_at >= '0001')
) strict;
create index external_alerts_signal on external_alerts (service, signal) where status = 'firing';
`,
  },
  consoleSqliteMigration,
];
