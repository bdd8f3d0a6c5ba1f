// Test harness: a real termrelay app on a free loopback port in front of a real sshd, and a console
// client that speaks the wire protocol with a real ws client.
import type { AddressInfo } from 'node:net';
import { OutputWatcher, type TestSshd } from '@termrelay/test-sshd';
import { WebSocket, type ClientOptions } from 'ws';
import { createApp, type AppOptions, type TermrelayApp } from '../app.js';
import { parseConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';

export const TEST_ORIGIN = 'http://termrelay.test';

export function targetConfig(sshd: TestSshd, id = 'vm1') {
  return {
    id,
    label: `Test VM ${id}`,
    host: sshd.host,
    port: sshd.port,
    username: sshd.username,
    privateKeyPath: sshd.clientPrivateKeyPath,
    hostKeyFingerprints: [sshd.hostKeyFingerprint],
  };
}

export interface TestServer {
  readonly relay: TermrelayApp;
  readonly config: Config;
  readonly port: number;
  readonly httpUrl: string;
  consoleUrl(target?: string, query?: string): string;
  /** The URL that resumes the session of `ready` from `offset`. */
  resumeUrl(ready: Ready, offset: number, query?: string): string;
  close(): Promise<void>;
}

export async function startTestServer(
  sshd: TestSshd,
  overrides: Record<string, unknown> = {},
  appOptions: Omit<AppOptions, 'logger'> = {},
): Promise<TestServer> {
  const config = parseConfig({
    listen: { host: '127.0.0.1', port: 0 },
    publicOrigins: [TEST_ORIGIN],
    targets: [targetConfig(sshd)],
    log: { level: process.env.TERMRELAY_TEST_LOG ?? 'silent' },
    ...overrides,
  });
  const relay = createApp(config, { logger: createLogger(config.log.level), ...appOptions });
  await new Promise<void>((resolve) => relay.server.listen(0, '127.0.0.1', resolve));
  const port = (relay.server.address() as AddressInfo).port;
  return {
    relay,
    config,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    consoleUrl: (target = 'vm1', query = '') =>
      `ws://127.0.0.1:${port}/api/targets/${target}/console${query}`,
    resumeUrl: (ready: Ready, offset: number, query = '') =>
      `ws://127.0.0.1:${port}/api/sessions/${ready.session}/console?resume=${ready.resume}&offset=${offset}${query}`,
    close: () => relay.shutdown(1000),
  };
}

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** What a `ready` message carries. */
export interface Ready {
  readonly session: string;
  readonly resume: string;
  readonly offset: number;
  readonly inputOffset: number;
}

/**
 * A console client: output as text, control messages as objects, and how it closed. It keeps the
 * session's output offset (ready.offset plus what arrived since) for resumes; with `ack` it acknowledges
 * every frame as it arrives, as the page does once xterm has parsed it.
 */
export class ConsoleClient extends OutputWatcher {
  readonly controls: Record<string, unknown>[] = [];
  readonly closed: Promise<Closed>;
  readonly opened: Promise<void>;
  binaryFrames = 0;
  private base = 0;
  private sinceReady = 0;

  constructor(
    readonly ws: WebSocket,
    private readonly ack = false,
  ) {
    super();
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        this.binaryFrames++;
        this.sinceReady += data.length;
        this.feed(data);
        if (this.ack && ws.readyState === ws.OPEN)
          ws.send(JSON.stringify({ type: 'ack', bytes: data.length }));
      } else {
        const message = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
        if (message.type === 'ready') {
          this.base = Number(message.offset);
          this.sinceReady = 0;
        }
        this.controls.push(message);
      }
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once('error', reject);
    });
    this.opened.catch(() => {});
  }

  static open(url: string, options: ClientOptions & { ack?: boolean } = {}): ConsoleClient {
    const { ack, ...rest } = options;
    return new ConsoleClient(new WebSocket(url, { origin: TEST_ORIGIN, ...rest }), ack ?? false);
  }

  /** The last `ready` message. */
  get lastReady(): Ready {
    const ready = [...this.controls].reverse().find((c) => c.type === 'ready');
    if (!ready) throw new Error('no ready message yet');
    return ready as unknown as Ready;
  }

  /** The session's output offset this client has reached. */
  get outputOffset(): number {
    return this.base + this.sinceReady;
  }

  /** Types an echo and waits for its answer: the console still relays both ways. */
  async echoes(tag: string, timeoutMs = 10_000): Promise<void> {
    const from = this.output.length;
    this.type(`echo ${tag}-$((40+2))\n`);
    await this.waitFor(new RegExp(`${tag}-42`), timeoutMs, from);
  }

  /** The shell's own PID (`$$`). */
  async shellPid(): Promise<number> {
    const from = this.output.length;
    this.type('echo PID=$$\n');
    return Number((await this.waitFor(/PID=(\d+)\r?\n/, 10_000, from))[1]);
  }

  /** The PID of the shell's parent: the sshd process of this session. */
  async shellParent(): Promise<number> {
    const from = this.output.length;
    this.type('echo ppid=$PPID.\n');
    return Number((await this.waitFor(/ppid=(\d+)\./, 10_000, from))[1]);
  }

  /** Drops the TCP connection without a close frame, as a network failure would. */
  drop(): void {
    (this.ws as unknown as { _socket: { destroy(): void } })._socket.destroy();
  }

  /** Waits for the `ready` control message. */
  async ready(timeoutMs = 10_000): Promise<void> {
    const started = Date.now();
    while (!this.controls.some((c) => c.type === 'ready')) {
      if (Date.now() - started > timeoutMs) throw new Error('no ready message');
      if (this.ws.readyState > WebSocket.OPEN)
        throw new Error(`closed before ready: ${JSON.stringify(await this.closed)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  type(text: string): void {
    this.ws.send(Buffer.from(text, 'utf8'), { binary: true });
  }

  control(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }
}

/** Whether process `pid` still exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends an upgrade request and returns the refusal's status, content type and JSON body. */
export async function refusalOf(
  url: string,
  options: ClientOptions = {},
): Promise<{
  status: number;
  contentType: string | undefined;
  body: { error: { code: string; message: string } };
}> {
  const ws = new WebSocket(url, options);
  ws.on('error', () => {});
  return await new Promise((resolve, reject) => {
    ws.once('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        try {
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            body: JSON.parse(text) as { error: { code: string; message: string } },
          });
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  });
}

export async function metricValue(server: TestServer, name: string, labels = ''): Promise<number> {
  const text = await server.relay.metrics.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}
