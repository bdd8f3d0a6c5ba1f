import { describe, expect, it } from 'vitest';
import { createProxyAuthenticator } from './proxy-auth.js';
import { fakeRequest } from './testing/tickets.js';

const authenticate = createProxyAuthenticator({
  userHeader: 'x-forwarded-user',
  groupsHeader: 'x-forwarded-groups',
  trustedProxies: ['127.0.0.1/32', '10.0.0.0/8'],
});

describe('proxy identity', () => {
  it('takes the user and groups from a trusted proxy', async () => {
    const req = fakeRequest({
      peer: '::ffff:10.1.2.3',
      headers: { 'X-Forwarded-User': 'alice@example.com', 'X-Forwarded-Groups': 'ops, dev,,' },
    });
    expect(await authenticate(req)).toEqual({
      ok: true,
      principal: { id: 'alice@example.com', authenticated: true, groups: ['ops', 'dev'] },
    });
  });

  it('refuses the same headers from an address that is not a trusted proxy', async () => {
    const req = fakeRequest({
      peer: '192.168.1.9',
      headers: { 'X-Forwarded-User': 'admin', 'X-Forwarded-For': '10.0.0.1' },
    });
    expect(await authenticate(req)).toMatchObject({ ok: false, message: /trustedProxies/ });
  });

  it('refuses a request from the proxy that names no user', async () => {
    expect(await authenticate(fakeRequest({ peer: '127.0.0.1' }))).toMatchObject({
      ok: false,
      message: /no x-forwarded-user header/,
    });
    const blank = fakeRequest({ headers: { 'X-Forwarded-User': '  ' } });
    expect(await authenticate(blank)).toMatchObject({ ok: false });
  });

  it.each(['alice, bob', 'alice bob', 'a\u0007b', 'x'.repeat(300)])(
    'refuses the user name %j',
    async (user) => {
      expect(await authenticate(fakeRequest({ headers: { 'X-Forwarded-User': user } }))).toMatchObject({
        ok: false,
      });
    },
  );
});
