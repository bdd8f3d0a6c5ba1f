// Tickets (`auth.mode: "jwt"`): short-lived JWTs signed by the platform that embeds the console, naming
// who (`sub`) and which targets (`targets`: ids, or ["*"]). A ticket comes in `Authorization: Bearer`, or
// as `?ticket=` on the console URL only (a browser cannot set headers on a WebSocket; a ticket lives
// minutes, so one left in an access log is soon worthless). This module checks signature, algorithm,
// audience, issuer and times, and says in words why a ticket was refused; it never logs, returns or keeps a
// ticket, and never names a claim's value in a refusal.
import type { IncomingMessage } from 'node:http';
import { jwtVerify, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { bearerToken, type AuthResult, type Authenticator, type Principal } from './auth.js';
import type { JwtAuthConfig } from './config.js';
import type { Logger } from './logger.js';
import { loadTicketKeys, type TicketKeys } from './ticket-keys.js';
import { CONSOLE_PATH } from './upgrade.js';

/** Longest ticket read; a longer one is refused unread. */
const MAX_TICKET_LENGTH = 8192;
/** Longest `sub`, group name or target id taken from a ticket. */
const MAX_CLAIM_LENGTH = 256;
/** Most entries in the `targets` or `groups` claim. */
const MAX_CLAIM_ENTRIES = 1000;

export interface TicketAuthOptions {
  /** The keys; the default loads them from the config's secretFile, jwksFile or jwksUrl. */
  readonly keys?: TicketKeys;
  /** The clock. The default is Date.now. */
  readonly now?: () => number;
  /** Where failures to fetch keys are reported (never the ticket). */
  readonly logger?: Logger;
}

/** The ticket a request carries: the Authorization header, else `?ticket=` on the console URL. */
export function requestTicket(req: IncomingMessage): string | undefined {
  const bearer = bearerToken(req);
  if (bearer !== undefined) return bearer;
  const raw = req.url ?? '/';
  const query = raw.indexOf('?');
  if (query < 0 || !CONSOLE_PATH.test(raw.slice(0, query))) return undefined;
  return new URLSearchParams(raw.slice(query + 1)).get('ticket') ?? undefined;
}

const KEYS_UNAVAILABLE = 'the keys to check the ticket could not be fetched';

const refused = (message: string): AuthResult => ({ ok: false, message });

/** Why jose refused a ticket, in words that reveal nothing of the ticket itself. */
function refusalWords(error: unknown): string {
  const { code, claim, reason } = error as { code?: string; claim?: string; reason?: string };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'the ticket has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') return `the ticket has no "${claim}" claim`;
      if (claim === 'nbf') return 'the ticket is not valid yet';
      if (claim === 'aud') return 'the ticket is meant for another audience';
      if (claim === 'iss') return 'the ticket comes from an issuer this server does not trust';
      return `the ticket's "${claim}" claim is invalid`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return "the ticket's signature does not verify";
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return "the ticket's signing algorithm is not accepted here";
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'the ticket is signed by a key this server does not know';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'the ticket is malformed';
    default:
      // A JWKS that timed out, answered other than 200, or did not parse; or fetch itself failed.
      return KEYS_UNAVAILABLE;
  }
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_CLAIM_ENTRIES) return undefined;
  const list: string[] = [];
  for (const entry of value) {
    if (typeof entry !== 'string' || entry.length === 0 || entry.length > MAX_CLAIM_LENGTH) return undefined;
    list.push(entry);
  }
  return list;
}

// Control characters and whitespace would make log lines and allow lists ambiguous.
const PRINTABLE = /^[^\s\p{Cc}]+$/u;

/** The principal a verified ticket names, or a refusal when its claims are out of bounds. */
export function ticketPrincipal(payload: JWTPayload): AuthResult {
  const { sub } = payload;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_CLAIM_LENGTH || !PRINTABLE.test(sub)) {
    return refused(`the ticket's "sub" claim must be 1-${MAX_CLAIM_LENGTH} printable characters`);
  }
  let scope: Principal['scope'] = [];
  if (payload.targets !== undefined) {
    const targets = stringList(payload.targets);
    if (!targets) return refused(`the ticket's "targets" claim must be an array of target ids, or ["*"]`);
    scope = targets.includes('*') ? '*' : targets;
  }
  let groups: string[] = [];
  if (payload.groups !== undefined) {
    const list = stringList(payload.groups);
    if (!list) return refused(`the ticket's "groups" claim must be an array of group names`);
    groups = list;
  }
  return { ok: true, principal: { id: sub, authenticated: true, groups, scope } };
}

export function createTicketAuthenticator(
  auth: JwtAuthConfig,
  options: TicketAuthOptions = {},
): Authenticator {
  const keys = options.keys ?? loadTicketKeys(auth, options.now ? { now: options.now } : {});
  const now = options.now ?? Date.now;
  const tolerance = auth.clockToleranceSec;
  const base = {
    algorithms: [...keys.algorithms],
    audience: auth.audience,
    ...(auth.issuer !== undefined ? { issuer: auth.issuer } : {}),
    clockTolerance: tolerance,
    requiredClaims: ['exp', 'sub'],
  } satisfies JWTVerifyOptions;

  async function verify(ticket: string): Promise<JWTPayload> {
    const verifyOptions = { ...base, currentDate: new Date(now()) };
    const result =
      keys.kind === 'secret'
        ? await jwtVerify(ticket, keys.secret, verifyOptions)
        : await jwtVerify(ticket, keys.lookup, verifyOptions);
    return result.payload;
  }

  return async (req) => {
    const ticket = requestTicket(req);
    if (ticket === undefined || ticket.length === 0) return refused('a ticket is required');
    if (ticket.length > MAX_TICKET_LENGTH) return refused('the ticket is too long');
    let payload: JWTPayload;
    try {
      payload = await verify(ticket);
    } catch (error) {
      const words = refusalWords(error);
      if (words === KEYS_UNAVAILABLE)
        options.logger?.warn({ err: (error as Error).message }, 'ticket keys unavailable');
      return refused(words);
    }
    // jose has checked exp (required), nbf and the signature; the bounds on time are ours.
    const nowSec = Math.floor(now() / 1000);
    const limit = auth.maxTicketAgeSec + tolerance;
    if ((payload.exp as number) - nowSec > limit) {
      return refused(`the ticket expires too far ahead (auth.maxTicketAgeSec is ${auth.maxTicketAgeSec})`);
    }
    if (payload.iat !== undefined) {
      if (payload.iat > nowSec + tolerance) return refused('the ticket was issued in the future');
      if (nowSec - payload.iat > limit) return refused('the ticket was issued too long ago');
    }
    return ticketPrincipal(payload);
  };
}
