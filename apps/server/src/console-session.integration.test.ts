import { freePort, startSshd, type TestSshd } from '@termrelay/test-sshd';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsoleClient,
  metricValue,
  startTestServer,
  targetConfig,
  type TestServer,
} from './testing/harness.js';

let sshd: TestSshd;
const servers: TestServer[] = [];
const clients: ConsoleClient[] = [];

beforeAll(async () => {
  sshd = await startSshd();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.ws.terminate();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await sshd?.stop();
});

async function server(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const s = await startTestServer(sshd, overrides);
  servers.push(s);
  return s;
}

function connect(s: TestServer, query = '', target = 'vm1', options = {}): ConsoleClient {
  const client = ConsoleClient.open(s.consoleUrl(target, query), options);
  clients.push(client);
  return client;
}

let plain: TestServer;
beforeAll(async () => {
  plain = await server();
});

describe('a console session', () => {
  it('sends ready, relays input and output, then the exit message and 1000', async () => {
    const client = connect(plain);
    await client.ready();
    client.type('echo $((6*7))z\n');
    await client.waitFor(/42z/);
    client.type('exit 3\n');
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    expect(closed.reason).toMatch(/code 3/);
    expect(client.controls).toHaveLength(2);
    expect(client.controls[0]).toMatchObject({ type: 'ready' });
    expect(client.controls[0]?.session).toMatch(/^[\w-]+\.[\w-]{16,}$/);
    expect(client.controls[1]).toEqual({ type: 'exit', code: 3, signal: null });
  });

  it('opens the PTY at the URL size and applies resize messages', async () => {
    const client = connect(plain, '?cols=132&rows=43');
    await client.ready();
    client.type('stty size\n');
    await client.waitFor(/43 132/);
    client.control({ type: 'resize', cols: 90, rows: 20 });
    await new Promise((r) => setTimeout(r, 100));
    const from = client.output.length;
    client.type('stty size\n');
    await client.waitFor(/20 90/, 10_000, from);
  });

  it('ignores and counts malformed control messages, and keeps echoing', async () => {
    const client = connect(plain);
    await client.ready();
    const before = await metricValue(plain, 'termrelay_control_messages_ignored_total', 'reason="malformed"');
    for (const junk of [
      '{',
      '[]',
      '{"type":"resize","cols":-1,"rows":5}',
      '{"__proto__":{"x":1}}',
      '{"type":"exec"}',
    ]) {
      client.ws.send(junk);
    }
    client.type('echo still-$((1+1))\n');
    await client.waitFor(/still-2/);
    expect(await metricValue(plain, 'termrelay_control_messages_ignored_total', 'reason="malformed"')).toBe(
      before + 1,
    );
  });

  it('closes with 1007 on invalid UTF-8 in a text frame', async () => {
    const client = connect(plain);
    await client.ready();
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await client.closed).code).toBe(1007);
  });

  it('closes with 1009 on an input frame over maxInputFrameBytes', async () => {
    const client = connect(plain);
    await client.ready();
    client.ws.send(Buffer.alloc(2 * 1024 * 1024, 0x61), { binary: true });
    expect((await client.closed).code).toBe(1009);
  });

  it('delivers an input message just under maxInputFrameBytes intact', async () => {
    const client = connect(plain);
    await client.ready();
    // Raw mode: the line discipline would cap a canonical line at 4096 bytes.
    client.type('stty raw -echo; head -c 1000000 | md5sum; stty sane\n');
    await new Promise((r) => setTimeout(r, 300));
    const payload = Buffer.alloc(1_000_000);
    for (let i = 0; i < payload.length; i++) payload[i] = 0x20 + (i % 90);
    client.ws.send(payload, { binary: true });
    const { createHash } = await import('node:crypto');
    const expected = createHash('md5').update(payload).digest('hex');
    await client.waitFor(new RegExp(expected), 15_000);
  });
});

describe('close codes for each end cause', () => {
  it('4001 when idle past idleTimeoutMs', async () => {
    const s = await server({ console: { idleTimeoutMs: 400 } });
    const client = connect(s);
    await client.ready();
    const closed = await client.closed;
    expect(closed).toEqual({ code: 4001, reason: 'The session was idle for 1 second' });
  });

  it('4002 at maxLifetimeMs even while busy', async () => {
    const s = await server({ console: { maxLifetimeMs: 600 } });
    const client = connect(s);
    await client.ready();
    const busy = setInterval(() => client.type('\n'), 50);
    const closed = await client.closed;
    clearInterval(busy);
    expect(closed.code).toBe(4002);
  });

  it('4003 when the sshd serving the session freezes', async () => {
    const s = await server({ console: { livenessIntervalMs: 200, probeTimeoutMs: 300 } });
    const client = connect(s);
    await client.ready();
    const pid = await client.shellParent();
    process.kill(pid, 'SIGSTOP');
    try {
      const started = Date.now();
      expect((await client.closed).code).toBe(4003);
      expect(Date.now() - started).toBeLessThan(200 + 300 + 1000);
    } finally {
      process.kill(pid, 'SIGKILL');
      process.kill(pid, 'SIGCONT');
    }
  });

  it('4004 when the client stops answering pings', async () => {
    const s = await server({ console: { livenessIntervalMs: 200 } });
    const client = connect(s, '', 'vm1', { autoPong: false });
    await client.ready();
    expect((await client.closed).code).toBe(4004);
  });

  it('4005 when the client does not read output within writeTimeoutMs (resume off: the session ends)', async () => {
    const s = await server({ console: { writeTimeoutMs: 500, idleTimeoutMs: 0, resumeGraceMs: 0 } });
    const client = connect(s);
    await client.ready();
    const socket = (client.ws as unknown as { _socket: Socket })._socket;
    client.type('cat /dev/zero\n');
    socket.pause();
    // The kernel buffers fill, then a frame waits writeTimeoutMs: the server gives up on this client.
    const started = Date.now();
    while ((await metricValue(s, 'termrelay_sessions_ended_total', 'cause="client-too-slow"')) === 0) {
      expect(Date.now() - started).toBeLessThan(15_000);
      await new Promise((r) => setTimeout(r, 50));
    }
    // A client that reads again within the close grace still learns why.
    socket.resume();
    expect((await client.closed).code).toBe(4005);
  });

  it('4010 when the target port is closed', async () => {
    const port = await freePort();
    const s = await server({ targets: [{ ...targetConfig(sshd), port }] });
    const closed = await connect(s).closed;
    expect(closed.code).toBe(4010);
  });

  it('4011 when the target refuses the login', async () => {
    const s = await server({ targets: [{ ...targetConfig(sshd), username: 'nobody-here' }] });
    expect((await connect(s).closed).code).toBe(4011);
  });

  it('4012 when the host key does not match', async () => {
    const s = await server({
      targets: [{ ...targetConfig(sshd), hostKeyFingerprints: ['SHA256:' + 'B'.repeat(43)] }],
    });
    const client = connect(s);
    const closed = await client.closed;
    expect(closed.code).toBe(4012);
    expect(client.controls).toEqual([]);
    expect(client.receivedBytes).toBe(0);
  });

  it('4013 when the sshd session process dies', async () => {
    const client = connect(plain);
    await client.ready();
    const pid = await client.shellParent();
    process.kill(pid, 'SIGKILL');
    expect((await client.closed).code).toBe(4013);
  });

  it('1001 for every console when the server shuts down', async () => {
    const s = await startTestServer(sshd);
    const consoles = [connect(s), connect(s), connect(s)];
    await Promise.all(consoles.map((c) => c.ready()));
    await s.close();
    const codes = await Promise.all(consoles.map(async (c) => (await c.closed).code));
    expect(codes).toEqual([1001, 1001, 1001]);
  });
});

describe('output batching and backpressure', () => {
  it('coalesces a flood into large frames', async () => {
    const client = connect(plain);
    await client.ready();
    client.type('stty -echo; seq 1 300000; echo DO""NE\n');
    await client.waitFor(/DONE/, 20_000);
    const average = client.receivedBytes / client.binaryFrames;
    expect(average).toBeGreaterThan(8 * 1024);
  });

  it('sends a lone keystroke echo at once, without waiting for the flush window', async () => {
    const s = await server({ console: { flushIntervalMs: 5000 } });
    const client = connect(s);
    await client.ready();
    await new Promise((r) => setTimeout(r, 5500));
    // Twice in a row: the second echo falls inside the window the first one opened.
    for (const key of ['x', 'y']) {
      const from = client.output.length;
      const started = performance.now();
      client.type(key);
      await client.waitFor(new RegExp(key), 10_000, from);
      expect(performance.now() - started).toBeLessThan(1500);
    }
  });

  it('stops reading from the target while the client does not read, and loses nothing', async () => {
    const s = await server({ console: { idleTimeoutMs: 0, writeTimeoutMs: 60_000 } });
    const client = connect(s);
    await client.ready();
    client.type('stty -echo\n');
    await new Promise((r) => setTimeout(r, 300));
    const socket = (client.ws as unknown as { _socket: Socket })._socket;
    const lines = 1_500_000; // about 11.9 MB
    socket.pause();
    client.type(`echo BE''GIN; seq 1 ${lines}; echo E''ND\n`);
    await new Promise((r) => setTimeout(r, 2000));
    const stalled = await metricValue(s, 'termrelay_bytes_out_total');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await metricValue(s, 'termrelay_bytes_out_total')).toBe(stalled);
    // Bounded by the output cap, the SSH window and the kernel's socket buffers: far below the payload.
    expect(stalled).toBeLessThan(10 * 1024 * 1024);
    expect(await metricValue(s, 'termrelay_backpressure_pauses_total')).toBeGreaterThan(0);
    socket.resume();
    await client.waitFor(/END/, 30_000);
    const body = /BEGIN\r\n([\s\S]*?)END/.exec(client.output)?.[1] ?? '';
    let expected = '';
    for (let i = 1; i <= lines; i++) expected += `${i}\r\n`;
    expect(body.length).toBe(expected.length);
    expect(body === expected).toBe(true);
  });

  it('with flow=ack, stops near clientWindowBytes until the client acknowledges', async () => {
    const s = await server({ console: { clientWindowBytes: 256 * 1024, idleTimeoutMs: 0 } });
    const client = connect(s, '?flow=ack');
    await client.ready();
    client.type('stty -echo; yes\n');
    await new Promise((r) => setTimeout(r, 800));
    const first = client.receivedBytes;
    await new Promise((r) => setTimeout(r, 400));
    expect(client.receivedBytes).toBe(first);
    // The window plus what was already on its way when it closed (one flush and one channel chunk).
    expect(first).toBeLessThan(256 * 1024 + 128 * 1024);
    client.control({ type: 'ack', bytes: first });
    await new Promise((r) => setTimeout(r, 500));
    expect(client.receivedBytes).toBeGreaterThan(first + 64 * 1024);
    client.type('\x03');
  });
});
