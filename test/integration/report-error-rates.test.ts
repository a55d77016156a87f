/**
 * The requests and errors the reports count for a service, from error-rate runs whose windows
 * overlap: a run every minute over a 5-minute window counts each request five times, so
 * each run weighs the share of its window no earlier run already counted. Both stores.
 */
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/index.js';
import { errorRatesByServiceDay } from '../../src/store/report-queries.js';
import { tempDir } from '../support/cli.js';
import { runRow } from '../support/run-row.js';
import { createDatabase } from '../support/services.mjs';

const FEED = {
  types: ['error-rate'],
  requests: 'requests',
  errors: 'errors',
  ratio: 'errorRatio',
  budget: 'errorBudgetRemaining',
};
const FROM = new Date('2026-11-30T00:00:00Z');
const period = { from: FROM, to: new Date('2026-12-01T00:00:00Z'), timeZone: 'UTC' };

describe.each([
  ['PostgreSQL', async () => ({ databaseUrl: await createDatabase('error_rates') })],
  ['SQLite', async () => ({ path: join(tempDir('error-rates-db-'), 'db') })],
] as const)('error-rate totals on %s', (_name, storeOptions) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore({ path: 'unused', ...(await storeOptions()) });
    const rows = [];
    // api: a run every minute for an hour, each over the last 5 minutes (2,000 requests, 20 errors in each window: 400 a minute).
    for (let m = 0; m < 60; m++)
      rows.push(
        runRow({
          id: `api-${m}`,
          jobId: 'api-errors',
          jobType: 'error-rate',
          createdAt: new Date(FROM.getTime() + 3_600_000 + m * 60_000),
          status: 'ok',
          metrics: { requests: 2000, errors: 20, errorRatio: 0.01, windowMs: 300_000 },
        }),
      );
    // shop: every 10 minutes over 5-minute windows (nothing shared), and one run that names no window.
    for (let m = 0; m < 6; m++)
      rows.push(
        runRow({
          id: `shop-${m}`,
          jobId: 'shop-errors',
          jobType: 'error-rate',
          createdAt: new Date(FROM.getTime() + 7_200_000 + m * 600_000),
          status: 'ok',
          metrics: m === 5 ? { requests: 100, errors: 0 } : { requests: 500, errors: 5, windowMs: 300_000 },
        }),
      );
    expect(await store.runs.insertNew(rows)).toHaveLength(66);
  });
  afterAll(async () => {
    await store.close();
  });

  it('counts each request once when windows overlap, and whole windows when they do not', async () => {
    const rows = await errorRatesByServiceDay(store.sql, period, { 'api-errors': 'api', 'shop-errors': 'shop' }, FEED);
    const total = (service: string) => rows.find((r) => r.service === service && r.day === null)!;
    // The first run's whole window, then the minute each later one adds: 2,000 + 59 × 400.
    expect(Number(total('api').requests)).toBeCloseTo(2000 + 59 * 400, 6);
    expect(Number(total('api').errors)).toBeCloseTo(20 + 59 * 4, 6);
    expect(Number(total('shop').requests)).toBeCloseTo(5 * 500 + 100, 6);
    const day = rows.find((r) => r.service === 'api' && r.day === '2026-11-30')!;
    expect(Number(day.requests)).toBeCloseTo(25_600, 6);
  });
});
