/**
 * Bearer tokens for the API. Each token has a name (the actor in the audit log) and a
 * scope: read < trigger < admin. Tokens are compared through SHA-256 digests with
 * timingSafeEqual, and every configured token is compared, so timing tells nothing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import type { Scope } from '../model.js';

export type { Scope } from '../model.js';
export interface Principal {
  name: string;
  scope: Scope;
}

const RANK: Record<Scope, number> = { read: 0, trigger: 1, admin: 2 };

export function allows(principal: Principal, needed: Scope): boolean {
  return RANK[principal.scope] >= RANK[needed];
}

const digest = (text: string) => createHash('sha256').update(text).digest();

export type AuthResult = { ok: true; principal: Principal } | { ok: false; reason: string };

/** Returns a function that resolves an Authorization header to a principal. */
export function authenticator(
  tokens: readonly { name: string; token: string; scope: Scope }[],
): (header: string | undefined) => AuthResult {
  const known = tokens.map((t) => ({ principal: { name: t.name, scope: t.scope }, digest: digest(t.token) }));
  return (header) => {
    if (!header) return { ok: false, reason: 'missing Authorization: Bearer <token>' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) return { ok: false, reason: 'Authorization must be "Bearer <token>"' };
    const presented = digest(match[1]!);
    let found: Principal | null = null;
    for (const k of known) if (timingSafeEqual(presented, k.digest) && !found) found = k.principal;
    return found ? { ok: true, principal: found } : { ok: false, reason: 'unknown token' };
  };
}
