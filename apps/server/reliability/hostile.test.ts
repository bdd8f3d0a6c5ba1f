// Hostile input: the server never crashes, never leaks, and answers as documented — and other sessions
// never notice.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
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
import { record, size } from './support.js';

let sshd: TestSshd;
let server: TestServer;
const TOKEN = 'reliability-token-0123456789';

beforeAll(async () => {
  sshd = await startSshd();
  server = await startTestServer(sshd, {
    auth: { mode: 'token', tokens: [TOKEN] },
    http: { headersTimeoutMs: 1000, requestTimeoutMs: 2000 },
  });
});
afterAll(async () => {
  await server?.close();
  await sshd?.stop();
});

const url = (query = '') => server.consoleUrl('vm1', `?token=${TOKEN}${query ? `&${query}` : ''}`);

async function echoes(client: ConsoleClient, tag: string): Promise<void> {
  const from = client.output.length;
  client.type(`echo ${tag}-$((40+2))\n`);
  await client.waitFor(new RegExp(`${tag}-42`), 10_000, from);
}

function junk(i: number): string {
  const kinds = [
    () =>
      randomBytes(1 + (i % 64))
        .toString('latin1')
        .replace(/[\ud800-\udfff]/g, '?'),
    () => `{"type":"resize","cols":${'9'.repeat(4 + (i % 400))},"rows":24}`,
    () => `{"type":"resize","cols":"80","rows":[24]}`,
    () => `{"type":"ack","bytes":${-i}}`,
    () => `${'['.repeat(1 + (i % 5000))}`,
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
    const client = ConsoleClient.open(url());
    await client.ready();
    const ignoredBefore = await totalIgnored();
    for (let i = 0; i < count; i++) client.ws.send(junk(i));
    await echoes(client, 'survived');
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
    const bystander = ConsoleClient.open(url());
    await bystander.ready();
    const utf8 = ConsoleClient.open(url());
    await utf8.ready();
    utf8.ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false });
    expect((await utf8.closed).code).toBe(1007);

    const big = ConsoleClient.open(url());
    await big.ready();
    big.ws.send(Buffer.alloc(2 * 1024 * 1024), { binary: true });
    expect((await big.closed).code).toBe(1009);

    const fragmented = ConsoleClient.open(url());
    await fragmented.ready();
    const part = Buffer.alloc(400 * 1024, 0x61);
    for (let i = 0; i < 3; i++) fragmented.ws.send(part, { binary: true, fin: false });
    fragmented.ws.send(part, { binary: true, fin: true });
    expect((await fragmented.closed).code).toBe(1009);

    await echoes(bystander, 'bystander');
    bystander.ws.close();
  });

  it('refuses bad upgrade requests with the documented HTTP error and never upgrades', async () => {
    while (server.relay.sessions.size > 0) await new Promise((r) => setTimeout(r, 20));
    const sessionsBefore = 0;
    const base = `ws://127.0.0.1:${server.port}`;
    const cases: [string, string, Record<string, unknown>, number, string][] = [
      ['bad origin', url(), { origin: 'http://evil.example' }, 403, 'origin_not_allowed'],
      ['no origin', url(), {}, 403, 'origin_not_allowed'],
      ['wrong token', server.consoleUrl('vm1', '?token=nope'), { origin: TEST_ORIGIN }, 401, 'unauthorized'],
      [
        'token in a header nobody reads',
        server.consoleUrl('vm1'),
        { origin: TEST_ORIGIN, headers: { 'X-Token': TOKEN } },
        401,
        'unauthorized',
      ],
      [
        'unknown target',
        `${base}/api/targets/ghost/console?token=${TOKEN}`,
        { origin: TEST_ORIGIN },
        404,
        'target_not_found',
      ],
      [
        'path traversal',
        `${base}/api/targets/..%2F..%2Fetc%2Fpasswd/console?token=${TOKEN}`,
        { origin: TEST_ORIGIN },
        404,
        'target_not_found',
      ],
      ['absurd cols', url('cols=1e9&rows=-4'), { origin: TEST_ORIGIN }, 400, 'bad_request'],
      ['very long URL', url(`pad=${'x'.repeat(8000)}`), { origin: TEST_ORIGIN }, 414, 'bad_request'],
    ];
    for (const [name, target, options, status, code] of cases) {
      const refusal = await refusalOf(target, options);
      expect({ name, status: refusal.status, code: refusal.body.error.code }).toEqual({ name, status, code });
    }
    record('upgrade-refusals', { cases: cases.length });
    expect(server.relay.sessions.size).toBe(sessionsBefore);
  });

  it('drops random bytes sent instead of an HTTP request, and a half-sent handshake after the header timeout', async () => {
    const bystander = ConsoleClient.open(url());
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
        socket.write(
          `GET /api/targets/vm1/console?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n`,
        ),
      );
      socket.on('error', () => {});
      socket.on('close', () => resolve(Date.now() - started));
    });
    record('slowloris', { droppedAfterMs: slowlorisMs, headersTimeoutMs: 1000 });
    expect(slowlorisMs).toBeGreaterThanOrEqual(900);
    expect(slowlorisMs).toBeLessThan(1000 + 1000);
    await echoes(bystander, 'bystander');
    bystander.ws.close();
  });
});

async function totalIgnored(): Promise<number> {
  let sum = 0;
  for (const reason of ['malformed', 'not-an-object', 'out-of-range', 'unknown-type', 'ack-without-flow']) {
    sum += await metricValue(server, 'termrelay_control_messages_ignored_total', `reason="${reason}"`);
  }
  return sum;
}
