// Read-only watchers against a real sshd: share, watch and live output, sizes, unshare, a watcher that
// tries to type, a watcher that stops reading while the owner floods, and watchers ending with the session.
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsoleClient,
  refusalOf,
  TEST_ORIGIN,
  startTestServer,
  type TestServer,
} from './testing/harness.js';

let sshd: TestSshd;
let server: TestServer;

beforeAll(async () => {
  sshd = await startSshd();
  server = await startTestServer(sshd, { console: { maxWatchers: 2, outputBufferBytes: 262_144 } });
});
afterAll(async () => {
  await server?.close();
  await sshd?.stop();
});

async function waitForControl(
  client: ConsoleClient,
  match: (c: Record<string, unknown>) => boolean,
  timeoutMs = 10_000,
): Promise<Record<string, unknown>> {
  const started = Date.now();
  for (;;) {
    const found = client.controls.find(match);
    if (found) return found;
    if (Date.now() - started > timeoutMs)
      throw new Error(`no such control: ${JSON.stringify(client.controls)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function shared(owner: ConsoleClient): Promise<{ url: string; session: string; key: string }> {
  const before = owner.controls.length;
  owner.control({ type: 'share' });
  const start = Date.now();
  while (!owner.controls.slice(before).some((c) => c.type === 'shared')) {
    if (Date.now() - start > 5000) throw new Error('no shared message');
    await new Promise((r) => setTimeout(r, 10));
  }
  const message = owner.controls.slice(before).find((c) => c.type === 'shared')!;
  const url = new URL(String(message.url), 'http://x');
  expect(url.pathname).toBe('/watch');
  expect(Date.parse(String(message.expiresAt)) - Date.now()).toBeGreaterThan(3_500_000);
  expect(String(message.expiresAt)).toMatch(/Z$/);
  return {
    url: String(message.url),
    session: url.searchParams.get('session')!,
    key: url.searchParams.get('key')!,
  };
}

const watchUrl = (session: string, key: string) =>
  `ws://127.0.0.1:${server.port}/api/sessions/${encodeURIComponent(session)}/watch?key=${encodeURIComponent(key)}`;

describe('watching', () => {
  it('shows a watcher what the log keeps, then live output and the owner’s size; the owner hears the count', async () => {
    const owner = ConsoleClient.open(server.consoleUrl('vm1', '?cols=100&rows=30'));
    await owner.ready();
    owner.type('echo BEFORE-$((1+1))\n');
    await owner.waitFor(/BEFORE-2/);
    const { session, key } = await shared(owner);
    expect(Buffer.from(key, 'base64url').length).toBeGreaterThanOrEqual(16);

    const watcher = ConsoleClient.open(watchUrl(session, key));
    await watcher.ready();
    expect(watcher.controls[0]).toEqual({ type: 'ready', readonly: true, cols: 100, rows: 30 });
    await watcher.waitFor(/BEFORE-2/);
    await waitForControl(owner, (c) => c.type === 'watchers' && c.count === 1);

    owner.type('echo LIVE-$((3+4))\n');
    await watcher.waitFor(/LIVE-7/);
    owner.control({ type: 'resize', cols: 90, rows: 25 });
    await waitForControl(watcher, (c) => c.type === 'size' && c.cols === 90 && c.rows === 25);

    // The session ends: the watcher is closed with the session's code, after the exit status.
    owner.type('exit 3\n');
    expect((await owner.closed).code).toBe(1000);
    expect((await watcher.closed).code).toBe(1000);
    expect(watcher.controls).toContainEqual({ type: 'exit', code: 3, signal: null });
  });

  it('refuses a wrong key (403 watch_denied), an unknown session (404) and a watcher too many (503)', async () => {
    const owner = ConsoleClient.open(server.consoleUrl());
    await owner.ready();
    const { session, key } = await shared(owner);
    const options = { origin: TEST_ORIGIN };
    expect((await refusalOf(watchUrl(session, 'wrong-key'), options)).body.error.code).toBe('watch_denied');
    expect((await refusalOf(watchUrl('vm.nosuchsession00000', key), options)).status).toBe(404);
    expect((await refusalOf(watchUrl(session, key), { origin: 'http://evil.test' })).status).toBe(403);
    const one = ConsoleClient.open(watchUrl(session, key));
    const two = ConsoleClient.open(watchUrl(session, key));
    await Promise.all([one.ready(), two.ready()]);
    const third = await refusalOf(watchUrl(session, key), options);
    expect([third.status, third.body.error.code]).toEqual([503, 'too_many_watchers']);
    owner.control({ type: 'close' });
    await Promise.all([one.closed, two.closed]);
  });

  it('closes every watcher on unshare and refuses the old key after', async () => {
    const owner = ConsoleClient.open(server.consoleUrl());
    await owner.ready();
    const { session, key } = await shared(owner);
    const watcher = ConsoleClient.open(watchUrl(session, key));
    await watcher.ready();
    owner.control({ type: 'unshare' });
    expect((await watcher.closed).code).toBe(1000);
    await waitForControl(owner, (c) => c.type === 'watchers' && c.count === 0);
    expect((await refusalOf(watchUrl(session, key), { origin: TEST_ORIGIN })).status).toBe(403);
    owner.type('echo OWNER-FINE-$((5+5))\n');
    await owner.waitFor(/OWNER-FINE-10/);
    owner.control({ type: 'close' });
    await owner.closed;
  });

  it('closes a watcher that sends a binary frame with 1008, and its bytes never reach the shell', async () => {
    const owner = ConsoleClient.open(server.consoleUrl());
    await owner.ready();
    const { session, key } = await shared(owner);
    const watcher = ConsoleClient.open(watchUrl(session, key));
    await watcher.ready();
    watcher.type('echo INTRUDER-$((6+6))\n');
    expect((await watcher.closed).code).toBe(1008);
    owner.type('echo OWNER-$((7+7))\n');
    await owner.waitFor(/OWNER-14/);
    expect(owner.output).not.toContain('INTRUDER');
    owner.control({ type: 'close' });
    await owner.closed;
  });

  it('skips a watcher that stopped reading forward to live output, without holding the owner back', async () => {
    const owner = ConsoleClient.open(server.consoleUrl());
    await owner.ready();
    const { session, key } = await shared(owner);
    const watcher = ConsoleClient.open(watchUrl(session, key));
    await watcher.ready();
    const socket = (watcher.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    // 32 MiB through the owner while the watcher reads nothing: far more than its buffer and the kernel's.
    owner.type('stty -echo; head -c 33554432 /dev/zero | tr "\\0" x; echo; echo FLOOD-$((9+9))\n');
    await owner.waitFor(/FLOOD-18/, 60_000);
    expect(owner.receivedBytes).toBeGreaterThan(33_554_432);
    socket.resume();
    // Once drained, it catches up with what the log keeps without waiting for more output.
    await watcher.waitFor(/FLOOD-18/, 20_000);
    owner.type('echo AFTER-$((8+8))\n');
    await watcher.waitFor(/AFTER-16/, 20_000);
    expect(watcher.controls).toContainEqual({ type: 'reset' });
    // What it got is far less than the flood: the backlog was dropped, not buffered.
    expect(watcher.receivedBytes).toBeLessThan(16 * 1024 * 1024);
    owner.control({ type: 'close' });
    await Promise.all([owner.closed, watcher.closed]);
  });
});
