// Test tickets: keys and JWTs as an embedding platform would make them, with jose. For tests only; the
// server never signs anything.
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export const TEST_SECRET = 'a-test-secret-of-at-least-thirty-two-bytes!';
export const AUDIENCE = 'termrelay';

export interface SigningKey {
  readonly alg: 'ES256' | 'RS256' | 'EdDSA';
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** The public half as a JWK, with kid, alg and use. */
  readonly jwk: JWK;
}

export async function signingKey(alg: SigningKey['alg'], kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface MintOptions {
  /** Seconds from now until exp; undefined leaves exp out. The default is 60. */
  readonly expiresIn?: number | undefined;
  readonly audience?: string;
  readonly issuer?: string;
  readonly kid?: string;
}

/** Signs `claims` (sub and targets usually) with HS256 and `secret`, or with `key`. */
export async function mint(
  claims: JWTPayload,
  key: string | Uint8Array | SigningKey = TEST_SECRET,
  options: MintOptions = {},
): Promise<string> {
  const signWith =
    typeof key === 'string'
      ? { header: { alg: 'HS256' }, key: new TextEncoder().encode(key) }
      : key instanceof Uint8Array
        ? { header: { alg: 'HS256' }, key }
        : { header: { alg: key.alg, kid: options.kid ?? key.kid }, key: key.privateKey };
  const header = signWith.header;
  let jwt = new SignJWT(claims).setProtectedHeader(header).setAudience(options.audience ?? AUDIENCE);
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  const expiresIn = 'expiresIn' in options ? options.expiresIn : 60;
  if (expiresIn !== undefined) jwt = jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn);
  return await jwt.sign(signWith.key);
}

/** An unsigned `alg: none` JWT with `claims`. */
export function unsigned(claims: JWTPayload): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

/** Writes `content` to a fresh file in a private temporary folder; returns its path. */
export function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'termrelay-keys-')), name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** A request as an authenticator sees it. */
export function fakeRequest(
  options: { url?: string; headers?: Record<string, string>; peer?: string } = {},
): IncomingMessage {
  return {
    url: options.url ?? '/api/targets',
    headers: Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    socket: { remoteAddress: options.peer ?? '127.0.0.1' },
  } as unknown as IncomingMessage;
}
