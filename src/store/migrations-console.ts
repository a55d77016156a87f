/**
 * The web console's migrations (PostgreSQL 10, SQLite 7): the audit log learns the source
 * `console`, and console sessions get a table. A session row is what a signed-in browser
 * holds: its cookie is a random value whose SHA-256 is the row's id (a copy of the table
 * signs no one in), the token's name and a fingerprint of the token (rotating or removing
 * the token ends its sessions), and when it expires. Signing out deletes the row, so it
 * ends on every replica at once.
 */
/** A migration as migrations.ts runs it (written out here: that module imports this one). */
interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const consoleMigration: Migration = {
  version: 10,
  name: 'console sessions; audit source console',
  sql: `
alter table audit_log drop constraint audit_log_source_check;
alter table audit_log add constraint audit_log_source_check check (source in ('cli', 'api', 'console', 'queue', 'scheduler', 'incident'));
create table console_sessions (
  id          text primary key,
  token_name  text not null,
  fingerprint text not null,
  created_at  timestamptz not null,
  expires_at  timestamptz not null
);
create index console_sessions_expires on console_sessions (expires_at);
`,
};

const NOW = `(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
const INSTANT = (column: string) => `check (${column} like '____-__-__T__:__:__.___Z' and ${column} >= '0001')`;

/** SQLite cannot change a check constraint: the audit log is copied into a table with the new one. */
export const consoleSqliteMigration: Migration = {
  version: 7,
  name: 'console sessions; audit source console (PostgreSQL migration 10)',
  sql: `
create table audit_log_new (
  id      integer primary key autoincrement,
  at      text not null default ${NOW} ${INSTANT('at')},
  actor   text not null,
  source  text not null check (source in ('cli', 'api', 'console', 'queue', 'scheduler', 'incident')),
  action  text not null,
  job_id  text,
  params  text check (json_valid(params)),
  reason  text
) strict;
insert into audit_log_new (id, at, actor, source, action, job_id, params, reason)
  select id, at, actor, source, action, job_id, params, reason from audit_log;
drop table audit_log;
alter table audit_log_new rename to audit_log;
create index audit_log_at on audit_log (at);
create table console_sessions (
  id          text primary key,
  token_name  text not null,
  fingerprint text not null,
  created_at  text not null ${INSTANT('created_at')},
  expires_at  text not null ${INSTANT('expires_at')}
) strict;
create index console_sessions_expires on console_sessions (expires_at);
`,
};
