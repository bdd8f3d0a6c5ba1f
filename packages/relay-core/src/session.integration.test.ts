import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ssh2';
import { freePort, isRoot, startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EndCause } from './causes.js';
import { ManualClock } from './clock.js';
import { staticCredentials, type CredentialProvider } from './credentials.js';
import type { Dialer } from './dial.js';
import { RelaySession, globalRequestProbe, type SessionOptions, type Target } from './session.js';
import { duplexPair } from './duplex-pair.js';
import { TestTerminal } from './testing/terminal.js';

let sshd: TestSshd;
const cleanups: (() => void | Promise<void>)[] = [];

beforeAll(async () => {
  sshd = await startSshd({ password: isRoot() });
});
afterAll(async () => {
  await sshd?.stop();
});
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** Wraps a provider to count acquire() and release() calls. */
function counting(provider: CredentialProvider) {
  const counts = { acquire: 0, release: 0 };
  const wrapped: CredentialProvider = {
    acquire: (signal) => {
      counts.acquire++;
      return provider.acquire(signal);
    },
    release: () => {
      counts.release++;
      return provider.release();
    },
  };
  return { counts, provider: wrapped };
}

function targetFor(server: TestSshd, overrides: Partial<Target> = {}): Target {
  return {
    host: server.host,
    port: server.port,
    hostKey: { fingerprints: [server.hostKeyFingerprint] },
    credentials: staticCredentials({ username: server.username, privateKey: server.clientPrivateKey }),
    ...overrides,
  };
}

function open(options: Partial<SessionOptions> & { target?: Target } = {}) {
  const [core, test] = duplexPair();
  const term = new TestTerminal(test);
  const creds = counting(options.target?.credentials ?? targetFor(sshd).credentials);
  const session = new RelaySession(core, {
    ...options,
    target: { ...(options.target ?? targetFor(sshd)), credentials: creds.provider },
  });
  const ended = session.start();
  cleanups.push(async () => {
    session.abort();
    await ended;
    test.destroy();
  });
  const ready = new Promise<void>((resolve, reject) => {
    session.onReady(() => resolve());
    void ended.then((cause) => reject(new Error(`ended before ready: ${cause.kind}: ${cause.message}`)));
  });
  // Tests that expect a failure never await `ready`.
  ready.catch(() => {});
  return { session, term, ended, ready, counts: creds.counts, client: test };
}

/** Waits a moment, then checks release() ran exactly once: it may run just after the end cause fires. */
async function expectReleasedOnce(counts: { acquire: number; release: number }) {
  await new Promise((r) => setTimeout(r, 20));
  expect(counts.acquire).toBe(1);
  expect(counts.release).toBe(1);
}

describe('RelaySession against a real sshd', () => {
  it('relays an echo round trip and exits with the shell exit code', async () => {
    const { term, ended, ready, counts, session } = await Promise.resolve(open());
    await ready;
    expect(session.state).toBe('open');
    term.write('echo $((6*7))x\n');
    await term.waitFor(/42x/);
    term.write('exit 3\n');
    const cause = await ended;
    expect(cause).toMatchObject({ kind: 'exit', exitCode: 3, exitSignal: null });
    expect(cause.message).toMatch(/code 3/);
    await expectReleasedOnce(counts);
  });

  it('opens the PTY at the client size and resizes it with window-change', async () => {
    const { term, ready, session } = open({ pty: { cols: 100, rows: 30 } });
    await ready;
    term.write('stty size; echo $TERM\n');
    await term.waitFor(/30 100\r?\nxterm-256color/);
    session.resize(120, 40);
    const from = term.output.length;
    term.write('stty size\n');
    await term.waitFor(/40 120/, 10_000, from);
    expect(() => session.resize(0, 10)).toThrow(RangeError);
  });

  it('delivers all output written just before exit', async () => {
    const { term, ended, ready } = open();
    await ready;
    term.write('seq 1 20000; exit 0\n');
    const cause = await ended;
    expect(cause.kind).toBe('exit');
    expect(term.output).toMatch(/\n20000\r\n/);
  });

  it('reports a shell killed by a signal', async () => {
    const { term, ended, ready } = open();
    await ready;
    term.write('kill -KILL $$\n');
    const cause = await ended;
    expect(cause.kind).toBe('exit');
    expect(cause.exitSignal).toBe('KILL');
  });

  it('refuses a host key that does not match the pinned fingerprint', async () => {
    const other = 'SHA256:' + 'A'.repeat(43);
    const { ended, counts, term } = open({ target: targetFor(sshd, { hostKey: { fingerprints: [other] } }) });
    const cause = await ended;
    expect(cause.kind).toBe('host-key-rejected');
    expect(cause.message).toContain(sshd.hostKeyFingerprint);
    expect(term.receivedBytes).toBe(0);
    await expectReleasedOnce(counts);
  });

  it('verifies against a known_hosts file, and refuses when the key there changed', async () => {
    const good = open({ target: targetFor(sshd, { hostKey: { knownHostsPath: sshd.knownHostsPath } }) });
    await good.ready;
    const line = readFileSync(sshd.knownHostsPath, 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'termrelay-kh-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const otherKey = readFileSync(join(dir, 'k.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const changed = `${line.split(' ')[0]} ${otherKey}\n`;
    const bad = open({ target: targetFor(sshd, { hostKey: { knownHosts: changed } }) });
    const cause = await bad.ended;
    expect(cause.kind).toBe('host-key-rejected');
    expect(cause.message).toMatch(/changed/);
  });

  it('ends with auth-failed when the target refuses the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'termrelay-key-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const credentials = staticCredentials({ username: sshd.username, privateKeyPath: join(dir, 'k') });
    const { ended, counts } = open({ target: targetFor(sshd, { credentials }) });
    expect((await ended).kind).toBe('auth-failed');
    await expectReleasedOnce(counts);
  });

  it.runIf(isRoot())('authenticates with a password', async () => {
    const credentials = staticCredentials({ username: sshd.username, password: sshd.password ?? '' });
    const { term, ready } = open({ target: targetFor(sshd, { credentials }) });
    await ready;
    term.write('echo pw-$((1+1))\n');
    await term.waitFor(/pw-2/);
  });

  it('ends with connect-failed at once for a closed port', async () => {
    const port = await freePort();
    const started = Date.now();
    const { ended, counts } = open({ target: targetFor(sshd, { port }) });
    const cause = await ended;
    expect(cause.kind).toBe('connect-failed');
    expect(Date.now() - started).toBeLessThan(2000);
    await expectReleasedOnce(counts);
  });

  it('ends with connect-failed when the dial never completes, within the connect timeout', async () => {
    const never: Dialer = () => new Promise(() => {});
    const started = Date.now();
    const { ended, counts } = open({ target: targetFor(sshd, { dialer: never }), connectTimeoutMs: 300 });
    const cause = await ended;
    expect(cause.kind).toBe('connect-failed');
    expect(cause.message).toMatch(/timed out/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(2000);
    await expectReleasedOnce(counts);
  });

  it('ends with connect-failed when a loopback listener accepts and never speaks', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      silent.close();
    });
    const port = (silent.address() as { port: number }).port;
    const started = Date.now();
    const { ended } = open({ target: targetFor(sshd, { port }), handshakeTimeoutMs: 400 });
    const cause = await ended;
    expect(cause.kind).toBe('connect-failed');
    expect(cause.message).toMatch(/handshake .* timed out/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('ends with aborted mid-session, through abort() or the signal', async () => {
    const first = open();
    await first.ready;
    first.session.abort();
    expect((await first.ended).kind).toBe('aborted');
    await expectReleasedOnce(first.counts);

    const controller = new AbortController();
    const second = open({ signal: controller.signal });
    await second.ready;
    controller.abort();
    expect((await second.ended).kind).toBe('aborted');
  });

  it('ends with aborted while still dialing, releasing the credentials once', async () => {
    const never: Dialer = (signal) =>
      new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))));
    const { session, ended, counts } = open({ target: targetFor(sshd, { dialer: never }) });
    await new Promise((r) => setTimeout(r, 50));
    session.abort();
    expect((await ended).kind).toBe('aborted');
    await expectReleasedOnce(counts);
  });

  it('ends with client-closed when the client stream closes', async () => {
    const { ready, ended, client, counts } = open();
    await ready;
    client.destroy();
    expect((await ended).kind).toBe('client-closed');
    await expectReleasedOnce(counts);
  });

  it('pauses the SSH channel while the client does not read, then delivers every byte in order', async () => {
    let relayed = 0;
    let pauses = 0;
    // ssh2's stock window: this is the pump's own backpressure, the fallback when the adaptive window
    // cannot be installed (ssh-window.integration.test.ts covers the window).
    const { term, ready, client } = open({
      window: false,
      hooks: { onOutputBytes: (n) => (relayed += n), onOutputPause: () => pauses++ },
    });
    await ready;
    term.write('stty -echo\n');
    await new Promise((r) => setTimeout(r, 300));
    const lines = 400_000; // about 2.7 MB of output, more than every buffer on the way together
    client.pause();
    term.write(`echo BE''GIN; seq 1 ${lines}; echo E''ND\n`);
    await new Promise((r) => setTimeout(r, 1500));
    const stalledAt = relayed;
    await new Promise((r) => setTimeout(r, 700));
    // While stalled nothing more is read from the channel: the remote is blocked by the SSH window.
    expect(relayed).toBe(stalledAt);
    expect(pauses).toBeGreaterThan(0);
    // What the relay took from the channel is bounded by the client's buffers, far below the payload.
    expect(relayed).toBeLessThan(1024 * 1024);
    client.resume();
    await term.waitFor(/END/, 20_000);
    const body = /BEGIN\r\n([\s\S]*?)END/.exec(term.output)?.[1] ?? '';
    const expected = Array.from({ length: lines }, (_, i) => `${i + 1}\r\n`).join('');
    expect(body.length).toBe(expected.length);
    expect(body === expected).toBe(true);
  });

  it('answers the SSH probe while the target is alive', async () => {
    const { ready, ended, session } = open({ liveness: { intervalMs: 100, probeTimeoutMs: 500 } });
    await ready;
    await new Promise((r) => setTimeout(r, 800));
    expect(session.state).toBe('open');
    session.abort();
    expect((await ended).kind).toBe('aborted');
  });

  it('ends with target-unresponsive when the sshd serving the session is frozen', async () => {
    const { term, ready, ended } = open({ liveness: { intervalMs: 200, probeTimeoutMs: 300 } });
    await ready;
    term.write('echo ppid=$PPID.\n');
    const pid = Number((await term.waitFor(/ppid=(\d+)\./))[1]);
    process.kill(pid, 'SIGSTOP');
    cleanups.push(() => {
      try {
        process.kill(pid, 'SIGKILL');
        process.kill(pid, 'SIGCONT');
      } catch {
        // Already gone.
      }
    });
    const started = Date.now();
    const cause = await ended;
    expect(cause.kind).toBe('target-unresponsive');
    expect(Date.now() - started).toBeLessThan(200 + 300 + 500);
  });

  it('ends with target-closed at once when the sshd serving the session is killed', async () => {
    const { term, ready, ended } = open();
    await ready;
    term.write('echo ppid=$PPID.\n');
    const pid = Number((await term.waitFor(/ppid=(\d+)\./))[1]);
    const started = Date.now();
    process.kill(pid, 'SIGKILL');
    expect((await ended).kind).toBe('target-closed');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a failed probe on a closed connection counts as no reply', async () => {
    const alive = await new Promise<boolean>((resolve) => globalRequestProbe(new Client(), resolve));
    expect(alive).toBe(false);
  });

  it('leaves no liveness timer behind when the session ends', async () => {
    const clock = new ManualClock();
    const { term, ready, ended } = open({ clock });
    await ready;
    expect(clock.pendingTimers).toBe(1);
    term.write('exit\n');
    await ended;
    expect(clock.pendingTimers).toBe(0);
  });

  it('ends idle and over-age sessions through the watch loop', async () => {
    const idle = open({ liveness: { idleTimeoutMs: 300 } });
    const old = open({ liveness: { maxLifetimeMs: 400 } });
    await Promise.all([idle.ready, old.ready]);
    const keepBusy = setInterval(() => old.term.write('\n'), 50);
    cleanups.push(() => clearInterval(keepBusy));
    const [idleCause, oldCause]: [EndCause, EndCause] = await Promise.all([idle.ended, old.ended]);
    expect(idleCause.kind).toBe('idle-timeout');
    expect(oldCause.kind).toBe('max-lifetime');
  });

  it('refuses bad options at construction, naming the option', () => {
    const [core] = duplexPair();
    expect(() => new RelaySession(core, { target: targetFor(sshd), pty: { cols: 0 } })).toThrow(/pty.cols/);
    expect(() => new RelaySession(core, { target: targetFor(sshd), connectTimeoutMs: -1 })).toThrow(
      /connectTimeoutMs/,
    );
    expect(
      () => new RelaySession(core, { target: { ...targetFor(sshd), hostKey: undefined as never } }),
    ).toThrow(/hostKey/);
  });
});

describe('RelaySession through a jump host', () => {
  let bastion: TestSshd;
  beforeAll(async () => {
    bastion = await startSshd({ extraConfig: ['LogLevel DEBUG1'] });
  });
  afterAll(async () => {
    await bastion?.stop();
  });

  function jumpTarget(overrides: Partial<NonNullable<Target['jump']>> = {}): Target {
    return targetFor(sshd, {
      jump: {
        host: bastion.host,
        port: bastion.port,
        hostKey: { fingerprints: [bastion.hostKeyFingerprint] },
        credentials: staticCredentials({ username: bastion.username, privateKey: bastion.clientPrivateKey }),
        ...overrides,
      },
    });
  }

  it('reaches the target through the bastion with both host keys verified', async () => {
    const jumpCreds = counting(
      staticCredentials({ username: bastion.username, privateKey: bastion.clientPrivateKey }),
    );
    const { term, ready, ended, counts } = open({ target: jumpTarget({ credentials: jumpCreds.provider }) });
    await ready;
    term.write('echo via-$((40+2))\n');
    await term.waitFor(/via-42/);
    expect(bastion.log()).toMatch(
      new RegExp(`direct-tcpip.*port ${sshd.port}|target 127\\.0\\.0\\.1 port ${sshd.port}`),
    );
    term.write('exit 0\n');
    expect((await ended).kind).toBe('exit');
    await expectReleasedOnce(counts);
    await expectReleasedOnce(jumpCreds.counts);
  });

  it('refuses a bastion whose host key does not match', async () => {
    const jumpCreds = counting(
      staticCredentials({ username: bastion.username, privateKey: bastion.clientPrivateKey }),
    );
    const { ended } = open({
      target: jumpTarget({
        hostKey: { fingerprints: [sshd.hostKeyFingerprint] },
        credentials: jumpCreds.provider,
      }),
    });
    const cause = await ended;
    expect(cause.kind).toBe('host-key-rejected');
    expect(cause.message).toMatch(/jump host/);
    await expectReleasedOnce(jumpCreds.counts);
  });
});
