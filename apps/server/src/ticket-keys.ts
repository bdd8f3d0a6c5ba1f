// The keys tickets are checked with, and the algorithms each may sign with: an HS256 secret read from
// `auth.secretFile`, or public keys (ES256, RS256, EdDSA) from a JWKS in `auth.jwksFile` or at
// `auth.jwksUrl`. A key source fixes its algorithms, so a ticket can never pick them: a public key is never
// used as an HMAC secret, and `alg: none` matches nothing. A JWKS is looked at again when a ticket names a
// `kid` it does not hold (at most once per `jwksCooldownSec`), so a key rotated at the issuer is picked up.
// It never logs or returns key material; a file that cannot serve stops start-up with its key path named.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
  type CryptoKey,
} from 'jose';
import { ConfigError, type JwtAuthConfig } from './config.js';
import { unreadable } from './config-errors.js';

/** Signed with a shared secret. */
export const SECRET_ALGORITHMS: readonly string[] = ['HS256'];
/** Signed with a private key whose public half is in a JWKS. */
export const PUBLIC_KEY_ALGORITHMS: readonly string[] = ['ES256', 'RS256', 'EdDSA'];
/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash. */
export const MIN_SECRET_BYTES = 32;

/** Finds the key for a ticket's header; rejects with a jose error when there is none. */
export type KeyLookup = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

export type TicketKeys =
  | { readonly kind: 'secret'; readonly algorithms: readonly string[]; readonly secret: Uint8Array }
  | { readonly kind: 'jwks'; readonly algorithms: readonly string[]; readonly lookup: KeyLookup };

/** The HS256 secret in `file` (one trailing newline ignored, as `echo` writes). Throws ConfigError. */
export function readSecret(file: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ConfigError(`auth.secretFile: ${unreadable(file, error)}`);
  }
  let end = bytes.length;
  if (bytes[end - 1] === 0x0a) end--;
  if (bytes[end - 1] === 0x0d) end--;
  if (end < MIN_SECRET_BYTES) {
    throw new ConfigError(
      `auth.secretFile: ${file} holds ${end} bytes; an HS256 secret needs at least ${MIN_SECRET_BYTES} ` +
        '(e.g. `openssl rand -base64 48`)',
    );
  }
  return new Uint8Array(bytes.subarray(0, end));
}

/**
 * Parses a JWKS and keeps only what may verify tickets: public RSA, EC and OKP keys. A private key or a
 * shared (`oct`) key in a JWKS is a mistake worth stopping for: it would let this server sign tickets.
 */
export function parseJwks(text: string, where: string): JSONWebKeySet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where} is not JSON (${(error as Error).message})`, { cause: error });
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${where} has no "keys" array`);
  keys.forEach((key: unknown, i) => {
    const jwk = key as Record<string, unknown> | null;
    if (typeof jwk !== 'object' || jwk === null) throw new Error(`${where}: keys[${i}] is not an object`);
    if (!['RSA', 'EC', 'OKP'].includes(String(jwk.kty))) {
      throw new Error(
        `${where}: keys[${i}] has kty ${JSON.stringify(jwk.kty)}; only RSA, EC and OKP public keys`,
      );
    }
    if ('d' in jwk) throw new Error(`${where}: keys[${i}] is a private key; publish only the public half`);
  });
  return { keys: keys as JSONWebKeySet['keys'] };
}

/** A JWKS file, read again (at most once per cooldown) when a ticket names a key it does not hold. */
function fileKeyLookup(file: string, cooldownMs: number, now: () => number): KeyLookup {
  const load = (text: string) => createLocalJWKSet(parseJwks(text, file));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`auth.jwksFile: ${unreadable(file, error)}`);
  }
  let set: ReturnType<typeof createLocalJWKSet>;
  try {
    set = load(text);
  } catch (error) {
    throw new ConfigError(`auth.jwksFile: ${(error as Error).message}`);
  }
  let readAt = now();
  return async (header, token) => {
    try {
      return await set(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || now() - readAt < cooldownMs) throw error;
      readAt = now();
      try {
        set = load(await readFile(file, 'utf8'));
      } catch {
        // A file caught half-written keeps the keys we had; the ticket is refused as unknown.
        throw error;
      }
      return await set(header, token);
    }
  };
}

export interface TicketKeyOptions {
  /** The clock, for the file cooldown. The default is Date.now. */
  readonly now?: () => number;
}

/** Loads the key source `auth` names. Throws ConfigError naming the key when a file cannot serve. */
export function loadTicketKeys(auth: JwtAuthConfig, options: TicketKeyOptions = {}): TicketKeys {
  const now = options.now ?? Date.now;
  if (auth.secretFile !== undefined) {
    return { kind: 'secret', algorithms: SECRET_ALGORITHMS, secret: readSecret(auth.secretFile) };
  }
  if (auth.jwksFile !== undefined) {
    const lookup = fileKeyLookup(auth.jwksFile, auth.jwksCooldownSec * 1000, now);
    return { kind: 'jwks', algorithms: PUBLIC_KEY_ALGORITHMS, lookup };
  }
  if (auth.jwksUrl !== undefined) {
    const remote = createRemoteJWKSet(new URL(auth.jwksUrl), {
      cacheMaxAge: auth.jwksCacheSec * 1000,
      cooldownDuration: auth.jwksCooldownSec * 1000,
      timeoutDuration: auth.jwksTimeoutMs,
    });
    return {
      kind: 'jwks',
      algorithms: PUBLIC_KEY_ALGORITHMS,
      lookup: (header, token) => remote(header, token),
    };
  }
  throw new ConfigError('auth: give exactly one of secretFile, jwksFile or jwksUrl');
}
