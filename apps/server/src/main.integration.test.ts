import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient, refusalOf, TEST_ORIGIN, targetConfig } from './testing/harness.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/termrelay.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'termrelay-main-'));
let sshd: TestSshd;

beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(async () => {
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

function writeConfig(name: string, config: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

async function waitListening(proc: { out: () => string; child: ChildProcess }): Promise<void> {
  const started = Date.now();
  while (!/open http:/.test(proc.out())) {
    if (Date.now() - started > 10_000) throw new Error(`not listening: ${proc.out()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the termrelay command', () => {
  it('prints help and version', async () => {
    const help = run(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.out()).toMatch(/Usage: termrelay \[--config FILE\]/);
    const version = run(['--version']);
    expect(await version.exited).toBe(0);
    expect(version.out().trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('without a config, serves the local target only with the token it prints, and never beyond loopback without auth', async () => {
    const port = await freePort();
    const proc = run([], { PORT: String(port) });
    await waitListening(proc);
    const printed = new RegExp(`open http://127\\.0\\.0\\.1:${port}/\\?token=([A-Za-z0-9_-]{22,})`).exec(
      proc.out(),
    );
    expect(printed).not.toBeNull();
    const token = printed?.[1] ?? '';
    const origin = `http://127.0.0.1:${port}`;
    // Another local user forging the Origin header gets nothing without the token.
    const refused = await refusalOf(`ws://127.0.0.1:${port}/api/targets/local/console`, { origin });
    expect(refused.status).toBe(401);
    // The token is printed once, in the URL to open, and never logged.
    expect(
      proc
        .out()
        .split('\n')
        .filter((line) => line.includes(token)),
    ).toEqual([`termrelay: open http://127.0.0.1:${port}/?token=${token}`]);
    const client = ConsoleClient.open(`ws://127.0.0.1:${port}/api/targets/local/console`, {
      origin,
      headers: { Authorization: `Bearer ${token}` },
    });
    await client.ready();
    client.type('echo hi-$((1+2))\n');
    await client.waitFor(/hi-3/);
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    const exposed = run([], { HOST: '0.0.0.0' });
    expect(await exposed.exited).toBe(2);
    expect(exposed.err()).toMatch(/auth\.mode: "none" is only allowed/);
  });

  it('takes the token of the local target from TERMRELAY_TOKEN', async () => {
    const port = await freePort();
    const token = 'a-chosen-token-0123456789';
    const proc = run([], { PORT: String(port), TERMRELAY_TOKEN: token });
    await waitListening(proc);
    expect(proc.out()).toContain(`open http://127.0.0.1:${port}/?token=${token}`);
    const targets = await fetch(`http://127.0.0.1:${port}/api/targets`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(targets.status).toBe(200);
    proc.child.kill('SIGTERM');
    await proc.exited;
    const bad = run([], { PORT: String(port), TERMRELAY_TOKEN: 'short' });
    expect(await bad.exited).toBe(2);
    expect(bad.err()).toMatch(/TERMRELAY_TOKEN must be/);
  });

  it('stops on a bad config with a message naming the key', async () => {
    const path = writeConfig('bad.json', {
      targets: [{ ...targetConfig(sshd), hostKeyFingerprints: ['nope'] }],
    });
    const proc = run(['--config', path]);
    expect(await proc.exited).toBe(2);
    expect(proc.err()).toMatch(/targets\.0\.hostKeyFingerprints\.0: must be a SHA256 fingerprint/);
    const missing = run(['--config', join(dir, 'absent.json')]);
    expect(await missing.exited).toBe(2);
    expect(missing.err()).toMatch(/cannot read config/);
  });

  it('stops when a key file the config names is missing or is the public half, naming the key path', async () => {
    const path = writeConfig('keys.json', {
      targets: [
        { ...targetConfig(sshd), privateKeyPath: join(dir, 'no-such-key') },
        // ssh-keygen wrote the public half beside the private key.
        { ...targetConfig(sshd), id: 'vm2', privateKeyPath: `${sshd.clientPrivateKeyPath}.pub` },
      ],
    });
    const proc = run(['--config', path]);
    expect(await proc.exited).toBe(2);
    expect(proc.err()).toMatch(/targets\.0\.privateKeyPath: \S+no-such-key does not exist/);
    expect(proc.err()).toMatch(/targets\.1\.privateKeyPath: \S+\.pub is a public key/);
  });

  it('says in words that the port is taken, naming it', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as AddressInfo).port;
    try {
      const proc = run([], { PORT: String(port) });
      expect(await proc.exited).toBe(1);
      expect(proc.err()).toContain(`termrelay: port ${port} is already in use on 127.0.0.1`);
    } finally {
      busy.close();
    }
  });

  it('is linked as the `termrelay` command, and says to build when the server is not built', () => {
    const linked = fileURLToPath(new URL('../../../node_modules/.bin/termrelay', import.meta.url));
    const version = spawnSync(linked, ['--version'], { encoding: 'utf8' });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    // The same bin script in a package folder with no dist/ yet, as right after `npm ci`.
    const unbuilt = join(dir, 'unbuilt');
    mkdirSync(join(unbuilt, 'bin'), { recursive: true });
    copyFileSync(BIN, join(unbuilt, 'bin', 'termrelay.js'));
    writeFileSync(join(unbuilt, 'package.json'), '{"type":"module"}');
    const bare = spawnSync(process.execPath, [join(unbuilt, 'bin', 'termrelay.js'), '--help'], {
      encoding: 'utf8',
    });
    expect(bare.status).toBe(1);
    expect(bare.stderr).toMatch(/not built yet[\s\S]*Run `npm run build` at the repository root/);
  });

  it('refuses to serve without auth beyond loopback', async () => {
    const path = writeConfig('open.json', { targets: [targetConfig(sshd)] });
    const proc = run(['--config', path], { HOST: '0.0.0.0' });
    expect(await proc.exited).toBe(2);
    expect(proc.err()).toMatch(/auth\.mode: "none" is only allowed when listen\.host is a loopback address/);
  });

  it('serves consoles, logs sessions without secrets, and on SIGTERM closes them with 1001 and exits in time', async () => {
    const port = await freePort();
    const path = writeConfig('good.json', {
      listen: { port },
      publicOrigins: [TEST_ORIGIN],
      auth: { mode: 'token', tokens: ['a-very-secret-token-123'] },
      targets: [targetConfig(sshd)],
    });
    const proc = run(['--config', path]);
    await waitListening(proc);
    const clients = Array.from({ length: 3 }, () =>
      ConsoleClient.open(`ws://127.0.0.1:${port}/api/targets/vm1/console`, {
        headers: { Authorization: 'Bearer a-very-secret-token-123' },
      }),
    );
    await Promise.all(clients.map((c) => c.ready()));
    const started = Date.now();
    proc.child.kill('SIGTERM');
    const codes = await Promise.all(clients.map(async (c) => (await c.closed).code));
    expect(codes).toEqual([1001, 1001, 1001]);
    expect(await proc.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    const logs = proc.out();
    expect(logs).toMatch(/"msg":"termrelay listening"/);
    expect(logs).toMatch(/"cause":"server-shutdown".*"msg":"session closed"/);
    expect(logs).not.toContain('a-very-secret-token-123');
    expect(logs).not.toContain(sshd.clientPrivateKey.toString().slice(40, 80));
  });
});
