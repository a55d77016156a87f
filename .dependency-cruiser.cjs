/**
 * The layers of opscron, as rules (DESIGN.md's picture, README's src/ map). From the
 * bottom: model, errors, limits, clock → pure modules (analysis, cron) → observability,
 * config → integrations (I/O adapters), backup → store (the only owner of opscron's
 * tables), queue → jobs (their checks; ports, never SQL or queues) → reports, incidents,
 * actions → the engine (worker, scheduler) → http, cli, app. Nothing imports upward.
 * Type-only imports count too, except where a rule says otherwise.
 */
const layer = (name, from, notTo, comment) => ({
  name,
  severity: 'error',
  comment,
  from: { path: from },
  to: { path: notTo },
});
const UPPER = '^src/(app|cli|http|worker|scheduler|run-context|run-ports|actions|incidents)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'a cycle is a layer that is not one',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-orphans',
      severity: 'error',
      comment: 'a module nothing imports is dead code',
      from: { orphan: true, pathNot: ['\\.d\\.ts$', '^src/cli\\.ts$', '^src/reports/pdf/render-worker\\.ts$'] },
      to: {},
    },
    layer(
      'model-at-the-bottom',
      '^src/(model|errors|limits|clock)\\.ts$',
      '^src/(?!(model|errors|limits|clock)\\.ts$)',
      'the shared vocabulary imports nothing of opscron but itself',
    ),
    layer(
      'analysis-is-pure',
      '^src/analysis/',
      '^src/(?!(analysis/|model\\.ts|errors\\.ts|limits\\.ts))',
      'judgement over plain data: no I/O, no store, no adapters',
    ),
    layer('cron-is-pure', '^src/cron/', '^src/(?!(cron/|errors\\.ts))', 'slot arithmetic only'),
    layer(
      'observability-low',
      '^src/observability/',
      '^src/(?!(observability/|model\\.ts|errors\\.ts|limits\\.ts))',
      'logs and metrics know nothing above them',
    ),
    layer(
      'config-does-not-know-jobs',
      '^src/config/',
      '^src/(jobs|store|queue|integrations|reports|incidents|http|worker|scheduler|app|cli)',
      'the job registry is passed into validation, not imported by it',
    ),
    layer(
      'integrations-are-adapters',
      '^src/(integrations|backup)/',
      `^src/(store|queue|jobs|reports|incidents|${UPPER.slice(7, -1)})`,
      'I/O against real systems, nothing of the engine',
    ),
    layer(
      'store-owns-tables-only',
      '^src/store/',
      `^src/(queue|jobs|reports|incidents|integrations|backup|${UPPER.slice(7, -1)})`,
      'the store knows its tables, not who uses them',
    ),
    layer(
      'queue-below-engine',
      '^src/queue/',
      `^src/(store|jobs|reports|incidents|${UPPER.slice(7, -1)})`,
      'the queue moves requests, it does not run them',
    ),
    layer(
      'jobs-know-their-checks',
      '^src/jobs/',
      `^src/(store|queue|reports|incidents|reverts|${UPPER.slice(7, -1)}|run-request|run-outcome)`,
      'a job knows its params, checks and outcome — not queues, HTTP, SQL or reports',
    ),
    {
      name: 'jobs-use-adapters',
      severity: 'error',
      comment: 'a job reaches PostgreSQL, Redis and BullMQ through integrations/ or backup/, never through the drivers',
      from: { path: '^src/jobs/' },
      to: { path: '^node_modules/(pg|pg-[^/]+|bullmq|ioredis)/' },
    },
    layer(
      'reports-below-engine',
      '^src/reports/',
      `^src/(jobs|queue|incidents|reverts|${UPPER.slice(7, -1)})`,
      'reports read the store and render; they do not run jobs',
    ),
    layer(
      'incidents-below-http',
      '^src/incidents/',
      '^src/(http|cli|app|worker|scheduler)',
      'incidents follow outcomes; they do not serve or start anything',
    ),
    layer(
      'engine-below-surfaces',
      '^src/(worker|scheduler|run-context|run-ports|run-request|run-outcome|actions|backups|local-api)\\.ts$',
      '^src/(http|cli|app)',
      'the engine does not know who drives it',
    ),
    layer('http-below-cli', '^src/http/', '^src/(cli|app)', 'the API does not start processes'),
    layer(
      'runbook-reader-is-pure',
      '^src/runbook/',
      '^src/(?!runbook/)',
      'markdown in, YAML text out; the CLI reads the file, validates and writes',
    ),
    layer('no-tests-in-src', '^src/', '^test/', 'production code never reaches into tests'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js'],
    },
  },
};
