/** /api/backups: the backups in backups.path, newest first, each with its last verification. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { BACKUP_SOURCE, BACKUP_SOURCE_RULE } from '../../backup/catalogue.js';
import { backupCatalogue } from '../../backups.js';
import { need, parse, type ApiDeps } from '../common.js';

const backupsQuery = z.strictObject({
  database: z
    .string()
    .regex(BACKUP_SOURCE, { error: `must be ${BACKUP_SOURCE_RULE}` })
    .optional(),
});

export async function backupRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  app.get('/api/backups', async (request, reply) => {
    if (!need(request, reply, 'read')) return;
    const q = parse(backupsQuery, request.query, 'query');
    return { backups: await backupCatalogue(deps, q.database) };
  });
}
