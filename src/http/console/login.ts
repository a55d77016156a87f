/** Signing in with an API token, and out. */
import type { FastifyInstance } from 'fastify';
import { html } from './html.js';
import type { ConsoleDeps } from './context.js';
import { page } from './layout.js';
import { sendPage } from './respond.js';
import { sameOrigin, SignInLimiter } from './session.js';

function loginPage(open: boolean, message: string | null) {
  return page(
    'Sign in',
    null,
    html`<div class="login">
      <h1>Sign in to opscron</h1>
      ${message ? html`<p class="error" role="alert">${message}</p>` : null}
      <form method="post" action="/login">
        ${
          open
            ? html`<p>
                No API tokens are configured: this opscron listens on loopback only, and whoever reaches it acts as
                <strong>local</strong> (admin).
              </p>`
            : html`<label for="token">API token</label
                ><input type="password" id="token" name="token" autocomplete="off" required maxlength="1000" />
                <p class="muted">
                  The token is exchanged for a session cookie; it is not kept in the page. Its scope (read, trigger,
                  admin) is what the console lets you do.
                </p>`
        }
        <p><button type="submit" class="primary">Sign in</button></p>
      </form>
    </div>`,
  );
}

export function loginRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const limiter = new SignInLimiter(deps.now);
  const open = deps.config.http.tokens.length === 0;

  app.get('/login', { config: { open: true } }, async (request, reply) => {
    if (await deps.sessions.resolve(request)) return reply.code(303).header('location', '/').send();
    return sendPage(request, reply, loginPage(open, null));
  });

  app.post('/login', { config: { open: true }, bodyLimit: 4096 }, async (request, reply) => {
    if (!sameOrigin(request, deps.config))
      return sendPage(request, reply, loginPage(open, 'refused: the request does not come from this site'), 403);
    const address = request.ip;
    if (limiter.blocked(address))
      return sendPage(
        request,
        reply.header('retry-after', '60'),
        loginPage(open, 'too many failed sign-ins from here; wait a minute'),
        429,
      );
    const token = (request.body as Record<string, unknown> | undefined)?.token;
    const signedIn = await deps.sessions.signIn(typeof token === 'string' ? token.trim() : '');
    if (!signedIn) {
      limiter.failed(address);
      return sendPage(request, reply, loginPage(open, 'unknown token'), 401);
    }
    deps.sessions.setCookie(reply, request, signedIn.cookie);
    await deps.store.audit.write({ actor: signedIn.principal.name, source: 'console', action: 'sign-in', jobId: null });
    return reply.code(303).header('location', '/').send();
  });

  app.post('/logout', async (request, reply) => {
    const session = request.consoleSession!;
    await deps.sessions.signOut(session.cookie);
    deps.sessions.setCookie(reply, request, null);
    return reply.code(303).header('location', '/login').send();
  });
}
