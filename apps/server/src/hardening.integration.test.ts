// Regression tests for the security review: each case failed on the server before its fix.
import { request } from 'node:http';
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
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
let server: TestServer;
const TOKEN = 'correct-horse-battery-staple';
const auth = { Authorization: `Bearer ${TOKEN}` };

beforeAll(async () => {
  sshd = await startSshd();
  server = await startTestServer(sshd, {
    auth: { mode: 'token', tokens: [TOKEN] },
    console: { maxSessionsPerClient: 2, controlMessagesPerSecond: 50 },
  });
});
afterAll(async () => {
  await server?.close();
  await sshd?.stop();
});

/** A GET with an arbitrary Host header (fetch does not let us set one). */
function getWithHost(port: number, path: string, host: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics', () => {
  it('are not served without the API token (byte counters leak keystroke timing)', async () => {
    expect((await fetch(`${server.httpUrl}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${server.httpUrl}/metrics`, { headers: auth });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('termrelay_bytes_in_total');
  });

  it('can live on a listener of their own, and then never on the public port', async () => {
    const separate = await startTestServer(sshd, { metrics: { listen: { host: '127.0.0.1', port: 0 } } });
    try {
      expect((await fetch(`${separate.httpUrl}/metrics`)).status).toBe(404);
      const metricsServer = separate.relay.metricsServer;
      expect(metricsServer).toBeDefined();
      await new Promise<void>((resolve) => metricsServer?.listen(0, '127.0.0.1', resolve));
      const address = metricsServer?.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
    } finally {
      await separate.close();
    }
  });
});

describe('the Host header (DNS rebinding)', () => {
  it.each(['/metrics', '/api/targets', '/'])('refuses %s for a foreign Host with 421', async (path) => {
    const res = await getWithHost(server.port, path, 'rebind.attacker.example', auth);
    expect(res.status).toBe(421);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'host_not_allowed' } });
  });

  it('refuses a console upgrade for a foreign Host', async () => {
    const refusal = await refusalOf(server.consoleUrl(), {
      origin: TEST_ORIGIN,
      headers: { ...auth, Host: 'rebind.attacker.example' },
    });
    expect(refusal.status).toBe(421);
  });

  it('serves the hosts of publicOrigins and the listen address, and /healthz to any balancer', async () => {
    expect((await getWithHost(server.port, '/api/targets', 'termrelay.test', auth)).status).toBe(200);
    expect((await getWithHost(server.port, '/api/targets', `127.0.0.1:${server.port}`, auth)).status).toBe(
      200,
    );
    const health = await getWithHost(server.port, '/healthz', '10.1.2.3:8080');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: 'ok', sessions: 0 });
  });
});

describe('control frames', () => {
  it('closes a console with 1009 at once for a 64 KiB text frame, and another session never notices', async () => {
    const bystander = ConsoleClient.open(server.consoleUrl(), { headers: auth });
    const hostile = ConsoleClient.open(server.consoleUrl(), { headers: auth });
    await Promise.all([bystander.ready(), hostile.ready()]);
    hostile.ws.send('['.repeat(64 * 1024));
    const closed = await hostile.closed;
    expect(closed.code).toBe(1009);
    bystander.type('echo still-$((40+2))\n');
    await bystander.waitFor(/still-42/);
    bystander.ws.close();
  });

  it('ignores control messages beyond the rate and closes a sustained flood with 1008', async () => {
    const client = ConsoleClient.open(server.consoleUrl(), { headers: auth });
    await client.ready();
    const before = await metricValue(
      server,
      'termrelay_control_messages_ignored_total',
      'reason="rate-limited"',
    );
    for (let i = 0; i < 500; i++) client.control({ type: 'resize', cols: 80 + (i % 10), rows: 24 });
    const closed = await client.closed;
    expect(closed.code).toBe(1008);
    const after = await metricValue(
      server,
      'termrelay_control_messages_ignored_total',
      'reason="rate-limited"',
    );
    expect(after - before).toBeGreaterThan(40);
  });

  it('coalesces a burst of resizes into a few window-changes, the latest size winning', async () => {
    const client = ConsoleClient.open(server.consoleUrl(), { headers: auth });
    await client.ready();
    // Count the SIGWINCHs the shell's foreground program receives.
    client.type(
      `python3 -c 'import signal,sys,time
n=[0]
signal.signal(signal.SIGWINCH, lambda *a: n.__setitem__(0, n[0]+1))
print("ARMED", flush=True)
sys.stdin.readline()
print("WINCH", n[0], flush=True)'\n`,
    );
    await client.waitFor(/^ARMED/m);
    for (let i = 0; i < 40; i++) client.control({ type: 'resize', cols: 100 + i, rows: 30 });
    await new Promise((r) => setTimeout(r, 300));
    client.type('\n');
    const match = await client.waitFor(/WINCH (\d+)/);
    expect(Number(match?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(match?.[1])).toBeLessThanOrEqual(3);
    client.type('stty size\n');
    await client.waitFor(/30 139/);
    client.ws.close();
  });
});

describe('close reasons', () => {
  it.each([
    ['a closed port', { port: 1 }, 4010],
    ['a user the target refuses', { username: 'no-such-user-here' }, 4011],
    ['a key file that is gone', { privateKeyPath: '/etc/termrelay/secret/id_prod_ed25519' }, 4014],
  ])('say nothing of hosts, users, paths or errnos for %s', async (_name, override, code) => {
    const broken = await startTestServer(sshd, { targets: [{ ...targetConfig(sshd), ...override }] });
    try {
      const client = ConsoleClient.open(broken.consoleUrl());
      const closed = await client.closed;
      expect(closed.code).toBe(code);
      expect(closed.reason).not.toMatch(/127\.0\.0\.1|:\d+|no-such-user|\/etc|ENOENT|ECONNREFUSED/);
      expect(closed.reason.length).toBeGreaterThan(5);
    } finally {
      await broken.close();
    }
  });
});

describe('per-client limits', () => {
  it('refuses a client beyond maxSessionsPerClient with 429 and lets it open again after one ends', async () => {
    const first = ConsoleClient.open(server.consoleUrl(), { headers: auth });
    const second = ConsoleClient.open(server.consoleUrl(), { headers: auth });
    await Promise.all([first.ready(), second.ready()]);
    const third = await refusalOf(server.consoleUrl(), { origin: TEST_ORIGIN, headers: auth });
    expect(third.status).toBe(429);
    expect(third.body.error.code).toBe('too_many_sessions');
    first.ws.close();
    await first.closed;
    await new Promise((r) => setTimeout(r, 100));
    const again = ConsoleClient.open(server.consoleUrl(), { headers: auth });
    await again.ready();
    again.ws.close();
    second.ws.close();
  });
});

describe('tokens out of URLs', () => {
  it('exchanges a token for an HttpOnly SameSite=Strict cookie that opens consoles', async () => {
    const res = await fetch(`${server.httpUrl}/api/session`, {
      method: 'POST',
      headers: { ...auth, Origin: TEST_ORIGIN },
    });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^termrelay_token=[^;]+; Path=\/api; HttpOnly; SameSite=Strict$/);
    const client = ConsoleClient.open(server.consoleUrl(), {
      headers: { Cookie: cookie.split(';')[0] ?? '' },
    });
    await client.ready();
    client.ws.close();
  });

  it('refuses the exchange from a foreign origin or with a wrong token', async () => {
    const foreign = await fetch(`${server.httpUrl}/api/session`, {
      method: 'POST',
      headers: { ...auth, Origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
    const wrong = await fetch(`${server.httpUrl}/api/session`, {
      method: 'POST',
      headers: { Authorization: 'Bearer nope', Origin: TEST_ORIGIN },
    });
    expect(wrong.status).toBe(401);
  });
});

describe('headers', () => {
  it('lock the page down', async () => {
    const res = await fetch(`${server.httpUrl}/`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/ws:|wss:/);
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('strict-transport-security')).toBeNull();
    // Only the recordings page may compile WebAssembly (its player needs it), and nothing may eval.
    expect(csp).not.toContain('script-src');
    const player = await fetch(`${server.httpUrl}/recordings`);
    const playerCsp = player.headers.get('content-security-policy') ?? '';
    expect(playerCsp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(playerCsp).not.toMatch(/'unsafe-eval'|blob:|worker-src/);
  });

  it('add HSTS when a trusted proxy says the request came over https', async () => {
    const proxied = await startTestServer(sshd, { trustProxy: ['127.0.0.1/32'] });
    try {
      const res = await getWithHost(proxied.port, '/healthz', `127.0.0.1:${proxied.port}`, {
        'X-Forwarded-Proto': 'https',
      });
      expect(res.status).toBe(200);
      const direct = await fetch(`${proxied.httpUrl}/healthz`, { headers: { 'X-Forwarded-Proto': 'https' } });
      expect(direct.headers.get('strict-transport-security')).toMatch(/max-age=/);
    } finally {
      await proxied.close();
    }
  });
});

describe('origins and tokens in the config', () => {
  const base = {
    targets: [
      {
        id: 'a',
        label: 'A',
        host: 'h',
        username: 'u',
        password: 'p',
        hostKeyFingerprints: ['SHA256:' + 'A'.repeat(43)],
      },
    ],
  };
  it.each([
    ['https://ex.com/', 'https://ex.com'],
    ['HTTPS://EX.COM', 'https://ex.com'],
    ['https://ex.com:443', 'https://ex.com'],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
  ])('normalises %s to %s', (given, stored) => {
    expect(parseConfig({ ...base, publicOrigins: [given] }).publicOrigins).toEqual([stored]);
  });

  it.each(['https://*.ex.com', 'javascript:alert(1)', 'https://ex.com/console', 'ftp://ex.com', 'ex.com'])(
    'refuses %s at start-up, naming the key',
    (given) => {
      expect(() => parseConfig({ ...base, publicOrigins: [given] })).toThrow(/publicOrigins\.0/);
    },
  );

  it('refuses tokens with whitespace', () => {
    expect(() =>
      parseConfig({ ...base, auth: { mode: 'token', tokens: [' a-token-with-space-0123 '] } }),
    ).toThrow(/auth\.tokens\.0: tokens must not contain whitespace/);
  });
});
