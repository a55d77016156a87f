/** What every API route shares: its dependencies, the scope check and body/query parsing. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ActionDeps } from '../actions.js';
import { formatIssues } from '../config/load.js';
import { OpscronError } from '../errors.js';
import type { Feeds } from '../feeds.js';
import type { IncidentManager } from '../incidents/manager.js';
import type { Logger } from '../observability/logger.js';
import type { Store } from '../store/index.js';
import type { RunWorker } from '../worker.js';
import { allows, type Principal, type Scope } from './auth.js';

export interface ApiDeps extends ActionDeps {
  store: Store;
  logger: Logger;
  /** What incidents changed by hand are stamped with (tests move it). */
  now: () => number;
  worker: RunWorker | null;
  feeds: Feeds;
  /** A mail was queued: send it now rather than at the next poll. */
  onMailQueued?: () => void;
  /** The process's incident manager (alerts from Alertmanager join its order per service), if it runs one. */
  incidents?: IncidentManager | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** A 400 whose message names each bad field. */
export class BadRequest extends OpscronError {
  constructor(message: string) {
    super('OPSCRON_BAD_REQUEST', message);
  }
}

export function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw new BadRequest(formatIssues(schema, result.error, value, [where]).join('; '));
  return result.data;
}

/** Whether the caller has `scope`; if not, answers 403 (naming the scope) and returns false. */
export function need(request: FastifyRequest, reply: FastifyReply, scope: Scope): boolean {
  if (request.principal && allows(request.principal, scope)) return true;
  void reply.code(403).send({
    error: 'forbidden',
    code: 'OPSCRON_FORBIDDEN',
    message: `this needs the ${scope} scope; token "${request.principal?.name}" has ${request.principal?.scope}`,
  });
  return false;
}

export const notFound = (reply: FastifyReply, what: string) =>
  reply.code(404).send({ error: 'not found', code: 'OPSCRON_NOT_FOUND', message: `no ${what}` });
