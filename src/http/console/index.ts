/**
 * The web console at `/`, in the same Fastify server as the API: server-rendered pages
 * (every interpolated value escaped, html.ts), one stylesheet and one small script from
 * the package (assets.ts), forms that work without JavaScript (POST, then a redirect).
 * Who may do what is the API's: the same actions (actions.ts, incidents/lifecycle.ts)
 * with the same scope checks, audited with the token's name and the source `console`.
 * Every POST needs a session, its CSRF token and a same-origin request (session.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OpscronError } from '../../errors.js';
import { redact } from '../../observability/redact.js';
import { actionRoutes } from './actions.js';
import { consoleAssets } from './assets.js';
import { problemPage } from './layout.js';
import { liveRoutes } from './live.js';
import { loginRoutes } from './login.js';
import { readRoutes } from './pages.js';
import { securityHeaders, sendPage } from './respond.js';
import { BadRequest } from '../common.js';
import type { ConsoleDeps } from './context.js';
import { sameOrigin } from './session.js';

function guard(app: FastifyInstance, deps: ConsoleDeps): void {
  app.addHook('onRequest', async (request, reply) => {
    securityHeaders(reply);
    if (request.routeOptions.config.open) return;
    request.consoleSession = await deps.sessions.resolve(request);
    if (request.method === 'GET' || request.method === 'HEAD') {
      if (!request.consoleSession) return reply.code(303).header('location', '/login').send();
      return;
    }
    // State changes: a page of this origin, signed in, with the session's CSRF token (checked once the body is parsed).
    if (!sameOrigin(request, deps.config))
      return refuse(request, reply, 'refused: the request does not come from this site');
    if (!request.consoleSession) return refuse(request, reply, 'sign in first');
  });
  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST' || request.routeOptions.config.open) return;
    const form = (request.body ?? {}) as Record<string, unknown>;
    if (!deps.sessions.csrfMatches(request.consoleSession!, form._csrf))
      return refuse(
        request,
        reply,
        'refused: the form is not one this session was given (CSRF token missing or wrong); reload the page',
      );
  });
}

function refuse(request: FastifyRequest, reply: FastifyReply, message: string): Promise<FastifyReply> {
  return sendPage(request, reply, problemPage(request.consoleSession ?? null, 403, message), 403);
}

function errors(app: FastifyInstance, deps: ConsoleDeps): void {
  app.setErrorHandler(async (error: Error, request, reply) => {
    const ours = error instanceof OpscronError;
    const status = ours ? error.status : ((error as { statusCode?: number }).statusCode ?? 500);
    if (status >= 500) deps.logger.error({ err: error, url: request.url }, 'console request failed');
    const message = ours || status < 500 ? redact(error.message) : 'internal error (see the opscron log)';
    const back = request.method === 'POST' ? String(request.headers.referer ?? '/') : '/';
    securityHeaders(reply);
    return sendPage(
      request,
      reply,
      problemPage(request.consoleSession ?? null, status, message, sameSite(back)),
      status,
    );
  });
}

/** A link back only to a path of this site. */
const sameSite = (url: string): string => {
  try {
    const u = new URL(url, 'http://x');
    return u.pathname.startsWith('/') && !u.pathname.startsWith('//') ? u.pathname + u.search : '/';
  } catch {
    return '/';
  }
};

/** Control characters other than tab and line breaks (a textarea's note may hold those). */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return true;
  }
  return false;
}

export async function consoleRoutes(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  // Forms post url-encoded bodies; only the console's routes take them (the API stays JSON).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    const form = Object.fromEntries(new URLSearchParams(body as string));
    for (const [name, value] of Object.entries(form))
      if (hasControl(value) || !value.isWellFormed())
        return done(
          new BadRequest(`${name.slice(0, 100)}: must not contain control characters or unpaired surrogates`),
        );
    done(null, form);
  });
  guard(app, deps);
  errors(app, deps);
  const { css, js, icon } = consoleAssets();
  for (const asset of [css, js, icon])
    app.get(asset.path, { config: { open: true } }, async (_request, reply) =>
      reply
        .type(asset.type)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('etag', asset.etag)
        .send(asset.body),
    );
  loginRoutes(app, deps);
  readRoutes(app, deps);
  actionRoutes(app, deps);
  liveRoutes(app, deps);
}
