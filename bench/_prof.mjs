import { startRedis, startPostgres } from '/work/main/bench/services.js';
import pg from 'pg';
import { throughput } from '/work/main/bench/throughput.js';
const redis = await startRedis(); const cluster = await startPostgres();
const c = new pg.Client({ connectionString: cluster.url('postgres') }); await c.connect(); await c.query('create database bench'); await c.end();
try {
const r = await throughput({ redisUrl: redis.url, databaseUrl: cluster.url('bench'), jobs: 10000, rounds: 1 });
console.log(r);
} finally { await redis.stop(); cluster.stop(); }
