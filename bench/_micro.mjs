import { parseConfig } from '../dist/config/load.js';
import { silentLogger } from '../dist/observability/logger.js';
import { Metrics } from '../dist/observability/metrics.js';
import { MemoryLocks } from '../dist/queue/locks.js';
import { InlineQueue } from '../dist/queue/inline.js';
import { RunWorker } from '../dist/worker.js';
const config = parseConfig({ jobs: [{ id: 'noop', type: 'noop', concurrency: 'allow' }] });
const store = { runLog: { write: async () => {}, drain: async () => {} }, sql: {} };
const w = new RunWorker({ config, store, queue: new InlineQueue(), locks: new MemoryLocks(), logger: silentLogger, metrics: new Metrics() });
for (let round = 0; round < 3; round++) {
  const N = 100000; const t = performance.now();
  const batch = [];
  for (let i = 0; i < N; i++) { batch.push(w.handle({ queueId: `noop__${i}`, name: 'noop', data: { trigger: 'manual', requestedBy: 'b' }, deliveries: 1, enqueuedAt: 0 })); if (batch.length === 50) { await Promise.all(batch); batch.length = 0; } }
  await Promise.all(batch);
  console.log(((performance.now() - t) * 1000 / N).toFixed(1), 'µs/job');
}
