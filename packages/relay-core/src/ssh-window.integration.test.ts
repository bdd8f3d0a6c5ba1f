// The window against a real sshd: with the client stalled, what the remote program manages to write beyond
// what reached the client stays within the window (plus sshd's and the tty's own small buffers); with
// ssh2's stock window it is megabytes. A fast client still gets every byte in order.
import { existsSync, rmSync, statSync } from 'node:fs';
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { staticCredentials } from './credentials.js';
import { duplexPair } from './duplex-pair.js';
import { RelaySession, type SessionOptions } from './session.js';
import { TestTerminal } from './testing/terminal.js';

const KiB = 1024;
let sshd: TestSshd;
const cleanups: (() => void | Promise<void>)[] = [];

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
});
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function open(window: SessionOptions['window']) {
  const [core, test] = duplexPair();
  const term = new TestTerminal(test);
  let received = 0;
  test.on('data', (chunk: Buffer) => (received += chunk.length));
  const session = new RelaySession(core, {
    target: {
      host: sshd.host,
      port: sshd.port,
      hostKey: { fingerprints: [sshd.hostKeyFingerprint] },
      credentials: staticCredentials({ username: sshd.username, privateKey: sshd.clientPrivateKey }),
    },
    window,
    // The stock read buffer, so that only the window differs between the two runs.
    channelBufferBytes: 2 * 1024 * KiB,
  });
  const ended = session.start();
  cleanups.push(async () => {
    session.abort();
    await ended;
    test.destroy();
  });
  await new Promise<void>((resolve) => session.onReady(() => resolve()));
  term.write('stty -echo\n');
  await new Promise((r) => setTimeout(r, 300));
  return { term, client: test, received: () => received };
}

/**
 * Stalls the client, lets the remote write as much as it can, and returns how far the remote got beyond
 * what the client received. `tee` writes to the tty before the file, so the file never runs ahead.
 */
async function aheadOfStalledClient(window: SessionOptions['window']): Promise<number> {
  const { term, client, received } = await open(window);
  const file = `/tmp/termrelay-window-${process.pid}-${Date.now()}`;
  cleanups.push(() => rmSync(file, { force: true }));
  client.pause();
  const before = received();
  term.write(`head -c 20000000 /dev/zero | tr '\\0' y | tee ${file} > /dev/tty\n`);
  let written = 0;
  for (let last = -1; written !== last;) {
    last = written;
    await new Promise((r) => setTimeout(r, 700));
    written = existsSync(file) ? statSync(file).size : 0;
  }
  return written - (received() - before);
}

describe('the adaptive SSH window against a real sshd', () => {
  it('bounds what the remote writes beyond what a stalled client received by the window', async () => {
    const adaptive = await aheadOfStalledClient({ minBytes: 64 * KiB, maxBytes: 2048 * KiB });
    const stock = await aheadOfStalledClient(false);
    // The window (64 KiB) + the pty and tty buffers + the client stream's own buffer (64 KiB).
    expect(adaptive).toBeLessThan(256 * KiB);
    // ssh2's own: its 2 MiB window, topped up while its 2 MiB read buffer fills.
    expect(stock).toBeGreaterThan(2048 * KiB);
  });

  it('delivers every byte in order to a client that reads at full speed', async () => {
    const { term } = await open(undefined);
    const lines = 300_000;
    term.write(`echo BE''GIN; seq 1 ${lines}; echo E''ND\n`);
    await term.waitFor(/END/, 30_000);
    const body = /BEGIN\r\n([\s\S]*?)END/.exec(term.output)?.[1] ?? '';
    const expected = Array.from({ length: lines }, (_, i) => `${i + 1}\r\n`).join('');
    expect(body.length).toBe(expected.length);
    expect(body === expected).toBe(true);
  });
});
