import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { descendants, startSshd } from './sshd.js';

describe('startSshd', () => {
  it('serves OpenSSH logins with its own keys, and stop() removes it with its sessions', async () => {
    const sshd = await startSshd();
    const out = execFileSync('ssh', [...sshd.sshArgs(), 'echo ok-$((2*21))'], { encoding: 'utf8' });
    expect(out.trim()).toBe('ok-42');
    expect(sshd.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    await sshd.stop();
    await sshd.stop();
    expect(existsSync(sshd.dir)).toBe(false);
    expect(() => process.kill(sshd.pid, 0)).toThrow();
    expect(await descendants(sshd.pid)).toEqual([]);
  });
});
