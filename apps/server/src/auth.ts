// Who may open a console: with token auth, a token from `Authorization: Bearer`, the `termrelay_token`
// cookie, or `?token=` on the URL, compared in constant time against every configured token.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Config } from './config.js';

export const TOKEN_COOKIE = 'termrelay_token';

function cookie(header: string | undefined, name: string): string | undefined {
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

/** The token a request carries, wherever it carries it. */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  const authorization = req.headers.authorization;
  if (authorization?.startsWith('Bearer ')) return authorization.slice('Bearer '.length).trim();
  return cookie(req.headers.cookie, TOKEN_COOKIE) ?? url.searchParams.get('token') ?? undefined;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function createAuthenticator(auth: Config['auth']): (req: IncomingMessage, url: URL) => boolean {
  if (auth.mode === 'none') return () => true;
  // Hashing first gives equal lengths, so timingSafeEqual never leaks a token's length.
  const accepted = auth.tokens.map(digest);
  return (req, url) => {
    const token = requestToken(req, url);
    if (token === undefined || token.length > 4096) return false;
    const given = digest(token);
    let ok = false;
    for (const candidate of accepted) ok = timingSafeEqual(candidate, given) || ok;
    return ok;
  };
}
