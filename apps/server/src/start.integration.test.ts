import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '@termrelay/test-sshd';
import { describe, expect, it } from 'vitest';
import { ConsoleClient } from './testing/harness.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

describe('npm start with no config', () => {
  it('serves a working shell on this machine through the relay, with no sshd and no config', async () => {
    const port = await freePort();
    const child = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const started = Date.now();
      const printed = () => new RegExp(`open http://127\\.0\\.0\\.1:${port}/\\?token=(\\S+)`).exec(out);
      while (!printed()) {
        if (Date.now() - started > 90_000 || child.exitCode !== null)
          throw new Error(`npm start did not serve:\n${out}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const token = printed()?.[1] ?? '';
      expect((await fetch(`http://127.0.0.1:${port}/api/targets`)).status).toBe(401);
      const auth = { Authorization: `Bearer ${token}` };
      const targets = (await (
        await fetch(`http://127.0.0.1:${port}/api/targets`, { headers: auth })
      ).json()) as {
        id: string;
      }[];
      expect(targets.map((t) => t.id)).toEqual(['local']);
      const page = await (await fetch(`http://127.0.0.1:${port}/`)).text();
      expect(page).toContain('<title>termrelay</title>');
      const client = ConsoleClient.open(`ws://127.0.0.1:${port}/api/targets/local/console`, {
        origin: `http://127.0.0.1:${port}`,
        headers: auth,
      });
      await client.ready();
      client.type('echo local-$((6*7))\n');
      await client.waitFor(/local-42/);
      client.ws.close();
    } finally {
      // npm and the server it started: the whole process group.
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    }
  }, 120_000);
});
