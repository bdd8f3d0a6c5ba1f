// Starts what the specs run against: a real OpenSSH sshd (the shared fixture, a test user with a plain
// home) and termrelay servers built from this repo — the main one, and one with short idle timeouts.
// Their addresses reach the specs through the environment; teardown kills them all by PID.
import { fileURLToPath } from 'node:url';
import { startTermrelayProcess } from '@termrelay/server/testing';
import { startSshd } from '@termrelay/test-sshd';
import { sshdTarget as target } from './helpers.js';

const WEB_ROOT = fileURLToPath(new URL('../apps/web/dist', import.meta.url));

export default async function globalSetup(): Promise<() => Promise<void>> {
  const sshd = await startSshd();
  const wrongKey = 'SHA256:' + 'C'.repeat(43);
  const main = await startTermrelayProcess({
    webRoot: WEB_ROOT,
    targets: [target(sshd, 'vm1', 'Test VM'), target(sshd, 'badkey', 'Changed key VM', wrongKey)],
    log: { level: 'warn' },
  });
  const idle = await startTermrelayProcess({
    webRoot: WEB_ROOT,
    targets: [target(sshd, 'vm1', 'Idle VM')],
    console: { idleTimeoutMs: 2000 },
    log: { level: 'warn' },
  });
  process.env.TERMRELAY_E2E_URL = main.origin;
  process.env.TERMRELAY_E2E_IDLE_URL = idle.origin;
  return async () => {
    for (const server of [main, idle]) server.stop();
    await sshd.stop();
  };
}
