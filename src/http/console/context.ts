/** What the console's routes share: their dependencies, the session on each request, and the scope check. */
import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../../errors.js';
import type { Scope } from '../../model.js';
import { allows } from '../auth.js';
import type { ApiDeps } from '../common.js';
import type { ConsoleSessions, Session } from './session.js';

export interface ConsoleDeps extends ApiDeps {
  sessions: ConsoleSessions;
  /** The scheduler heartbeat's age, if this process runs the scheduler. */
  heartbeatAgeMs: () => number | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: Session | null;
  }
  interface FastifyContextConfig {
    /** Served without a session: the sign-in page and the assets. */
    open?: boolean;
  }
}

/** The request's session; throws 403 (naming the scope) if it may not do what `scope` allows. */
export function sessionOf(request: FastifyRequest, scope: Scope = 'read'): Session {
  const session = request.consoleSession;
  if (!session) throw new ForbiddenError('sign in first');
  if (!allows(session.principal, scope))
    throw new ForbiddenError(
      `this needs the ${scope} scope; token "${session.principal.name}" has ${session.principal.scope}`,
    );
  return session;
}
