/**
 * Two projects. `unit`: pure modules on recorded inputs — no services, no build, seconds
 * (`npx jest --selectProjects unit` runs with PostgreSQL and Redis stopped). `integration`:
 * real Redis, PostgreSQL, SMTP, Prometheus and child processes, started by the global setup.
 * Jest runs the TypeScript sources through ts-jest as ESM (see ENVIRONMENT.md).
 */
const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }] },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFilesAfterEnv: ['<rootDir>/test/support/cleanup.ts'],
  testTimeout: 60000,
};

export default {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
    },
  ],
  testTimeout: 60000,
  maxWorkers: 2,
};
