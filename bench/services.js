// The benchmarks use the same private servers as the tests: a redis-server and a
// PostgreSQL cluster started from the installed binaries on free ports.
export { startRedis, startPostgres } from '../test/support/services.mjs';
