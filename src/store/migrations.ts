/**
 * Versioned schema migrations, applied in order at start under an advisory lock so that
 * several replicas starting together apply each one once. The same SQL runs on
 * PostgreSQL and PGlite. Never edit a released migration: add the next one.
 */
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
];
