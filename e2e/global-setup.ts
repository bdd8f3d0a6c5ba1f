// Starts what the specs run against: a real OpenSSH sshd (the shared fixture, a test user with a plain
// home) and termrelay servers built from this repo — the main one, and one with short idle timeouts.
// Their addresses reach the specs through the environment; teardown kills them all by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startSshd, type TestSshd } from '@termrelay/test-sshd';

const MAIN = fileURLToPath(new URL('../apps/server/dist/main.js', import.meta.url));
const WEB_ROOT = fileURLToPath(new URL('../apps/web/dist', import.meta.url));

function target(sshd: TestSshd, id: string, label: string, fingerprint = sshd.hostKeyFingerprint) {
  return {
    id,
    label,
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKeyPath: sshd.clientPrivateKeyPath,
    hostKeyFingerprints: [fingerprint],
  };
}

async function startServer(
  dir: string,
  name: string,
  config: Record<string, unknown>,
): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ listen: { host: '127.0.0.1', port }, webRoot: WEB_ROOT, ...config }));
  const child = spawn(process.execPath, [MAIN, '--config', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const started = Date.now();
  while (!output.includes('open http://')) {
    if (child.exitCode !== null || Date.now() - started > 15_000) {
      throw new Error(`termrelay ${name} did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url, child };
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  const dir = mkdtempSync(join(tmpdir(), 'termrelay-e2e-'));
  const sshd = await startSshd();
  const wrongKey = 'SHA256:' + 'C'.repeat(43);
  const main = await startServer(dir, 'main', {
    targets: [target(sshd, 'vm1', 'Test VM'), target(sshd, 'badkey', 'Changed key VM', wrongKey)],
    log: { level: 'warn' },
  });
  const idle = await startServer(dir, 'idle', {
    targets: [target(sshd, 'vm1', 'Idle VM')],
    console: { idleTimeoutMs: 2000 },
    log: { level: 'warn' },
  });
  process.env.TERMRELAY_E2E_URL = main.url;
  process.env.TERMRELAY_E2E_IDLE_URL = idle.url;
  return async () => {
    for (const server of [main, idle]) server.child.kill('SIGKILL');
    await sshd.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
