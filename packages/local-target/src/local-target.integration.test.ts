import { duplexPair, RelaySession, type SessionOptions } from '@termrelay/relay-core';
import ssh2 from 'ssh2';
import { OutputWatcher } from '@termrelay/test-sshd';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLocalTarget } from './local-target.js';

// A plain shell keeps the tests independent of the login files of whoever runs them.
const local = createLocalTarget({ shell: '/bin/sh', args: [], env: { PS1: '$ ' } });
const sessions: RelaySession[] = [];

afterEach(async () => {
  for (const s of sessions.splice(0)) {
    s.abort();
    await s.ended;
  }
});
afterAll(() => local.close());

function open(options: Partial<SessionOptions> = {}) {
  const [core, test] = duplexPair();
  const out = new OutputWatcher();
  test.on('data', (c: Buffer) => out.feed(c));
  const session = new RelaySession(core, { target: local.target, ...options });
  sessions.push(session);
  const ended = session.start();
  const ready = new Promise<void>((resolve) => session.onReady(resolve));
  const type = (text: string) => test.write(Buffer.from(text));
  return { session, ended, ready, out, type, client: test };
}

describe('the local target, through the real relay', () => {
  it('pins its generated host key and refuses any other', async () => {
    expect(local.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const { ended } = open({
      target: { ...local.target, hostKey: { fingerprints: ['SHA256:' + 'D'.repeat(43)] } },
    });
    expect((await ended).kind).toBe('host-key-rejected');
  });

  it('refuses a client key it did not generate', async () => {
    const other = ssh2.utils.generateKeyPairSync('ed25519');
    const { ended } = open({
      target: {
        ...local.target,
        credentials: {
          acquire: () => Promise.resolve({ username: 'x', privateKey: other.private }),
          release: () => {},
        },
      },
    });
    expect((await ended).kind).toBe('auth-failed');
  });

  it('echoes, and reports the exit code', async () => {
    const { ready, out, type, ended } = open();
    await ready;
    type('echo $((6*7))x\n');
    await out.waitFor(/42x/);
    type('exit 7\n');
    expect(await ended).toMatchObject({ kind: 'exit', exitCode: 7 });
  });

  it('starts at the PTY size and follows window-change', async () => {
    const { ready, out, type, session } = open({ pty: { cols: 111, rows: 33 } });
    await ready;
    type('stty size; echo $TERM\n');
    await out.waitFor(/33 111\r?\nxterm-256color/);
    session.resize(90, 20);
    await new Promise((r) => setTimeout(r, 50));
    const from = out.output.length;
    type('stty size\n');
    await out.waitFor(/20 90/, 5000, from);
  });

  it('passes LANG from the session environment', async () => {
    const { ready, out, type } = open({ pty: { env: { LANG: 'C.UTF-8', EVIL: 'x' } } });
    await ready;
    type('echo "lang=$LANG evil=${EVIL:-unset}"\n');
    await out.waitFor(/lang=C\.UTF-8 evil=unset/);
  });

  it('reports a shell killed by a signal', async () => {
    const { ready, type, ended } = open();
    await ready;
    type('kill -KILL $$\n');
    expect(await ended).toMatchObject({ kind: 'exit', exitSignal: 'KILL' });
  });

  it('blocks the shell while the client does not read, then delivers every byte in order', async () => {
    let relayed = 0;
    const { ready, out, type, client } = open({ hooks: { onOutputBytes: (n) => (relayed += n) } });
    await ready;
    type('stty -echo\n');
    await new Promise((r) => setTimeout(r, 200));
    const lines = 400_000;
    client.pause();
    type(`echo BE''GIN; seq 1 ${lines}; echo E''ND\n`);
    await new Promise((r) => setTimeout(r, 1000));
    const stalled = relayed;
    await new Promise((r) => setTimeout(r, 500));
    expect(relayed).toBe(stalled);
    expect(stalled).toBeLessThan(1024 * 1024);
    client.resume();
    await out.waitFor(/END/, 20_000);
    const body = /BEGIN\r\n([\s\S]*?)END/.exec(out.output)?.[1] ?? '';
    const expected = Array.from({ length: lines }, (_, i) => `${i + 1}\r\n`).join('');
    expect(body === expected).toBe(true);
  });

  it('answers the SSH probe, so liveness works unchanged', async () => {
    const { ready, session } = open({ liveness: { intervalMs: 50, probeTimeoutMs: 200 } });
    await ready;
    await new Promise((r) => setTimeout(r, 600));
    expect(session.state).toBe('open');
  });

  it('hangs up on the shell when the relay goes away', async () => {
    const { ready, out, type, session, ended } = open();
    await ready;
    type('echo pid=$$.\n');
    const pid = Number((await out.waitFor(/pid=(\d+)\./))[1]);
    session.abort();
    await ended;
    await new Promise((r) => setTimeout(r, 300));
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
