/** Starts one private PostgreSQL cluster and one private Redis for the whole suite. */
import { startPostgres, startRedis } from './services.mjs';

export default async function globalSetup() {
  const [pgCluster, redis] = await Promise.all([startPostgres(), startRedis()]);
  process.env.OPSCRON_TEST_PG_URL = pgCluster.url('postgres');
  process.env.OPSCRON_TEST_REDIS_URL = redis.url;
  globalThis.__opscronServices = { pgCluster, redis };
}
