/** Following a run that a running opscron carries out: its progress as it goes, its row when it ends. */
import { setTimeout as sleep } from 'node:timers/promises';
import { OpscronError } from '../errors.js';
import type { RunRow } from '../model.js';
import type { RunProgress } from '../run-context.js';
import { readRun } from './remote-records.js';
import type { Server } from './remote.js';

/**
 * Polls GET /api/runs/:id until the attempt `runId` has ended, calling `draw` with each
 * progress it has not shown yet; returns the final row. The run has no row until a worker
 * takes it (a queued run waits for a free slot), so a 404 means "not started yet".
 */
export async function followRun(
  server: Server,
  runId: string,
  draw: (progress: RunProgress) => void,
  pollMs = 200,
): Promise<RunRow> {
  let shown = '';
  for (;;) {
    let seen: Awaited<ReturnType<typeof readRun>>;
    try {
      seen = await readRun(server, runId);
    } catch (error) {
      throw new OpscronError(
        'OPSCRON_SERVER_UNREACHABLE',
        `lost the running opscron while following run ${runId} (${(error as Error).message}); the run may still end there: \`opscron history\` shows it`,
        { cause: error },
      );
    }
    if (seen && seen.run.status !== 'running') return seen.run;
    const progress = seen?.progress;
    if (progress) {
      const key = `${progress.fraction}\u0000${progress.note ?? ''}`;
      if (key !== shown) draw(progress);
      shown = key;
    }
    await sleep(pollMs);
  }
}
