// Who is at the console, against a real sshd: tickets (secret, JWKS file, JWKS URL), proxy identity,
// per-target allow lists and the audit trail. Every refusal is checked for its status and code, and for
// having opened nothing at the target: no credentials taken, no login at the sshd.
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import type { CredentialProvider } from '@termrelay/relay-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientOptions } from 'ws';
import {
  ConsoleClient,
  TEST_ORIGIN,
  refusalOf,
  startTestServer,
  targetConfig,
  type TestServer,
} from './testing/harness.js';
import { mint, signingKey, tempFile, TEST_SECRET, unsigned, type SigningKey } from './testing/tickets.js';

const ISSUER = 'https://platform.test';
const now = () => Math.floor(Date.now() / 1000);

let sshd: TestSshd;
/** Credentials taken for a dial, across every server in this file: a refusal must never take any. */
let acquired = 0;
const counting = {
  wrapCredentials: (provider: CredentialProvider): CredentialProvider => ({
    acquire: (signal) => {
      acquired++;
      return provider.acquire(signal);
    },
    release: () => provider.release(),
  }),
};
const logins = () => (sshd.log().match(/Accepted publickey/g) ?? []).length;

function targets() {
  return [
    targetConfig(sshd, 'vm1'),
    targetConfig(sshd, 'vm2'),
    { ...targetConfig(sshd, 'db'), allow: ['group:ops'] },
  ];
}

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});

/** Runs `refusals` and checks that none of them reached the target. */
async function expectNothingOpened(refusals: () => Promise<void>): Promise<void> {
  const before = { acquired, logins: logins() };
  await refusals();
  // A dial that slipped through would take credentials at once and log in within a moment.
  await new Promise((r) => setTimeout(r, 200));
  expect({ acquired, logins: logins() }).toEqual(before);
}

async function openAndExit(url: string, options: ClientOptions = {}) {
  const client = ConsoleClient.open(url, options);
  await client.ready();
  client.type('echo who-$((6*7)); exit\n');
  await client.waitFor(/who-42/);
  return await client.closed;
}

describe('tickets signed with a shared secret', () => {
  let server: TestServer;
  let auditFile: string;

  beforeAll(async () => {
    auditFile = tempFile('audit.jsonl', '');
    server = await startTestServer(
      sshd,
      {
        auth: { mode: 'jwt', secretFile: tempFile('secret', TEST_SECRET), issuer: ISSUER },
        targets: targets(),
        audit: { file: auditFile },
      },
      counting,
    );
  });
  afterAll(() => server?.close());

  const ticket = (claims: Record<string, unknown>, options = {}) =>
    mint(claims, TEST_SECRET, { issuer: ISSUER, ...options });
  const withTicket = (target: string, jwt: string) => server.consoleUrl(target, `?ticket=${jwt}`);

  it('opens the target the ticket names, as its subject, and audits open and end', async () => {
    const before = { acquired, logins: logins() };
    const closed = await openAndExit(withTicket('vm1', await ticket({ sub: 'alice', targets: ['vm1'] })));
    expect(closed.code).toBe(1000);
    // What a refusal must not do, seen here once so the checks below can fail.
    expect(acquired).toBe(before.acquired + 1);
    await expect.poll(logins).toBe(before.logins + 1);
    await expect.poll(() => readFileSync(auditFile, 'utf8').trim().split('\n').length).toBe(2);
    const [open, end] = readFileSync(auditFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(open).toMatchObject({ event: 'open', principal: 'alice', target: 'vm1', client: '127.0.0.1' });
    expect(end).toMatchObject({
      event: 'end',
      principal: 'alice',
      target: 'vm1',
      cause: 'exit',
      session: open?.session,
    });
    expect(end?.bytesIn).toBeGreaterThan(10);
    expect(end?.bytesOut).toBeGreaterThan(5);
    expect(end?.durationMs).toBeGreaterThanOrEqual(0);
    expect(statSync(auditFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(auditFile, 'utf8')).not.toMatch(/eyJ/);
  });

  it('takes the ticket from Authorization on the upgrade too', async () => {
    const jwt = await ticket({ sub: 'alice', targets: ['*'] });
    const closed = await openAndExit(server.consoleUrl('vm2'), {
      headers: { Authorization: `Bearer ${jwt}` },
    });
    expect(closed.code).toBe(1000);
  });

  it('lists only the targets the ticket and the allow lists let it open', async () => {
    const list = async (claims: Record<string, unknown>) => {
      const res = await fetch(`${server.httpUrl}/api/targets`, {
        headers: { Authorization: `Bearer ${await ticket(claims)}` },
      });
      return ((await res.json()) as { id: string }[]).map((t) => t.id);
    };
    expect(await list({ sub: 'alice', targets: ['vm2'] })).toEqual(['vm2']);
    expect(await list({ sub: 'alice', targets: ['*'] })).toEqual(['vm1', 'vm2']);
    expect(await list({ sub: 'alice', targets: ['*'], groups: ['ops'] })).toEqual(['vm1', 'vm2', 'db']);
    expect(await list({ sub: 'alice' })).toEqual([]);
    const anonymous = await fetch(`${server.httpUrl}/api/targets`);
    expect(anonymous.status).toBe(401);
  });

  it('refuses every bad ticket with 401 unauthorized, and opens nothing', async () => {
    const rsa = await signingKey('RS256', 'rs');
    const cases: [string, string, RegExp][] = [
      ['forged', await mint({ sub: 'a', targets: ['*'] }, 'x'.repeat(40), { issuer: ISSUER }), /signature/],
      ['expired', await ticket({ sub: 'a', targets: ['*'] }, { expiresIn: -300 }), /expired/],
      ['not yet valid', await ticket({ sub: 'a', targets: ['*'], nbf: now() + 600 }), /not valid yet/],
      ['wrong audience', await ticket({ sub: 'a', targets: ['*'] }, { audience: 'other' }), /audience/],
      ['wrong issuer', await ticket({ sub: 'a', targets: ['*'] }, { issuer: 'https://evil.test' }), /issuer/],
      [
        'alg none',
        unsigned({ sub: 'a', targets: ['*'], aud: 'termrelay', iss: ISSUER, exp: now() + 60 }),
        /algorithm/,
      ],
      ['RS256 for a secret', await mint({ sub: 'a', targets: ['*'] }, rsa, { issuer: ISSUER }), /algorithm/],
    ];
    await expectNothingOpened(async () => {
      for (const [name, jwt, words] of cases) {
        const refusal = await refusalOf(withTicket('vm1', jwt), { origin: TEST_ORIGIN });
        expect({ name, status: refusal.status, code: refusal.body.error.code }).toEqual({
          name,
          status: 401,
          code: 'unauthorized',
        });
        expect(refusal.body.error.message).toMatch(words);
      }
      expect((await refusalOf(server.consoleUrl('vm1'), { origin: TEST_ORIGIN })).status).toBe(401);
    });
  });

  it('refuses a ticket for target A on target B, or one naming no targets, with 403 target_forbidden', async () => {
    await expectNothingOpened(async () => {
      for (const [target, claims] of [
        ['vm2', { sub: 'alice', targets: ['vm1'] }],
        ['vm1', { sub: 'alice' }],
        ['db', { sub: 'alice', targets: ['*'], groups: ['dev'] }],
      ] as const) {
        const refusal = await refusalOf(withTicket(target, await ticket(claims)), { origin: TEST_ORIGIN });
        expect(refusal.status).toBe(403);
        expect(refusal.body.error.code).toBe('target_forbidden');
      }
      // The page reads the same answer over plain HTTP.
      const res = await fetch(
        withTicket('vm2', await ticket({ sub: 'alice', targets: ['vm1'] })).replace(/^ws/, 'http'),
        {
          headers: { Origin: TEST_ORIGIN },
        },
      );
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'target_forbidden' } });
    });
  });

  it('checks the Origin before the ticket, and reveals nothing about targets to a bad ticket', async () => {
    const good = await ticket({ sub: 'alice', targets: ['*'] });
    const foreign = await refusalOf(withTicket('vm1', good), { origin: 'https://evil.test' });
    expect(foreign.body.error.code).toBe('origin_not_allowed');
    const bad = await ticket({ sub: 'alice', targets: ['*'] }, { expiresIn: -300 });
    const unknown = await refusalOf(withTicket('nope', bad), { origin: TEST_ORIGIN });
    expect(unknown.body.error.code).toBe('unauthorized');
  });
});

describe('tickets signed with keys from a JWKS', () => {
  let jwksServer: Server;
  let served: { keys: unknown[] };
  let first: SigningKey;
  let second: SigningKey;

  beforeAll(async () => {
    [first, second] = await Promise.all([signingKey('ES256', 'first'), signingKey('EdDSA', 'second')]);
    jwksServer = createServer((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(served));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise((resolve) => jwksServer.close(resolve)));

  it('from a URL: opens with a known key, and picks up a rotated key on its unknown kid', async () => {
    served = { keys: [first.jwk] };
    const port = (jwksServer.address() as AddressInfo).port;
    const server = await startTestServer(
      sshd,
      {
        auth: { mode: 'jwt', jwksUrl: `http://127.0.0.1:${port}/jwks.json`, jwksCooldownSec: 0 },
        targets: targets(),
      },
      counting,
    );
    try {
      const url = async (key: SigningKey) =>
        server.consoleUrl('vm1', `?ticket=${await mint({ sub: 'carol', targets: ['vm1'] }, key)}`);
      expect((await openAndExit(await url(first))).code).toBe(1000);
      await expectNothingOpened(async () => {
        const refusal = await refusalOf(await url(second), { origin: TEST_ORIGIN });
        expect(refusal.status).toBe(401);
        expect(refusal.body.error.message).toMatch(/key this server does not know/);
      });
      served = { keys: [first.jwk, second.jwk] };
      expect((await openAndExit(await url(second))).code).toBe(1000);
    } finally {
      await server.close();
    }
  });

  it('from a file: refuses an HS256 ticket signed with the public key (algorithm confusion)', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const rsa = await signingKey('RS256', 'rs');
    const server = await startTestServer(
      sshd,
      {
        auth: { mode: 'jwt', jwksFile: tempFile('jwks.json', JSON.stringify({ keys: [rsa.jwk] })) },
        targets: targets(),
      },
      counting,
    );
    try {
      expect(
        (
          await openAndExit(
            server.consoleUrl('vm1', `?ticket=${await mint({ sub: 'dave', targets: ['*'] }, rsa)}`),
          )
        ).code,
      ).toBe(1000);
      const forged = await new SignJWT({ sub: 'mallory', targets: ['*'] })
        .setProtectedHeader({ alg: 'HS256', kid: 'rs' })
        .setAudience('termrelay')
        .setExpirationTime(now() + 60)
        .sign(new TextEncoder().encode(await exportSPKI(publicKey)));
      await expectNothingOpened(async () => {
        const refusal = await refusalOf(server.consoleUrl('vm1', `?ticket=${forged}`), {
          origin: TEST_ORIGIN,
        });
        expect(refusal.status).toBe(401);
        expect(refusal.body.error.code).toBe('unauthorized');
      });
    } finally {
      await server.close();
    }
  });
});

describe('identity from a proxy', () => {
  const user = (name: string, groups = '') => ({
    origin: TEST_ORIGIN,
    headers: { 'X-Forwarded-User': name, ...(groups ? { 'X-Forwarded-Groups': groups } : {}) },
  });

  it('believes the headers from a trusted proxy, and applies the allow lists', async () => {
    const server = await startTestServer(
      sshd,
      { auth: { mode: 'proxy', trustedProxies: ['127.0.0.1/32'] }, targets: targets() },
      counting,
    );
    try {
      expect((await openAndExit(server.consoleUrl('db'), user('erin', 'dev,ops'))).code).toBe(1000);
      const res = await fetch(`${server.httpUrl}/api/targets`, { headers: user('frank').headers });
      expect(((await res.json()) as { id: string }[]).map((t) => t.id)).toEqual(['vm1', 'vm2']);
      await expectNothingOpened(async () => {
        const forbidden = await refusalOf(server.consoleUrl('db'), user('frank', 'dev'));
        expect([forbidden.status, forbidden.body.error.code]).toEqual([403, 'target_forbidden']);
        const nobody = await refusalOf(server.consoleUrl('vm1'), { origin: TEST_ORIGIN });
        expect([nobody.status, nobody.body.error.code]).toEqual([401, 'unauthorized']);
        expect(nobody.body.error.message).toMatch(/no x-forwarded-user header/);
      });
    } finally {
      await server.close();
    }
  });

  it('refuses the headers from an address that is not a trusted proxy with 401', async () => {
    const server = await startTestServer(
      sshd,
      {
        auth: { mode: 'proxy', trustedProxies: ['10.0.0.0/8'] },
        trustProxy: ['127.0.0.1'],
        targets: targets(),
      },
      counting,
    );
    try {
      await expectNothingOpened(async () => {
        const refusal = await refusalOf(server.consoleUrl('vm1'), {
          ...user('admin', 'ops'),
          headers: { ...user('admin', 'ops').headers, 'X-Forwarded-For': '10.0.0.1' },
        });
        expect([refusal.status, refusal.body.error.code]).toEqual([401, 'unauthorized']);
        const list = await fetch(`${server.httpUrl}/api/targets`, { headers: user('admin').headers });
        expect(list.status).toBe(401);
      });
    } finally {
      await server.close();
    }
  });
});
