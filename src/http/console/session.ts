/**
 * Signing in to the console: an API token is exchanged for a session — a random cookie
 * (HttpOnly, SameSite=Strict, Secure over HTTPS) whose SHA-256 names a row in the store,
 * so every replica knows it and signing out ends it everywhere. The token is never kept in
 * the page or the cookie; the row holds its name and a keyed fingerprint, and each request
 * takes the token's scope as configured now (a removed or rotated token ends its sessions).
 * The CSRF token of a form is an HMAC of the session cookie under the store's key.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OpscronConfig } from '../../config/schema.js';
import type { Store } from '../../store/index.js';
import { authenticator, type Principal } from '../auth.js';

export const COOKIE = 'opscron_session';

export interface Session {
  principal: Principal;
  csrf: string;
  cookie: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The session cookie's value in a Cookie header, if there is one of the right shape. */
export function cookieOf(request: FastifyRequest): string | null {
  const header = request.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    const value = rest.join('=');
    if (name === COOKIE && /^[A-Za-z0-9_-]{43}$/.test(value)) return value;
  }
  return null;
}

export class ConsoleSessions {
  private readonly check: ReturnType<typeof authenticator> | null;

  constructor(
    private readonly deps: { config: OpscronConfig; store: Store; now: () => number },
    private readonly ttlMs: number,
  ) {
    this.check = deps.config.http.tokens.length ? authenticator(deps.config.http.tokens) : null;
  }

  private key(purpose: string, value: string): string {
    return createHmac('sha256', this.deps.store.grantKey)
      .update(`opscron console ${purpose}\0${value}`)
      .digest('base64url');
  }

  /** Opens a session for a token (any token when none is configured: loopback only, as "local"); null if unknown. */
  async signIn(token: string): Promise<{ cookie: string; principal: Principal } | null> {
    let principal: Principal;
    if (this.check) {
      const result = this.check(`Bearer ${token}`);
      if (!result.ok) return null;
      principal = result.principal;
    } else principal = { name: 'local', scope: 'admin' };
    const cookie = randomBytes(32).toString('base64url');
    const now = this.deps.now();
    await this.deps.store.consoleSessions.open(
      sha256(cookie),
      {
        tokenName: principal.name,
        fingerprint: this.key('token', this.check ? token : 'local'),
        expiresAt: new Date(now + this.ttlMs),
      },
      new Date(now),
    );
    return { cookie, principal };
  }

  /** The session a request carries, with the token's scope as configured now; null if none is open. */
  async resolve(request: FastifyRequest): Promise<Session | null> {
    const cookie = cookieOf(request);
    if (!cookie) return null;
    const row = await this.deps.store.consoleSessions.find(sha256(cookie), new Date(this.deps.now()));
    if (!row) return null;
    let principal: Principal | null = null;
    if (!this.check) principal = row.tokenName === 'local' ? { name: 'local', scope: 'admin' } : null;
    else
      for (const t of this.deps.config.http.tokens)
        if (t.name === row.tokenName && sameText(this.key('token', t.token), row.fingerprint))
          principal = { name: t.name, scope: t.scope };
    return principal ? { principal, csrf: this.key('csrf', cookie), cookie } : null;
  }

  async signOut(cookie: string): Promise<void> {
    await this.deps.store.consoleSessions.close(sha256(cookie));
  }

  csrfMatches(session: Session, presented: unknown): boolean {
    return typeof presented === 'string' && sameText(presented, session.csrf);
  }

  setCookie(reply: FastifyReply, request: FastifyRequest, value: string | null): void {
    const secure = request.protocol === 'https' || this.deps.config.http.publicUrl?.startsWith('https:');
    const life = value === null ? 'Max-Age=0' : `Max-Age=${Math.floor(this.ttlMs / 1000)}`;
    void reply.header(
      'set-cookie',
      `${COOKIE}=${value ?? ''}; Path=/; HttpOnly; SameSite=Strict; ${life}${secure ? '; Secure' : ''}`,
    );
  }
}

/**
 * Whether a state-changing request comes from a page of this origin: a browser says where
 * a request comes from (Sec-Fetch-Site, Origin); a request from another site is refused
 * even before its CSRF token is looked at.
 */
export function sameOrigin(request: FastifyRequest, config: OpscronConfig): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const own = `${request.protocol}://${request.headers.host ?? ''}`;
  const pub = config.http.publicUrl ? new URL(config.http.publicUrl).origin : null;
  return origin === own || origin === pub;
}

/** Failed sign-ins per client address and minute, past which it is told to wait. */
export class SignInLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();
  constructor(
    private readonly now: () => number,
    private readonly max = 10,
  ) {}

  blocked(address: string): boolean {
    const entry = this.failures.get(address);
    if (!entry) return false;
    if (this.now() - entry.since > 60_000) {
      this.failures.delete(address);
      return false;
    }
    return entry.count >= this.max;
  }

  failed(address: string): void {
    if (this.failures.size > 10_000) this.failures.clear(); // bounded, whatever the addresses
    const entry = this.failures.get(address);
    if (entry && this.now() - entry.since <= 60_000) entry.count++;
    else this.failures.set(address, { count: 1, since: this.now() });
  }
}
