/**
 * What every request meets before a route: authentication by the route it matched (never
 * the raw URL: the router decodes /%61pi/... to /api/...), values PostgreSQL can hold in
 * its path and query, and one error handler that carries an error's code and status (the
 * catalogue in errors.ts) to the client without its insides.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OpscronConfig } from '../config/schema.js';
import { isUnreachable, OpscronError } from '../errors.js';
import type { Logger } from '../observability/logger.js';
import { redact } from '../observability/redact.js';
import { authenticator } from './auth.js';
import type { ConsoleSessions } from './console/session.js';

const LABELS: Record<number, string> = {
  400: 'bad request',
  403: 'forbidden',
  404: 'not found',
  409: 'conflict',
  413: 'payload too large',
  422: 'unprocessable',
  429: 'busy',
  502: 'bad gateway',
  503: 'unavailable',
  504: 'timeout',
};

/**
 * Tokens for /api; without any, the server listens on loopback only (app.ts) and the local
 * caller acts as "local". A console session (its cookie, no Authorization header) may read
 * (GET and HEAD only: the report PDF a page shows); a change through the API always needs
 * the token itself, so no cookie can be ridden into one.
 */
export function authenticate(app: FastifyInstance, config: OpscronConfig, sessions?: ConsoleSessions): void {
  const check = config.http.tokens.length ? authenticator(config.http.tokens) : null;
  app.addHook('onRequest', async (request, reply) => {
    // A request that matches no route gets a plain 404 and learns nothing.
    if (!request.routeOptions.url?.startsWith('/api')) return;
    if (!check) {
      request.principal = { name: 'local', scope: 'admin' };
      return;
    }
    if (!request.headers.authorization && sessions && (request.method === 'GET' || request.method === 'HEAD')) {
      const session = await sessions.resolve(request);
      if (session) {
        request.principal = session.principal;
        return;
      }
    }
    const result = check(request.headers.authorization);
    if (!result.ok)
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: result.reason });
    request.principal = result.principal;
  });
}

const MAX_VALUE = 2000;

/** Why a path or query value cannot be taken (it ends up in SQL parameters and messages), or null. */
function valueProblem(value: string): string | null {
  if (value.length > MAX_VALUE) return `is ${value.length} characters long; at most ${MAX_VALUE} are allowed`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return 'must not contain control characters or unpaired surrogates';
  }
  return value.isWellFormed() ? null : 'must not contain control characters or unpaired surrogates';
}

export function checkInputs(app: FastifyInstance): void {
  app.addHook('preValidation', async (request, reply) => {
    for (const [where, values] of [
      ['path', request.params],
      ['query', request.query],
    ] as const) {
      for (const [key, raw] of Object.entries((values ?? {}) as Record<string, unknown>)) {
        for (const value of Array.isArray(raw) ? raw : [raw]) {
          const problem = typeof value === 'string' ? valueProblem(value) : null;
          if (problem)
            return reply
              .code(400)
              .send({ error: 'bad request', code: 'OPSCRON_BAD_REQUEST', message: `${where}.${key}: ${problem}` });
        }
      }
    }
  });
}

/** The status and body an error answers with; a 5xx that is not ours says nothing of its insides. */
function answerFor(error: FastifyError | Error): {
  status: number;
  body: { error: string; code?: string; message: string };
} {
  const ours = error instanceof OpscronError;
  const down = !ours && isUnreachable(error);
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  const status = ours
    ? error.status
    : down
      ? 503
      : typeof statusCode === 'number' && statusCode >= 400 && statusCode < 600
        ? statusCode
        : 500;
  const message = down
    ? 'the store or the queue is not reachable just now; nothing was done — try again'
    : status >= 500 && !ours
      ? 'internal error (see the opscron log)'
      : redact(String(error?.message ?? error));
  const raw = (error as { code?: unknown }).code;
  const code = down ? 'OPSCRON_UNAVAILABLE' : typeof raw === 'string' ? raw : undefined;
  return {
    status,
    body: {
      error: LABELS[status] ?? (status >= 500 ? 'internal error' : 'bad request'),
      ...(code ? { code } : {}),
      message,
    },
  };
}

export function handleErrors(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let answer: ReturnType<typeof answerFor> = {
      status: 500,
      body: { error: 'internal error', message: 'internal error (see the opscron log)' },
    };
    try {
      answer = answerFor(error);
      if (answer.status >= 500) logger.error({ err: error, url: request.url }, 'HTTP request failed');
    } catch {
      // Whatever went wrong describing the error, the client still gets JSON.
    }
    void reply.code(answer.status).send(answer.body);
  });
}
