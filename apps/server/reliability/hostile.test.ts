// Hostile input: the server never crashes, never leaks, and answers as documented — and other sessions
// never notice.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsoleClient,
  TEST_ORIGIN,
  metricValue,
  refusalOf,
  startTestServer,
  type TestServer,
} from '../src/testing/harness.js';
import { percentile, record, size } from './support.js';

const FLOOD_CLIENT = fileURLToPath(new URL('./control-flood-client.mjs', import.meta.url));

let sshd: TestSshd;
let server: TestServer;
const TOKEN = 'reliability-token-0123456789';

beforeAll(async () => {
  sshd = await startSshd();
  server = await startTestServer(sshd, {
    auth: { mode: 'token', tokens: [TOKEN] },
    http: { headersTimeoutMs: 1000, requestTimeoutMs: 2000 },
    // The malformed-message case sends 10,000 at once; the rate limit has its own case below.
    console: { controlMessagesPerSecond: 100_000 },
  });
});
afterAll(async () => {
  await server?.close();
  await sshd?.stop();
});

const AUTH = { Authorization: `Bearer ${TOKEN}` };
const url = (query = '') => server.consoleUrl('vm1', query ? `?${query}` : '');
const open = (query = '') => ConsoleClient.open(url(query), { headers: AUTH });

function junk(i: number): string {
  const kinds = [
    () =>
      randomBytes(1 + (i % 64))
        .toString('latin1')
        .replace(/[\ud800-\udfff]/g, '?'),
    () => `{"type":"resize","cols":${'9'.repeat(4 + (i % 400))},"rows":24}`,
    () => `{"type":"resize","cols":"80","rows":[24]}`,
    () => `{"type":"ack","bytes":${-i}}`,
    () => `${'['.repeat(1 + (i % 4000))}`,
    () => `{"a":${'{"a":'.repeat(i % 300)}1${'}'.repeat(i % 300)}}`,
    () => `{"__proto__":{"type":"resize","cols":1,"rows":1},"constructor":{"prototype":{"polluted":1}}}`,
    () => `{"type":"resize","cols":NaN,"rows":Infinity}`,
    () => `{"type":null}`,
    () => `[{"type":"resize","cols":80,"rows":24}]`,
    () => `{"type":"resize","cols":80,"rows":24`,
    () => '',
  ];
  return (kinds[i % kinds.length] as () => string)();
}

describe('hostile input', () => {
  it('ignores and counts thousands of malformed control messages; the session still echoes', async () => {
    const count = size(10_000, 10_000);
    const client = open();
    await client.ready();
    const ignoredBefore = await totalIgnored();
    for (let i = 0; i < count; i++) client.ws.send(junk(i));
    await client.echoes('survived');
    const ignored = (await totalIgnored()) - ignoredBefore;
    record('malformed-control', {
      sent: count,
      ignored,
      polluted: ({} as Record<string, unknown>).polluted ?? null,
    });
    expect(ignored).toBe(count);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    client.ws.close();
  });

  it('closes with 1007 on invalid UTF-8, 1009 on a 2 MiB frame and on fragments summing past the limit', async () => {
    const bystander = open();
    await bystander.ready();
    const utf8 = open();
    await utf8.ready();
    utf8.ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false });
    expect((await utf8.closed).code).toBe(1007);

    const big = open();
    await big.ready();
    big.ws.send(Buffer.alloc(2 * 1024 * 1024), { binary: true });
    expect((await big.closed).code).toBe(1009);

    const fragmented = open();
    await fragmented.ready();
    const part = Buffer.alloc(400 * 1024, 0x61);
    for (let i = 0; i < 3; i++) fragmented.ws.send(part, { binary: true, fin: false });
    fragmented.ws.send(part, { binary: true, fin: true });
    expect((await fragmented.closed).code).toBe(1009);

    await bystander.echoes('bystander');
    bystander.ws.close();
  });

  it('refuses bad upgrade requests with the documented HTTP error and never upgrades', async () => {
    while (server.relay.sessions.size > 0) await new Promise((r) => setTimeout(r, 20));
    const sessionsBefore = 0;
    const base = `ws://127.0.0.1:${server.port}`;
    const cases: [string, string, Record<string, unknown>, number, string][] = [
      ['bad origin', url(), { origin: 'http://evil.example', headers: AUTH }, 403, 'origin_not_allowed'],
      ['no origin', url(), { headers: AUTH }, 403, 'origin_not_allowed'],
      [
        'wrong token',
        url(),
        { origin: TEST_ORIGIN, headers: { Authorization: 'Bearer nope' } },
        401,
        'unauthorized',
      ],
      [
        'token in the URL',
        server.consoleUrl('vm1', `?token=${TOKEN}`),
        { origin: TEST_ORIGIN },
        401,
        'unauthorized',
      ],
      [
        'token in a header nobody reads',
        server.consoleUrl('vm1'),
        { origin: TEST_ORIGIN, headers: { 'X-Token': TOKEN } },
        401,
        'unauthorized',
      ],
      [
        'unknown target',
        `${base}/api/targets/ghost/console`,
        { origin: TEST_ORIGIN, headers: AUTH },
        404,
        'target_not_found',
      ],
      [
        'path traversal',
        `${base}/api/targets/..%2F..%2Fetc%2Fpasswd/console`,
        { origin: TEST_ORIGIN, headers: AUTH },
        404,
        'target_not_found',
      ],
      ['absurd cols', url('cols=1e9&rows=-4'), { origin: TEST_ORIGIN, headers: AUTH }, 400, 'bad_request'],
      [
        'very long URL',
        url(`pad=${'x'.repeat(8000)}`),
        { origin: TEST_ORIGIN, headers: AUTH },
        414,
        'bad_request',
      ],
      [
        'a rebinding Host',
        url(),
        { origin: TEST_ORIGIN, headers: { ...AUTH, Host: 'rebind.attacker.example' } },
        421,
        'host_not_allowed',
      ],
    ];
    for (const [name, target, options, status, code] of cases) {
      const refusal = await refusalOf(target, options);
      expect({ name, status: refusal.status, code: refusal.body.error.code }).toEqual({ name, status, code });
    }
    record('upgrade-refusals', { cases: cases.length });
    expect(server.relay.sessions.size).toBe(sessionsBefore);
  });

  it('drops random bytes sent instead of an HTTP request, and a half-sent handshake after the header timeout', async () => {
    const bystander = open();
    await bystander.ready();
    const garbage = await new Promise<string>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () => socket.write(randomBytes(4096)));
      let answer = '';
      socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
      socket.on('error', () => {});
      socket.on('close', () => resolve(answer));
    });
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);

    const started = Date.now();
    const slowlorisMs = await new Promise<number>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () =>
        socket.write(`GET /api/targets/vm1/console HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n`),
      );
      socket.on('error', () => {});
      socket.on('close', () => resolve(Date.now() - started));
    });
    record('slowloris', { droppedAfterMs: slowlorisMs, headersTimeoutMs: 1000 });
    expect(slowlorisMs).toBeGreaterThanOrEqual(900);
    expect(slowlorisMs).toBeLessThan(1000 + 1000);
    await bystander.echoes('bystander');
    bystander.ws.close();
  });
});

describe('control-frame floods (security review)', () => {
  it('keeps a typing session responsive while one client sends 1 MiB text frames and another floods small ones', async () => {
    const flooding = await startTestServer(sshd, {
      auth: { mode: 'token', tokens: [TOKEN] },
      console: { maxInputFrameBytes: 2 * 1024 * 1024 },
    });
    try {
      const typist = ConsoleClient.open(flooding.consoleUrl(), { headers: AUTH });
      await typist.ready();
      typist.type('cat\n');
      await new Promise((r) => setTimeout(r, 300));
      const durationMs = size(4000, 15_000);
      // The attackers run as their own processes: their loops must not share the measured event loop.
      const attack = (kind: string) =>
        new Promise<Record<string, number>>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [FLOOD_CLIENT, flooding.consoleUrl(), TEST_ORIGIN, TOKEN, kind, String(durationMs)],
            { stdio: ['ignore', 'pipe', 'inherit'] },
          );
          let out = '';
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.on('exit', () => {
            try {
              resolve(JSON.parse(out) as Record<string, number>);
            } catch (error) {
              reject(error instanceof Error ? error : new Error(String(error)));
            }
          });
        });
      const loop = monitorEventLoopDelay({ resolution: 5 });
      loop.enable();
      const attacks = Promise.all([attack('big'), attack('small')]);
      const latencies: number[] = [];
      const until = Date.now() + durationMs;
      for (let i = 0; Date.now() < until; i++) {
        const from = typist.output.length;
        const sent = performance.now();
        typist.type(`k${i}\r`);
        await typist.waitFor(new RegExp(`k${i}`), 10_000, from);
        latencies.push(performance.now() - sent);
        await new Promise((r) => setTimeout(r, 20));
      }
      const [big, small] = await attacks;
      loop.disable();
      const loopP99Ms = loop.percentile(99) / 1e6;
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      record('control-flood', {
        keystrokes: latencies.length,
        echoP50Ms: Number(p50.toFixed(1)),
        echoP99Ms: Number(p99.toFixed(1)),
        eventLoopDelayP99Ms: Number(loopP99Ms.toFixed(1)),
        eventLoopDelayMaxMs: Number((loop.max / 1e6).toFixed(1)),
        bigFrameCloses: big,
        smallFloodCloses: small,
      });
      expect(Object.keys(big)).toEqual(['1009']);
      expect(Object.keys(small)).toEqual(['1008']);
      expect(p99).toBeLessThan(50);
      typist.ws.close();
    } finally {
      await flooding.close();
    }
  }, 120_000);
});

async function totalIgnored(): Promise<number> {
  let sum = 0;
  for (const reason of ['malformed', 'not-an-object', 'out-of-range', 'unknown-type', 'ack-without-flow']) {
    sum += await metricValue(server, 'termrelay_control_messages_ignored_total', `reason="${reason}"`);
  }
  return sum;
}
