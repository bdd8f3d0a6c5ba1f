// Identity from an authenticating proxy in front (`auth.mode: "proxy"`: oauth2-proxy, Pomerium, a
// platform's gateway): the user and groups headers it sets, believed only when the TCP peer is one of
// `trustedProxies`. From anywhere else, or without a user, the request is 401: whoever can reach the port
// directly could otherwise name any user. It never trusts X-Forwarded-For for this decision.
import type { IncomingMessage } from 'node:http';
import type { AuthResult, Authenticator } from './auth.js';
import { createAddressMatcher, peerAddress } from './client-address.js';

export interface ProxyAuthOptions {
  /** Lower-case header naming the user. */
  readonly userHeader: string;
  /** Lower-case header listing the user's groups, comma-separated. */
  readonly groupsHeader: string;
  /** Addresses or CIDR ranges of the proxies whose headers are believed. */
  readonly trustedProxies: readonly string[];
}

/** Longest user or group name taken from a header. */
const MAX_NAME_LENGTH = 256;
/** Most groups taken from the groups header. */
const MAX_GROUPS = 256;
// Commas would be two users joined by Node from repeated headers; whitespace and control characters make
// log lines and allow lists ambiguous.
const NAME = /^[^\s,\p{Cc}]+$/u;

const refused = (message: string): AuthResult => ({ ok: false, message });

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export function createProxyAuthenticator(options: ProxyAuthOptions): Authenticator {
  const trusted = createAddressMatcher(options.trustedProxies);
  return (req) => {
    if (!trusted(peerAddress(req))) {
      return refused('sign in through the proxy: identity is accepted only from auth.trustedProxies');
    }
    const user = header(req, options.userHeader)?.trim();
    if (!user) return refused(`the proxy sent no ${options.userHeader} header`);
    if (user.length > MAX_NAME_LENGTH || !NAME.test(user)) {
      return refused(`the proxy's ${options.userHeader} header is not a single user name`);
    }
    const groups = (header(req, options.groupsHeader) ?? '')
      .split(',')
      .map((group) => group.trim())
      .filter((group) => group.length > 0 && group.length <= MAX_NAME_LENGTH && NAME.test(group))
      .slice(0, MAX_GROUPS);
    return { ok: true, principal: { id: user, authenticated: true, groups } };
  };
}
