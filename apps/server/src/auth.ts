// Who is asking: turns a request into a principal, or a refusal. With token auth the token comes from
// `Authorization: Bearer` or the HttpOnly `termrelay_token` cookie (set by POST /api/session), compared in
// constant time against every configured token; never from the URL, where it would land in access logs.
// Tickets (jwt) and proxy identity live in their own modules; this one picks the mode.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AuthConfig } from './config.js';
import type { Logger } from './logger.js';
import { createProxyAuthenticator } from './proxy-auth.js';
import { createTicketAuthenticator } from './ticket-auth.js';

export const TOKEN_COOKIE = 'termrelay_token';
/** Longest credential read from a request; anything longer is refused unread. */
const MAX_CREDENTIAL_LENGTH = 4096;

/** Who opened a console. `id` is stable and safe to log; it never contains a secret. */
export interface Principal {
  readonly id: string;
  /** False under `auth.mode: "none"`: anyone who reaches the port. */
  readonly authenticated: boolean;
  /** Groups it belongs to (the proxy's groups header, a ticket's `groups` claim), for `targets[].allow`. */
  readonly groups?: readonly string[];
  /**
   * What a ticket lets it open: target ids, or '*' for every target. Undefined when the mode grants no
   * scope of its own (none, token, proxy): then only the targets' allow lists decide.
   */
  readonly scope?: readonly string[] | '*';
}

export type AuthResult =
  { readonly ok: true; readonly principal: Principal } | { readonly ok: false; readonly message: string };

/** Decides who a request is from. May be asynchronous (signature checks, key fetches); never rejects. */
export type Authenticator = (req: IncomingMessage) => AuthResult | Promise<AuthResult>;

export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The bearer credential of `Authorization`, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const authorization = req.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length).trim();
  return undefined;
}

/** The static token a request carries: the Authorization header first, then the cookie. */
export function requestToken(req: IncomingMessage): string | undefined {
  return bearerToken(req) ?? cookieValue(req.headers.cookie, TOKEN_COOKIE);
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

const ANONYMOUS: AuthResult = { ok: true, principal: { id: 'anonymous', authenticated: false } };

/** Checks one token against the configured ones; returns the matching token's principal. */
export function createTokenChecker(
  tokens: readonly string[],
): (token: string | undefined) => Principal | undefined {
  // Hashing first gives equal lengths, so timingSafeEqual never leaks a token's length.
  const accepted = tokens.map((token) => ({
    hash: digest(token),
    // Which token, named by a short hash of it: stable across restarts, useless to an attacker.
    principal: {
      id: `token-${digest(`termrelay:${token}`).toString('hex').slice(0, 12)}`,
      authenticated: true,
    },
  }));
  return (token) => {
    if (token === undefined || token.length === 0 || token.length > MAX_CREDENTIAL_LENGTH) return undefined;
    const given = digest(token);
    let found: Principal | undefined;
    for (const candidate of accepted) {
      if (timingSafeEqual(candidate.hash, given)) found = candidate.principal;
    }
    return found;
  };
}

export interface AuthenticatorOptions {
  /** Where trouble fetching ticket keys is reported. */
  readonly logger?: Logger;
}

/** The authenticator for `auth.mode`. Reads key files now: throws ConfigError when one cannot serve. */
export function createAuthenticator(auth: AuthConfig, options: AuthenticatorOptions = {}): Authenticator {
  if (auth.mode === 'none') return () => ANONYMOUS;
  if (auth.mode === 'jwt') {
    return createTicketAuthenticator(auth, options.logger ? { logger: options.logger } : {});
  }
  if (auth.mode === 'proxy') return createProxyAuthenticator(auth);
  const check = createTokenChecker(auth.tokens);
  return (req) => {
    const principal = check(requestToken(req));
    return principal ? { ok: true, principal } : { ok: false, message: 'a valid token is required' };
  };
}
