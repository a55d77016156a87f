/**
 * The embedded store is one process's: a second opscron on the same directory would take
 * runs, schedules and its exclusive recovery (store.exclusive) from under the first, so the
 * directory is claimed with a pid file while open. A claim whose process is gone is taken over.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpscronError } from '../errors.js';
import { isAlive } from '../process-alive.js';

export function claim(dataDir: string): () => void {
  if (existsSync(join(dataDir, 'PG_VERSION')))
    throw new OpscronError(
      'OPSCRON_STORE_IN_USE',
      `${dataDir} holds the PGlite store of opscron 0.1, which this version does not read: move it aside (its history stays there) or point store.path elsewhere`,
    );
  const lock = `${dataDir}.pid`;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number(readFileSync(lock, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new OpscronError(
          'OPSCRON_STORE_IN_USE',
          `the embedded store ${dataDir} is in use by opscron (pid ${pid}); stop it first, or set DATABASE_URL to share a PostgreSQL`,
        );
      }
      rmSync(lock, { force: true });
    }
  }
}
