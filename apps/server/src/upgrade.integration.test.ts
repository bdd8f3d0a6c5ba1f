import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsoleClient,
  TEST_ORIGIN,
  metricValue,
  refusalOf,
  startTestServer,
  targetConfig,
  type TestServer,
} from './testing/harness.js';

let sshd: TestSshd;
let open: TestServer;
let tokenServer: TestServer;
const TOKEN = 'correct-horse-battery-staple';

beforeAll(async () => {
  sshd = await startSshd();
  open = await startTestServer(sshd, {
    targets: [targetConfig(sshd), { ...targetConfig(sshd, 'other'), label: 'Other' }],
  });
  tokenServer = await startTestServer(sshd, { auth: { mode: 'token', tokens: [TOKEN] } });
});
afterAll(async () => {
  await open?.close();
  await tokenServer?.close();
  await sshd?.stop();
});

describe('refusals before the handshake', () => {
  it.each([
    ['no Origin', {}, 403, 'origin_not_allowed'],
    ['a foreign Origin', { origin: 'http://evil.example' }, 403, 'origin_not_allowed'],
    ['a lookalike Origin', { origin: `${TEST_ORIGIN}.evil.example` }, 403, 'origin_not_allowed'],
  ])('refuses %s with %i %s', async (_name, options, status, code) => {
    const refusal = await refusalOf(open.consoleUrl(), options);
    expect(refusal.status).toBe(status);
    expect(refusal.contentType).toBe('application/json');
    expect(refusal.body.error.code).toBe(code);
    expect(refusal.body.error.message).toEqual(expect.any(String));
  });

  it.each([
    ['an unknown target', '/api/targets/nope/console', 404, 'target_not_found'],
    ['a path traversal in the target id', '/api/targets/..%2F..%2Fetc/console', 404, 'target_not_found'],
    ['an undecodable target id', '/api/targets/%E0%A4%A/console', 404, 'target_not_found'],
    ['cols 0', '/api/targets/vm1/console?cols=0&rows=24', 400, 'bad_request'],
    ['rows 1001', '/api/targets/vm1/console?cols=80&rows=1001', 400, 'bad_request'],
    ['cols as text', '/api/targets/vm1/console?cols=abc', 400, 'bad_request'],
    ['absurd cols', '/api/targets/vm1/console?cols=99999999999999999999', 400, 'bad_request'],
    ['an unknown flow mode', '/api/targets/vm1/console?flow=turbo', 400, 'bad_request'],
    ['another path', '/api/elsewhere', 404, 'not_found'],
    ['a very long URL', `/api/targets/vm1/console?x=${'a'.repeat(5000)}`, 414, 'bad_request'],
  ])('refuses %s', async (_name, path, status, code) => {
    const refusal = await refusalOf(`ws://127.0.0.1:${open.port}${path}`, { origin: TEST_ORIGIN });
    expect(refusal.status).toBe(status);
    expect(refusal.body.error.code).toBe(code);
  });

  it('counts refusals in metrics', async () => {
    await refusalOf(open.consoleUrl('missing'), { origin: TEST_ORIGIN });
    expect(
      await metricValue(open, 'termrelay_upgrades_refused_total', 'code="target_not_found"'),
    ).toBeGreaterThan(0);
  });
});

describe('token auth', () => {
  it('refuses a missing or wrong token with 401', async () => {
    expect((await refusalOf(tokenServer.consoleUrl(), { origin: TEST_ORIGIN })).status).toBe(401);
    const wrong = await refusalOf(tokenServer.consoleUrl('vm1', '?token=nope'), { origin: TEST_ORIGIN });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    const elsewhere = await refusalOf(tokenServer.consoleUrl(), {
      origin: TEST_ORIGIN,
      headers: { 'X-Token': TOKEN },
    });
    expect(elsewhere.status).toBe(401);
  });

  it('checks the Origin before the token, so a bad origin learns nothing about auth', async () => {
    expect((await refusalOf(tokenServer.consoleUrl(), { origin: 'http://evil.example' })).status).toBe(403);
  });

  it.each([
    ['a Bearer header', '', { Authorization: `Bearer ${TOKEN}` }],
    ['a cookie', '', { Cookie: `theme=dark; termrelay_token=${TOKEN}` }],
  ])('accepts the token in %s', async (_name, query, headers) => {
    const client = ConsoleClient.open(tokenServer.consoleUrl('vm1', query), { headers });
    await client.ready();
    client.ws.close();
  });

  it('no longer reads a static token from the console URL, where access logs would keep it', async () => {
    const refusal = await refusalOf(tokenServer.consoleUrl('vm1', `?token=${TOKEN}`), {
      origin: TEST_ORIGIN,
    });
    expect(refusal.status).toBe(401);
  });

  it('guards GET /api/targets with the token too', async () => {
    expect((await fetch(`${tokenServer.httpUrl}/api/targets`)).status).toBe(401);
    const ok = await fetch(`${tokenServer.httpUrl}/api/targets`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.status).toBe(200);
  });
});

describe('HTTP endpoints', () => {
  it('lists targets as id and label only', async () => {
    const res = await fetch(`${open.httpUrl}/api/targets`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as unknown[];
    expect(body).toEqual([
      { id: 'vm1', label: 'Test VM vm1' },
      { id: 'other', label: 'Other' },
    ]);
    const text = JSON.stringify(body);
    expect(text).not.toContain(sshd.clientPrivateKeyPath);
    expect(text).not.toContain('SHA256');
    expect(text).not.toContain(String(sshd.port));
  });

  it('answers the console URL over plain HTTP with the refusal a browser cannot read from the upgrade', async () => {
    const foreign = await fetch(`${open.httpUrl}/api/targets/vm1/console`, {
      headers: { Origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { code: string } }).error.code).toBe('origin_not_allowed');
    const missing = await fetch(`${open.httpUrl}/api/targets/none/console`, {
      headers: { Origin: TEST_ORIGIN },
    });
    expect(missing.status).toBe(404);
    const fine = await fetch(`${open.httpUrl}/api/targets/vm1/console`, { headers: { Origin: TEST_ORIGIN } });
    expect(fine.status).toBe(426);
  });

  it('serves /healthz and Prometheus /metrics', async () => {
    const health = await fetch(`${open.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (
      await fetch(`${open.httpUrl}/metrics`, { headers: { Origin: TEST_ORIGIN } })
    ).text();
    for (const name of [
      'termrelay_sessions_open',
      'termrelay_sessions_ended_total',
      'termrelay_bytes_in_total',
      'termrelay_bytes_out_total',
      'termrelay_frames_out_total',
      'termrelay_flush_bytes',
      'termrelay_backpressure_pauses_total',
    ]) {
      expect(metrics).toContain(name);
    }
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const res = await fetch(`${open.httpUrl}/api/nothing`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
  });
});
