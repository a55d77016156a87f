export default async function globalTeardown() {
  const services = globalThis.__opscronServices;
  if (!services) return;
  await services.redis.stop();
  services.pgCluster.stop();
}
