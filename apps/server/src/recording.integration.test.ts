// Recordings against a real sshd, checked with the real asciinema: what `asciinema cat` prints is what the
// client received; input is left out unless asked for; a failing folder never hurts a session unless
// recording is required; a resumed session keeps one file; the API lists and serves only one's own.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConsoleClient,
  TEST_ORIGIN,
  metricValue,
  refusalOf,
  startTestServer,
  type TestServer,
} from './testing/harness.js';

const run = promisify(execFile);
let sshd: TestSshd;
let root: string;

beforeAll(async () => {
  sshd = await startSshd();
  root = await mkdtemp(join(tmpdir(), 'termrelay-rec-'));
});
afterAll(async () => {
  await sshd?.stop();
  await rm(root, { recursive: true, force: true });
});

async function withServer(recording: Record<string, unknown>, body: (server: TestServer) => Promise<void>) {
  const server = await startTestServer(sshd, { recording });
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/** Waits until the server holds no session (its recording is closed by then). */
async function allEnded(server: TestServer): Promise<void> {
  const started = Date.now();
  while (server.relay.sessions.size > 0) {
    if (Date.now() - started > 10_000) throw new Error('sessions did not end');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function events(path: string): Promise<[number, string, string][]> {
  const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
  return lines.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
}

/**
 * What `asciinema cat` prints for `path`. It insists on a controlling terminal (it opens /dev/tty), so it
 * runs under script(1); its own output goes to a file, past the terminal and its newline translation.
 */
async function asciinemaCat(path: string): Promise<Buffer> {
  const out = `${path}.out`;
  await run('script', ['-q', '-e', '-c', `asciinema cat '${path}' > '${out}'`, '/dev/null']);
  try {
    return await readFile(out);
  } finally {
    await rm(out, { force: true });
  }
}

const received = (client: ConsoleClient) => Buffer.from(client.output, 'latin1').toString('utf8');

describe('recording', () => {
  it('writes one asciicast v2 file per session whose `asciinema cat` equals what the client received, UTF-8 split across frames included', async () => {
    const dir = join(root, 'plain');
    await withServer({ dir }, async (server) => {
      const client = ConsoleClient.open(server.consoleUrl('vm1', '?cols=100&rows=30'));
      await client.ready();
      // The euro sign's three bytes arrive in two writes, so in two SSH chunks and two frames.
      client.type(
        "printf 'A\\342\\202'; sleep 0.3; printf '\\254B \\303\\251t\\303\\251\\n'; echo DONE-$((6*7))\n",
      );
      await client.waitFor(/DONE-42/);
      client.control({ type: 'resize', cols: 90, rows: 20 });
      await new Promise((r) => setTimeout(r, 200));
      client.type('exit\n');
      expect((await client.closed).code).toBe(1000);
      await allEnded(server);

      const [name, ...others] = await readdir(dir);
      expect(others).toEqual([]);
      expect(name).toBe(`${String(client.lastReady.session)}.cast`);
      const path = join(dir, name!);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      const header = JSON.parse((await readFile(path, 'utf8')).split('\n')[0]!) as Record<string, unknown>;
      expect(header).toMatchObject({
        version: 2,
        width: 100,
        height: 30,
        title: 'Test VM vm1',
        env: { TERM: 'xterm-256color' },
        termrelay: { session: client.lastReady.session, target: 'vm1' },
      });
      expect(typeof header.principal).toBe('string');
      const recorded = await events(path);
      expect(recorded.some(([, kind, data]) => kind === 'r' && data === '90x20')).toBe(true);
      expect(recorded.some(([, kind]) => kind === 'i')).toBe(false);
      expect(recorded.some(([, , data]) => data.includes('\ufffd'))).toBe(false);
      const times = recorded.map(([t]) => t);
      expect([...times].sort((a, b) => a - b)).toEqual(times);

      expect((await asciinemaCat(path)).toString('utf8')).toBe(received(client));
      expect(received(client)).toContain('A€B été');
    });
  });

  it('records input as "i" events only with input: true', async () => {
    const dir = join(root, 'input');
    await withServer({ dir, input: true }, async (server) => {
      const client = ConsoleClient.open(server.consoleUrl());
      await client.ready();
      client.type('echo TYPED-$((2+3))\n');
      await client.waitFor(/TYPED-5/);
      client.control({ type: 'close' });
      await client.closed;
      await allEnded(server);
      const [name] = await readdir(dir);
      const input = (await events(join(dir, name!)))
        .filter(([, kind]) => kind === 'i')
        .map(([, , d]) => d)
        .join('');
      expect(input).toBe('echo TYPED-$((2+3))\n');
    });
  });

  it('keeps one file across the attaches of a resumed session', async () => {
    const dir = join(root, 'resume');
    await withServer({ dir }, async (server) => {
      const first = ConsoleClient.open(server.consoleUrl());
      await first.ready();
      first.type('echo FIRST-$((1+1))\n');
      await first.waitFor(/FIRST-2/);
      first.drop();
      await first.closed;
      const second = ConsoleClient.open(server.resumeUrl(first.lastReady, first.outputOffset));
      await second.ready();
      second.type('echo SECOND-$((2+2))\n');
      await second.waitFor(/SECOND-4/);
      second.control({ type: 'close' });
      await second.closed;
      await allEnded(server);
      const names = await readdir(dir);
      expect(names).toHaveLength(1);
      const stdout = (await asciinemaCat(join(dir, names[0]!))).toString('utf8');
      expect(stdout).toContain('FIRST-2');
      expect(stdout).toContain('SECOND-4');
    });
  });

  it('lets the session go on when the folder fails and recording is not required, and counts the error', async () => {
    const blocker = join(root, 'a-file');
    await writeFile(blocker, 'not a folder');
    await withServer({ dir: join(blocker, 'recordings') }, async (server) => {
      const client = ConsoleClient.open(server.consoleUrl());
      await client.ready();
      client.type('echo STILL-$((3+3))\n');
      await client.waitFor(/STILL-6/);
      expect(await metricValue(server, 'termrelay_recording_errors_total')).toBe(1);
      client.control({ type: 'close' });
      expect((await client.closed).code).toBe(1000);
    });
  });

  it('refuses a session whose required recording cannot start (503 recording_unavailable)', async () => {
    const blocker = join(root, 'another-file');
    await writeFile(blocker, 'not a folder');
    await withServer({ dir: join(blocker, 'recordings'), required: true }, async (server) => {
      const refusal = await refusalOf(server.consoleUrl(), { origin: TEST_ORIGIN });
      expect(refusal.status).toBe(503);
      expect(refusal.body.error.code).toBe('recording_unavailable');
      expect(server.relay.sessions.size).toBe(0);
    });
  });
});

describe('the recordings API', () => {
  const tokenA = 'token-a-0123456789abcdef';
  const tokenB = 'token-b-0123456789abcdef';
  it('lists and serves only the caller’s own recordings, and refuses ids that are not session ids', async () => {
    const dir = join(root, 'api');
    const server = await startTestServer(sshd, {
      recording: { dir },
      auth: { mode: 'token', tokens: [tokenA, tokenB] },
    });
    try {
      const client = ConsoleClient.open(server.consoleUrl(), {
        headers: { authorization: `Bearer ${tokenA}` },
      });
      await client.ready();
      client.type('echo LISTED\n');
      await client.waitFor(/LISTED\r?\n/);
      client.control({ type: 'close' });
      await client.closed;
      await allEnded(server);
      const session = String(client.lastReady.session);
      const get = (path: string, token?: string) =>
        fetch(`${server.httpUrl}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

      expect((await get('/api/recordings')).status).toBe(401);
      const mine = (await (await get('/api/recordings', tokenA)).json()) as Record<string, unknown>[];
      expect(mine.map((r) => Object.keys(r).sort())).toEqual([
        ['bytes', 'duration', 'session', 'started', 'target'],
      ]);
      expect(mine[0]).toMatchObject({ session, target: 'vm1' });
      expect(String(mine[0]?.started)).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
      expect(mine[0]?.duration).toBeGreaterThan(0);
      expect(mine[0]?.bytes).toBe((await stat(join(dir, `${session}.cast`))).size);
      expect(await (await get('/api/recordings', tokenB)).json()).toEqual([]);

      const file = await get(`/api/recordings/${session}`, tokenA);
      expect(file.status).toBe(200);
      expect(await file.text()).toBe(await readFile(join(dir, `${session}.cast`), 'utf8'));
      expect((await get(`/api/recordings/${session}`, tokenB)).status).toBe(404);
      for (const bad of ['..%2F..%2Fetc%2Fpasswd', '..', 'x', `${session}.cast`, '%2e%2e']) {
        const res = await get(`/api/recordings/${bad}`, tokenA);
        expect(res.status, bad).toBe(404);
      }
    } finally {
      await server.close();
    }
  });
});
