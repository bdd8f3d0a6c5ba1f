// A drop that says nothing: the client runs in its own network namespace behind a veth pair, and its link
// goes down mid-session, so packets simply stop (no FIN, no RST). The server must notice through its own
// pings, detach the session, and the client must resume once the link is back without losing a byte.
// Needs root (ip netns, veth); the namespace and the veth pair are made and removed by this file only.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, isRoot, OutputWatcher, startSshd, type TestSshd } from '@termrelay/test-sshd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type TermrelayApp } from './app.js';
import { parseConfig } from './config.js';
import { createLogger } from './logger.js';
import { targetConfig } from './testing/harness.js';

const NAMESPACE = `termrelay-bh-${process.pid}`;
/** Interface names are at most 15 characters. */
const HOST_LINK = `trbh${process.pid % 100_000}h`;
const CLIENT_LINK = `trbh${process.pid % 100_000}c`;
/** A private /30: the server listens on the host side, the client has the other address. */
const HOST_ADDRESS = '10.201.0.1';
const CLIENT_ADDRESS = '10.201.0.2';
const TOKEN = 'black-hole-test-token-0123456789';
const CLIENT_SCRIPT = fileURLToPath(new URL('./black-hole-client.mjs', import.meta.url));
/** The server pings its client this often; a ping not answered by the next one detaches. */
const LIVENESS_MS = 500;
/** The client gives up on a connection that has said nothing for this long, and resumes. */
const CLIENT_DEAD_MS = 2000;
const STEP_TIMEOUT_MS = 15_000;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why this machine cannot run the test, or undefined when it can. */
function unavailable(): string | undefined {
  if (!isRoot()) return 'needs root to make a network namespace and a veth pair';
  try {
    ip('netns', 'list');
  } catch (error) {
    return `\`ip netns\` is not usable here: ${(error as Error).message}`;
  }
  return undefined;
}

function removeNetwork(): void {
  // Deleting the namespace deletes the veth end inside it, and with it the pair; the second call covers
  // a pair whose end never moved into the namespace.
  for (const args of [
    ['netns', 'del', NAMESPACE],
    ['link', 'del', HOST_LINK],
  ]) {
    try {
      ip(...args);
    } catch {
      // Already gone.
    }
  }
}

function makeNetwork(): void {
  removeNetwork();
  try {
    ip('netns', 'add', NAMESPACE);
    ip('link', 'add', HOST_LINK, 'type', 'veth', 'peer', 'name', CLIENT_LINK);
    ip('link', 'set', CLIENT_LINK, 'netns', NAMESPACE);
    ip('addr', 'add', `${HOST_ADDRESS}/30`, 'dev', HOST_LINK);
    ip('link', 'set', HOST_LINK, 'up');
    ip('netns', 'exec', NAMESPACE, 'ip', 'addr', 'add', `${CLIENT_ADDRESS}/30`, 'dev', CLIENT_LINK);
    ip('netns', 'exec', NAMESPACE, 'ip', 'link', 'set', CLIENT_LINK, 'up');
    ip('netns', 'exec', NAMESPACE, 'ip', 'link', 'set', 'lo', 'up');
  } catch (error) {
    removeNetwork();
    throw error;
  }
}

const setClientLink = (state: 'up' | 'down') =>
  ip('netns', 'exec', NAMESPACE, 'ip', 'link', 'set', CLIENT_LINK, state);

interface ClientEvent {
  readonly event: string;
  readonly at: number;
  readonly [key: string]: unknown;
}

/** The client script in the namespace: its events, its output, and commands to it. */
class NamespacedClient {
  readonly events: ClientEvent[] = [];
  readonly output = new OutputWatcher();
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(options: Record<string, unknown>) {
    this.child = spawn(
      'ip',
      ['netns', 'exec', NAMESPACE, process.execPath, CLIENT_SCRIPT, JSON.stringify(options)],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as ClientEvent;
      if (event.event === 'data') this.output.feed(Buffer.from(event.base64 as string, 'base64'));
      else this.events.push(event);
    });
  }

  async waitForEvent(name: string, after = 0, timeoutMs = STEP_TIMEOUT_MS): Promise<ClientEvent> {
    const started = Date.now();
    for (;;) {
      const found = this.events.find((e) => e.event === name && e.at >= after);
      if (found) return found;
      if (Date.now() - started > timeoutMs)
        throw new Error(`the client never reported "${name}"; it reported ${JSON.stringify(this.events)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  type(text: string): void {
    this.child.stdin!.write(`${JSON.stringify({ cmd: 'type', text })}\n`);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.stdin!.write(`${JSON.stringify({ cmd: 'close' })}\n`);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}

async function until(
  done: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = STEP_TIMEOUT_MS,
): Promise<number> {
  const started = Date.now();
  while (!(await done())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - started;
}

async function metric(relay: TermrelayApp, name: string, labels = ''): Promise<number> {
  const text = await relay.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

const why = unavailable();
if (why) console.warn(`black-hole test skipped: ${why}`);

describe.skipIf(why !== undefined)('a black-holed client (own network namespace, link down)', () => {
  let sshd: TestSshd;
  let relay: TermrelayApp;
  const logs: Record<string, unknown>[] = [];
  let origin: string;

  beforeAll(async () => {
    makeNetwork();
    sshd = await startSshd();
    const port = await freePort();
    origin = `http://${HOST_ADDRESS}:${port}`;
    const config = parseConfig({
      listen: { host: HOST_ADDRESS, port },
      publicOrigins: [origin],
      auth: { mode: 'token', tokens: [TOKEN] },
      targets: [targetConfig(sshd)],
      console: { livenessIntervalMs: LIVENESS_MS, idleTimeoutMs: 0 },
      log: { level: 'info' },
    });
    const logger = createLogger('info', {
      write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>),
    });
    relay = createApp(config, { logger });
    await new Promise<void>((resolve, reject) => {
      relay.server.once('error', reject);
      relay.server.listen(port, HOST_ADDRESS, resolve);
    });
  });

  afterAll(async () => {
    try {
      await relay?.shutdown(1000);
      await sshd?.stop();
    } finally {
      removeNetwork();
    }
  });

  it('detaches through its pings when packets stop, and the client resumes once the link is back, losing nothing', async () => {
    const client = new NamespacedClient({
      base: `ws://${HOST_ADDRESS}:${new URL(origin).port}`,
      target: 'vm1',
      origin,
      token: TOKEN,
      deadMs: CLIENT_DEAD_MS,
      retryMs: 250,
    });
    try {
      await client.waitForEvent('ready');
      client.type('stty -echo; echo PID=$$.\n');
      const pid = (await client.output.waitFor(/PID=(\d+)\./, STEP_TIMEOUT_MS))[1];
      // Output keeps coming the whole time: while the link is down it has to wait in the session's buffer.
      client.type('i=0; while :; do i=$((i+1)); echo L$i; sleep 0.02; done\n');
      await client.output.waitFor(/\nL20\r\n/, STEP_TIMEOUT_MS);

      const cut = Date.now();
      setClientLink('down');
      const detectMs = await until(
        async () => (await metric(relay, 'termrelay_sessions_detached')) === 1,
        'termrelay_sessions_detached = 1',
      );
      const detach = logs.find((l) => l.msg === 'session detach');
      expect(detach?.cause).toBe('client-unresponsive');
      const sessionId = detach?.session;
      expect(sessionId).toBeTypeOf('string');
      // One unanswered ping, noticed at the next: between one and three intervals.
      expect(detectMs).toBeLessThan(LIVENESS_MS * 3 + 1000);
      // The client notices too (nothing heard for CLIENT_DEAD_MS) and keeps trying while there is no route.
      await client.waitForEvent('lost', cut);
      await new Promise((r) => setTimeout(r, 500));
      const received = client.output.receivedBytes;

      const restored = Date.now();
      setClientLink('up');
      const resumed = await client.waitForEvent('resumed', restored);
      expect(resumed.offset).toBe(received);
      expect(client.events.some((e) => e.event === 'gap')).toBe(false);
      expect(logs.some((l) => l.msg === 'session resumed' && l.session === sessionId)).toBe(true);
      expect(await metric(relay, 'termrelay_sessions_detached')).toBe(0);
      expect(await metric(relay, 'termrelay_resumes_total', 'outcome="resumed"')).toBe(1);
      expect(relay.sessions.size).toBe(1);

      // Lines produced while the link was down arrive, then live ones.
      const last = Number([...client.output.output.matchAll(/\nL(\d+)\r/g)].pop()?.[1] ?? 0);
      await client.output.waitFor(new RegExp(`\\nL${last + 20}\\r\\n`), STEP_TIMEOUT_MS);
      client.type('\x03');
      await new Promise((r) => setTimeout(r, 200));
      const from = client.output.output.length;
      client.type('echo PID=$$.\n');
      expect((await client.output.waitFor(/PID=(\d+)\./, STEP_TIMEOUT_MS, from))[1]).toBe(pid);

      const numbers = client.output.output
        .split('\n')
        .map((line) => /^L(\d+)\r$/.exec(line)?.[1])
        .filter((n) => n !== undefined)
        .map(Number);
      expect(numbers.length).toBeGreaterThan(last);
      const wrong = numbers.findIndex((n, i) => n !== i + 1);
      expect(wrong, `line ${wrong} reads L${numbers[wrong]}`).toBe(-1);
    } finally {
      await client.stop();
    }
  }, 90_000);
});
