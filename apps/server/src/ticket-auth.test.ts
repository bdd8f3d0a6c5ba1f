import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthResult } from './auth.js';
import { ConfigError, jwtAuthSchema } from './config.js';
import { createTicketAuthenticator, requestTicket } from './ticket-auth.js';
import { loadTicketKeys, parseJwks } from './ticket-keys.js';
import {
  fakeRequest,
  mint,
  signingKey,
  tempFile,
  TEST_SECRET,
  unsigned,
  type SigningKey,
} from './testing/tickets.js';

const secretFile = tempFile('secret', `${TEST_SECRET}\n`);
const jwtAuth = (extra: Record<string, unknown>) => jwtAuthSchema.parse({ mode: 'jwt', ...extra });
const bearer = (ticket: string) => fakeRequest({ headers: { Authorization: `Bearer ${ticket}` } });
const now = () => Math.floor(Date.now() / 1000);

async function refusal(result: AuthResult | Promise<AuthResult>): Promise<string> {
  const settled = await result;
  if (settled.ok) throw new Error(`accepted as ${settled.principal.id}`);
  return settled.message;
}

describe('tickets signed with a shared secret (HS256)', () => {
  const authenticate = createTicketAuthenticator(jwtAuth({ secretFile, issuer: 'https://platform.test' }));
  const iss = { issuer: 'https://platform.test' };

  it('name the principal, its targets and its groups', async () => {
    const ticket = await mint({ sub: 'alice', targets: ['vm1'], groups: ['ops'] }, TEST_SECRET, iss);
    expect(await authenticate(bearer(ticket))).toEqual({
      ok: true,
      principal: { id: 'alice', authenticated: true, groups: ['ops'], scope: ['vm1'] },
    });
  });

  it('open nothing without a targets claim, and everything with ["*"]', async () => {
    const none = await authenticate(bearer(await mint({ sub: 'alice' }, TEST_SECRET, iss)));
    expect(none).toMatchObject({ ok: true, principal: { scope: [] } });
    const all = await authenticate(bearer(await mint({ sub: 'alice', targets: ['*'] }, TEST_SECRET, iss)));
    expect(all).toMatchObject({ ok: true, principal: { scope: '*' } });
  });

  it.each<[string, () => Promise<string>, RegExp]>([
    [
      'a forged signature',
      () => mint({ sub: 'mallory' }, 'another-secret-thirty-two-bytes-long!!', iss),
      /signature/,
    ],
    ['an expired ticket', () => mint({ sub: 'a' }, TEST_SECRET, { ...iss, expiresIn: -120 }), /expired/],
    [
      'a ticket without exp',
      () => mint({ sub: 'a' }, TEST_SECRET, { ...iss, expiresIn: undefined }),
      /no "exp"/,
    ],
    [
      'exp beyond maxTicketAgeSec',
      () => mint({ sub: 'a' }, TEST_SECRET, { ...iss, expiresIn: 3600 }),
      /too far ahead/,
    ],
    ['a ticket not valid yet', () => mint({ sub: 'a', nbf: now() + 600 }, TEST_SECRET, iss), /not valid yet/],
    ['a ticket issued in the future', () => mint({ sub: 'a', iat: now() + 600 }, TEST_SECRET, iss), /future/],
    [
      'a ticket issued long ago',
      () => mint({ sub: 'a', iat: now() - 3600 }, TEST_SECRET, iss),
      /too long ago/,
    ],
    ['another audience', () => mint({ sub: 'a' }, TEST_SECRET, { ...iss, audience: 'grafana' }), /audience/],
    ['another issuer', () => mint({ sub: 'a' }, TEST_SECRET, { issuer: 'https://evil.test' }), /issuer/],
    ['no issuer', () => mint({ sub: 'a' }, TEST_SECRET), /no "iss"/],
    ['no subject', () => mint({ targets: ['vm1'] }, TEST_SECRET, iss), /no "sub"/],
    ['a subject with spaces', () => mint({ sub: 'alice bob' }, TEST_SECRET, iss), /"sub" claim/],
    [
      'targets that are not a list',
      () => mint({ sub: 'a', targets: 'vm1' }, TEST_SECRET, iss),
      /"targets" claim/,
    ],
    [
      'alg none',
      () =>
        Promise.resolve(
          unsigned({ sub: 'a', aud: 'termrelay', iss: 'https://platform.test', exp: now() + 60 }),
        ),
      /algorithm/,
    ],
    ['garbage', () => Promise.resolve('not.a.jwt'), /malformed/],
  ])('refuse %s', async (_name, make, words) => {
    expect(await refusal(authenticate(bearer(await make())))).toMatch(words);
  });

  it('refuse an RS256 ticket: a secret never checks a public-key signature', async () => {
    const key = await signingKey('RS256', 'k1');
    const ticket = await mint({ sub: 'a' }, key, { issuer: 'https://platform.test' });
    expect(await refusal(authenticate(bearer(ticket)))).toMatch(/algorithm/);
  });

  it('take ?ticket= on the console URL only, never on other paths', async () => {
    const ticket = await mint({ sub: 'alice', targets: ['vm1'] }, TEST_SECRET, iss);
    const onConsole = fakeRequest({ url: `/api/targets/vm1/console?cols=80&ticket=${ticket}` });
    expect(requestTicket(onConsole)).toBe(ticket);
    expect(await authenticate(onConsole)).toMatchObject({ ok: true, principal: { id: 'alice' } });
    expect(requestTicket(fakeRequest({ url: `/api/targets?ticket=${ticket}` }))).toBeUndefined();
    expect(await refusal(authenticate(fakeRequest({ url: `/api/targets?ticket=${ticket}` })))).toMatch(
      /ticket is required/,
    );
  });

  it('never repeat the ticket or its claims in a refusal', async () => {
    const ticket = await mint({ sub: 'secret-subject' }, TEST_SECRET, { issuer: 'https://evil.test' });
    const message = await refusal(authenticate(bearer(ticket)));
    expect(message).not.toContain('secret-subject');
    expect(message).not.toContain('evil.test');
    expect(message).not.toContain(ticket.slice(0, 20));
  });
});

describe('tickets signed with public keys from a JWKS file', () => {
  let es: SigningKey;
  let ed: SigningKey;
  let rs: SigningKey;

  beforeAll(async () => {
    [es, ed, rs] = await Promise.all([
      signingKey('ES256', 'es'),
      signingKey('EdDSA', 'ed'),
      signingKey('RS256', 'rs'),
    ]);
  });

  it('verify ES256, EdDSA and RS256, and read the file again for a kid it does not know', async () => {
    const file = tempFile('jwks.json', JSON.stringify({ keys: [es.jwk] }));
    const authenticate = createTicketAuthenticator(jwtAuth({ jwksFile: file, jwksCooldownSec: 0 }));
    expect(await authenticate(bearer(await mint({ sub: 'alice' }, es)))).toMatchObject({ ok: true });
    expect(await refusal(authenticate(bearer(await mint({ sub: 'alice' }, ed))))).toMatch(/key this server/);
    // The issuer rotates: the new keys are published in place, and the next unknown kid finds them.
    writeFileSync(file, JSON.stringify({ keys: [es.jwk, ed.jwk, rs.jwk] }));
    expect(await authenticate(bearer(await mint({ sub: 'alice' }, ed)))).toMatchObject({ ok: true });
    expect(await authenticate(bearer(await mint({ sub: 'bob' }, rs)))).toMatchObject({
      ok: true,
      principal: { id: 'bob' },
    });
  });

  it('refuse an HS256 ticket signed with the public key as its secret (algorithm confusion)', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const file = tempFile('jwks.json', JSON.stringify({ keys: [rs.jwk] }));
    const authenticate = createTicketAuthenticator(jwtAuth({ jwksFile: file }));
    const forged = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'HS256', kid: 'rs' })
      .setAudience('termrelay')
      .setExpirationTime(now() + 60)
      .sign(new TextEncoder().encode(pem));
    expect(await refusal(authenticate(bearer(forged)))).toMatch(/algorithm/);
  });

  it('stop start-up on a JWKS holding a private or shared key', () => {
    const priv = { ...es.jwk, d: 'AAAA' };
    expect(() => parseJwks(JSON.stringify({ keys: [priv] }), 'jwks.json')).toThrow(/private key/);
    expect(() => parseJwks(JSON.stringify({ keys: [{ kty: 'oct', k: 'AAAA' }] }), 'x')).toThrow(/kty "oct"/);
    const file = tempFile('jwks.json', JSON.stringify({ keys: [priv] }));
    expect(() => loadTicketKeys(jwtAuth({ jwksFile: file }))).toThrow(ConfigError);
  });

  it('stop start-up on a short or missing secret, naming auth.secretFile', () => {
    expect(() => loadTicketKeys(jwtAuth({ secretFile: tempFile('s', 'short\n') }))).toThrow(
      /auth\.secretFile: .* holds 5 bytes/,
    );
    expect(() => loadTicketKeys(jwtAuth({ secretFile: '/nonexistent/secret' }))).toThrow(/does not exist/);
  });
});

describe('tickets signed with public keys from a JWKS URL', () => {
  let server: Server;
  let served: { keys: unknown[] };
  let fetches = 0;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('fetch once, cache, and fetch again on an unknown kid', async () => {
    const first = await signingKey('ES256', 'first');
    const second = await signingKey('ES256', 'second');
    served = { keys: [first.jwk] };
    fetches = 0;
    const authenticate = createTicketAuthenticator(jwtAuth({ jwksUrl: url, jwksCooldownSec: 0 }));
    expect(await authenticate(bearer(await mint({ sub: 'alice' }, first)))).toMatchObject({ ok: true });
    expect(await authenticate(bearer(await mint({ sub: 'alice' }, first)))).toMatchObject({ ok: true });
    expect(fetches).toBe(1);
    served = { keys: [first.jwk, second.jwk] };
    expect(await authenticate(bearer(await mint({ sub: 'bob' }, second)))).toMatchObject({ ok: true });
    expect(fetches).toBe(2);
  });

  it('wait out the cooldown before fetching again for an unknown kid', async () => {
    const known = await signingKey('ES256', 'known');
    const unknown = await signingKey('ES256', 'unknown');
    served = { keys: [known.jwk] };
    fetches = 0;
    const authenticate = createTicketAuthenticator(jwtAuth({ jwksUrl: url, jwksCooldownSec: 30 }));
    expect(await authenticate(bearer(await mint({ sub: 'a' }, known)))).toMatchObject({ ok: true });
    for (let i = 0; i < 5; i++) {
      expect(await refusal(authenticate(bearer(await mint({ sub: 'a' }, unknown))))).toMatch(
        /key this server/,
      );
    }
    expect(fetches).toBe(1);
  });

  it('refuse, in words, when the keys cannot be fetched', async () => {
    const key = await signingKey('ES256', 'k');
    const authenticate = createTicketAuthenticator(
      jwtAuth({ jwksUrl: 'http://127.0.0.1:1/jwks.json', jwksTimeoutMs: 1000 }),
    );
    expect(await refusal(authenticate(bearer(await mint({ sub: 'a' }, key))))).toMatch(
      /could not be fetched/,
    );
  });
});
